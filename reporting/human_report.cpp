#include "reporting/human_report.h"

#include <cstdio>
#include <sstream>

namespace latchwatch::reporting {
namespace {

using diagnosis::Severity;

const char* colour_of(Severity s) {
  switch (s) {
    case Severity::ok: return "\033[32m";
    case Severity::warning: return "\033[33m";
    case Severity::critical: return "\033[31m";
    case Severity::unknown: return "\033[35m";
  }
  return "";
}

std::string tag(Severity s, bool color) {
  std::string label = diagnosis::to_string(s);
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

void render_remedy(const diagnosis::Remedy& r, std::ostringstream& out) {
  out << "\nOwner action" << (r.planned ? " (plan before the next GPA restart)" : "")
      << ": reset the key from outside the VM by raising keyIncarnationId\n";
  out << "  resource:     " << (r.resource_id.empty() ? "unknown ({resourceId})" : r.resource_id)
      << " (identity from " << r.identity_source;
  if (r.identity_source == "cache")
    out << ", " << static_cast<long long>(r.identity_age_seconds) << " s old";
  out << ")\n";
  if (r.next_incarnation)
    out << "  incarnation:  " << *r.current_incarnation << " -> " << *r.next_incarnation << "\n";
  else
    out << "  incarnation:  unknown; read it with: " << r.read_incarnation_command << "\n";
  if (!r.find_vm_command.empty()) out << "  find the VM:  " << r.find_vm_command << "\n";
  out << "  request:      " << r.request.method << " " << r.request.url << "\n";
  out << "                "
      << r.request.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  out << "  az:           " << r.az_command << "\n";
  out << "  PowerShell:   " << r.powershell_command << "\n";
  if (!r.scale_set_note.empty()) out << "  scale set:    " << r.scale_set_note << "\n";
  out << "  confirm:      " << r.confirm << "\n";
  for (const auto& note : r.notes) out << "  note:         " << note << "\n";
}

}  // namespace

std::string render_human(const diagnosis::Report& report, bool color) {
  std::ostringstream out;
  out << "latchwatch " << tag(report.verdict.severity, color) << " "
      << diagnosis::to_string(report.verdict.code) << ": " << report.verdict.summary << "\n";
  if (report.resolved) out << "resolved: " << report.resolved->message << "\n";

  out << "\nProbes (" << format_ms(report.cycle_wall_ms) << " wall):\n";
  for (const auto& p : report.probes) {
    out << "  " << pad(probes::to_string(p.target), 21) << pad(probes::to_string(p.outcome), 12)
        << pad(p.http_status ? std::to_string(p.http_status) : "-", 5)
        << pad(format_ms(p.timings.total_ms), 11) << (p.via_gpa ? "via GPA  " : "         ")
        << p.endpoint << p.path << "\n";
    if (!p.error.empty()) out << "      " << p.error << "\n";
  }
  out << "\nFindings:\n";
  for (const auto& f : report.findings)
    out << "  " << pad(tag(f.severity, color), color ? 17 : 9) << pad(f.id, 31) << " "
        << f.message << "\n";
  if (report.identity.source != "unknown" || !report.identity.vm_id.empty()) {
    out << "\nVM: " << (report.identity.resource_id.empty() ? "(resource unknown)"
                                                            : report.identity.resource_id)
        << "  vmId " << (report.identity.vm_id.empty() ? "?" : report.identity.vm_id)
        << "  (from " << report.identity.source << ")\n";
  }
  if (report.remedy) render_remedy(*report.remedy, out);
  for (const auto& a : report.advisories) out << "\nAdvisory (" << a.id << "): " << a.message << "\n";
  return out.str();
}

std::string render_explanation(const diagnosis::VerdictInfo& info) {
  std::ostringstream out;
  out << info.name << " (" << diagnosis::to_string(info.severity) << ", exit code "
      << diagnosis::exit_code(info.severity) << ")\n\n"
      << "Meaning:      " << info.meaning << "\n"
      << "Evidence:     " << info.evidence << "\n"
      << "Owner action: " << info.owner_action << "\n";
  if (info.needs_key_reset)
    out << "\nThe reset: PATCH https://management.azure.com{resourceId}?api-version=2024-03-01\n"
           "with {\"properties\":{\"securityProfile\":{\"proxyAgentSettings\":"
           "{\"keyIncarnationId\": N}}}}, N one more than the current value. A scale set is reset\n"
           "instance by instance. latchwatch check prints the exact command for this VM.\n";
  return out.str();
}

}  // namespace latchwatch::reporting
