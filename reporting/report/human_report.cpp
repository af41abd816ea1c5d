#include "reporting/report/human_report.h"

#include <cstdio>
#include <sstream>

namespace latchwatch::reporting {
namespace {

using latchwatch::Severity;

const char* colour_of(Severity s) {
  switch (s) {
    case Severity::ok:
      return "\033[32m";
    case Severity::warning:
      return "\033[33m";
    case Severity::critical:
      return "\033[31m";
    case Severity::unknown:
      return "\033[35m";
  }
  return "";
}

std::string tag(Severity s, bool color) {
  std::string label = latchwatch::to_string(s);
  for (auto& c : label) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!color) return label;
  return std::string(colour_of(s)) + label + "\033[0m";
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.resize(width, ' ');
  return s;
}

std::string format_ms(double ms) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f ms", ms);
  return buffer;
}

void render_remedy(const latchwatch::Remedy& r, std::ostringstream& out) {
  out << "\nOwner action" << (r.planned ? " (plan before the next GPA restart)" : "")
      << ": reset the key from outside the VM by raising keyIncarnationId\n";
  out << "  resource:     " << (r.resource_id.empty() ? "unknown ({resourceId})" : r.resource_id)
      << " (" << r.resource_kind << ", identity from " << r.identity_source;
  if (r.identity_source == "cache")
    out << ", " << static_cast<long long>(r.identity_age_seconds) << " s old";
  out << ")\n";
  if (!r.blocked.empty()) out << "  NO COMMAND:   " << r.blocked << "\n";
  if (r.next_incarnation)
    out << "  incarnation:  " << *r.current_incarnation << " -> " << *r.next_incarnation << "\n";
  else if (r.blocked.empty())
    out << "  incarnation:  unknown; the commands read it and add 1\n";
  const bool uniform = r.resource_kind == "uniform_instance";
  out << "  cloud:        "
      << (r.cloud.empty()
              ? std::string("unknown (URLs are relative to the cloud az is logged in to)")
              : r.cloud + " (URLs are relative to the cloud az is logged in to)")
      << "\n";
  out << "  read current: " << r.read_incarnation_command << "\n";
  if (!r.read_az_native_command.empty())
    out << "    az-native (az with compute API >= 2023-09-01): " << r.read_az_native_command
        << "\n";
  if (!r.find_vm_command.empty()) out << "  find the VM:  " << r.find_vm_command << "\n";
  out << "  request:      " << r.request.method << " " << r.request.url << "\n";
  if (uniform)
    out << "                (GET the model, raise keyIncarnationId, drop "
           "storageProfile.imageReference, PUT the whole model with If-Match)\n";
  else
    out << "                "
        << r.request.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  if (!r.az_command.empty())
    out << (uniform ? "  az rest+jq:   " : "  az rest:      ") << r.az_command << "\n";
  if (!r.az_update_command.empty())
    out << (uniform ? "  az-native (az with compute API >= 2023-09-01): "
                    : "  az-native (az >= 2.72.0): ")
        << r.az_update_command << "\n";
  if (!r.rest_command.empty()) out << "  az rest+jq:   " << r.rest_command << "\n";
  if (!r.powershell_command.empty()) out << "  PowerShell:   " << r.powershell_command << "\n";
  if (!r.patch_alternative.empty())
    out << "  alternative (Learn documents it, the REST spec lacks it; not the command to run):\n"
        << "                " << r.patch_alternative << "\n";
  if (!r.scale_set_note.empty()) out << "  scale set:    " << r.scale_set_note << "\n";
  out << "  confirm:      " << r.confirm_command << "\n";
  if (!r.confirm_az_native_command.empty())
    out << "    az-native (az with compute API >= 2023-09-01): " << r.confirm_az_native_command
        << "\n";
  out << "                " << r.confirm << "\n";
  for (const auto& note : r.notes) out << "  note:         " << note << "\n";
}

void render_host(const probes::HostFacts& h, std::ostringstream& out) {
  auto or_unknown = [](const std::string& s) { return s.empty() ? std::string("?") : s; };
  std::string addresses;
  for (const auto& a : h.private_addresses) addresses += (addresses.empty() ? "" : " ") + a;
  out << "\nHost: " << or_unknown(h.host_name) << "  address " << or_unknown(addresses)
      << "  SMBIOS " << or_unknown(h.smbios_uuid) << "\n      " << or_unknown(h.os_release)
      << ", kernel " << or_unknown(h.kernel) << ", booted " << or_unknown(h.boot_time) << ", GPA "
      << or_unknown(h.gpa_version) << "\n";
}

}  // namespace

void render_blast_radius(const latchwatch::BlastRadius& b, std::ostringstream& out) {
  out << "\nAlso broken for the same reason:\n";
  if (b.broken.empty()) out << "  nothing else: no rule is enforced\n";
  for (const auto& line : b.broken) out << "  - " << line << "\n";
  if (b.channels.empty()) return;
  out << "Configured channels with the key lost:\n";
  for (const auto& c : b.channels)
    out << "  " << pad(c.reaches_owner ? "reaches" : "does not", 9) << pad(to_string(c.channel), 15)
        << c.why << "\n";
}

std::string render_human(const latchwatch::Report& report, bool color) {
  std::ostringstream out;
  out << "latchwatch " << tag(report.verdict.severity, color) << " "
      << latchwatch::to_string(report.verdict.code) << ": " << report.verdict.summary << "\n";
  out << "action (" << latchwatch::action_by(report.verdict.code)
      << "): " << latchwatch::info(report.verdict.code).owner_action << "\n";
  if (report.resolved) out << "resolved: " << report.resolved->message << "\n";

  out << "\nProbes (" << format_ms(report.cycle_wall_ms) << " wall):\n";
  for (const auto& p : report.probes) {
    out << "  " << pad(probes::to_string(p.target), 22) << pad(probes::to_string(p.outcome), 12)
        << pad(p.http_status ? std::to_string(p.http_status) : "-", 5)
        << pad(format_ms(p.timings.total_ms), 11) << (p.via_gpa ? "via GPA  " : "         ")
        << p.endpoint << p.path << "\n";
    if (!p.error.empty()) out << "      " << p.error << "\n";
  }
  out << "\nFindings:\n";
  for (const auto& f : report.findings)
    out << "  " << pad(tag(f.severity, color), color ? 17 : 9) << pad(f.id, 31) << " " << f.message
        << "\n";
  if (report.identity.source != "unknown" || !report.identity.vm_id.empty()) {
    out << "\nVM: "
        << (report.identity.resource_id.empty() ? "(resource unknown)"
                                                : report.identity.resource_id)
        << "  vmId " << (report.identity.vm_id.empty() ? "?" : report.identity.vm_id) << "  (from "
        << report.identity.source << ")\n";
  }
  render_host(report.host, out);
  if (report.remedy) render_remedy(*report.remedy, out);
  for (const auto& a : report.advisories)
    out << "\nAdvisory (" << a.id << "): " << a.message << "\n";
  if (report.blast_radius) render_blast_radius(*report.blast_radius, out);
  return out.str();
}

std::string render_explanation(const latchwatch::VerdictInfo& info) {
  std::ostringstream out;
  out << info.name << " (" << latchwatch::to_string(info.severity) << ", exit code "
      << latchwatch::exit_code(info.severity) << ")\n\n"
      << "Meaning:      " << info.meaning << "\n"
      << "Evidence:     " << info.evidence << "\n"
      << "Action:       " << info.owner_action << " (by the " << latchwatch::action_by(info.code)
      << ")\n";
  if (info.needs_key_reset)
    out << "\nThe reset raises keyIncarnationId (int32) to one more than the current value.\n"
           "A VM or Flexible scale-set member: PATCH <ARM of the VM's cloud>{resourceId}"
           "?api-version=2024-03-01\nwith {\"properties\":{\"securityProfile\":"
           "{\"proxyAgentSettings\":{\"keyIncarnationId\": N}}}}.\n"
           "A Uniform scale-set instance: GET the instance model, raise the value, drop\n"
           "storageProfile.imageReference, PUT the whole model back with If-Match;\n"
           "the REST specification has no PATCH there. Each instance is "
           "reset on its own.\nlatchwatch check prints the exact commands for this VM.\n";
  if (info.needs_key_reset) out << "\n" << latchwatch::describe_blast_radius_table();
  return out.str();
}

}  // namespace latchwatch::reporting
