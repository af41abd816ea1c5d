#include "reporting/report/report.h"

#include "reporting/report/reset_ticket.h"

#include <ctime>

#include "probes/base/json_limits.h"

namespace latchwatch {
namespace {

nlohmann::json optional_int(const std::optional<std::int64_t>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json string_or_null(const std::string& s) {
  return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
}

}  // namespace

std::string iso8601_utc(std::chrono::system_clock::time_point t) {
  return probes::format_utc(t, true);
}

void to_json(nlohmann::json& j, const Finding& f) {
  j = {{"id", f.id},
       {"severity", to_string(f.severity)},
       {"source", f.source},
       {"message", f.message}};
  if (!f.evidence.is_null()) j["evidence"] = f.evidence;
}

void to_json(nlohmann::json& j, const Verdict& v) {
  j = {{"code", to_string(v.code)},           {"severity", to_string(v.severity)},
       {"exit_code", exit_code(v.severity)},  {"summary", v.summary},
       {"action", info(v.code).owner_action}, {"action_by", action_by(v.code)}};
}

nlohmann::json remedy_commands(const Remedy& r) {
  nlohmann::json out = nlohmann::json::array();
  auto add = [&out](const char* shell, const char* purpose, const std::string& command,
                    const char* needs) {
    if (!command.empty())
      out.push_back(
          {{"shell", shell}, {"purpose", purpose}, {"command", command}, {"needs", needs}});
  };
  const bool uniform = r.resource_kind == "uniform_instance";
  constexpr const char* kNative =
      "an az whose compute API knows proxyAgentSettings (2023-09-01 or later)";
  add("bash", "find_vm", r.find_vm_command, "az (any version)");
  add("bash", "read_incarnation", r.read_incarnation_command, "az (any version)");
  add("bash", "read_incarnation_az_native", r.read_az_native_command, kNative);
  add("bash", "reset", r.az_command, uniform ? "az (any version), jq" : "az (any version)");
  add("bash", uniform ? "reset_az_vmss_update" : "reset_az_vm_update", r.az_update_command,
      uniform ? kNative : "az CLI 2.72.0 or later");
  add("bash", "reset_rest", r.rest_command, "az (any version), jq");
  add("powershell", "reset", r.powershell_command, "PowerShell 7, Az.Accounts");
  add("bash", "confirm", r.confirm_command, "az (any version)");
  add("bash", "confirm_az_native", r.confirm_az_native_command, kNative);
  return out;
}

void to_json(nlohmann::json& j, const Remedy& r) {
  j = {{"planned", r.planned},
       {"resource_id", string_or_null(r.resource_id)},
       {"resource_kind", r.resource_kind},
       {"identity_source", r.identity_source},
       {"current_incarnation", optional_int(r.current_incarnation)},
       {"next_incarnation", optional_int(r.next_incarnation)},
       {"cloud", string_or_null(r.cloud)},
       {"request",
        {{"method", r.request.method},
         {"url", r.request.url},
         {"url_base", "the ARM endpoint of the VM's cloud"},
         {"body", r.request.body},
         {"steps", r.request.steps}}},
       {"az", r.az_command},
       {"powershell", r.powershell_command},
       {"confirm", r.confirm}};
  if (r.identity_source == "cache") j["identity_age_seconds"] = r.identity_age_seconds;
  if (!r.blocked.empty()) j["blocked"] = r.blocked;
  if (!r.subscription_id.empty()) j["subscription_id"] = r.subscription_id;
  if (!r.resource_group.empty()) j["resource_group"] = r.resource_group;
  if (!r.scale_set_name.empty()) j["scale_set_name"] = r.scale_set_name;
  if (!r.instance_id.empty()) j["instance_id"] = r.instance_id;
  if (!r.az_update_command.empty())
    j[r.resource_kind == "uniform_instance" ? "az_vmss_update" : "az_vm_update"] =
        r.az_update_command;
  if (!r.rest_command.empty()) j["rest"] = r.rest_command;
  if (!r.patch_alternative.empty()) j["patch_alternative"] = r.patch_alternative;
  if (!r.confirm_command.empty()) j["confirm_command"] = r.confirm_command;
  j["commands"] = remedy_commands(r);
  if (!r.read_incarnation_command.empty()) j["read_incarnation"] = r.read_incarnation_command;
  if (!r.read_az_native_command.empty()) j["read_incarnation_az_native"] = r.read_az_native_command;
  if (!r.confirm_az_native_command.empty()) j["confirm_az_native"] = r.confirm_az_native_command;
  if (!r.find_vm_command.empty()) j["find_vm"] = r.find_vm_command;
  if (!r.vm_id.empty()) j["vm_id"] = r.vm_id;
  if (!r.scale_set_note.empty()) j["scale_set_note"] = r.scale_set_note;
  if (!r.notes.empty()) j["notes"] = r.notes;
}

void to_json(nlohmann::json& j, const Identity& i) {
  j = {{"source", i.source},
       {"resource_id", string_or_null(i.resource_id)},
       {"subscription_id", string_or_null(i.subscription_id)},
       {"resource_group", string_or_null(i.resource_group_name)},
       {"name", string_or_null(i.name)},
       {"vm_scale_set_name", string_or_null(i.vm_scale_set_name)},
       {"vm_id", string_or_null(i.vm_id)},
       {"smbios_uuid", string_or_null(i.smbios_uuid)},
       {"security_type", string_or_null(i.security_type)},
       {"cloud", string_or_null(i.cloud)},
       {"ephemeral_os_disk", i.ephemeral_os_disk},
       {"moved_to_other_vm", i.moved_to_other_vm}};
  if (i.source == "cache") j["age_seconds"] = i.age_seconds;
}

void to_json(nlohmann::json& j, const Report& r) { j = report_document(r); }

nlohmann::json report_document(const Report& r) {
  nlohmann::json advisories = nlohmann::json::array();
  for (const auto& a : r.advisories) advisories.push_back({{"id", a.id}, {"message", a.message}});
  nlohmann::json doc = {{"schema_version", Report::kSchemaVersion},
                        {"generated_at", r.generated_at},
                        {"agent", {{"name", "latchwatch"}, {"version", LATCHWATCH_VERSION}}},
                        {"verdict", r.verdict},
                        {"findings", r.findings},
                        {"probes", r.probes},
                        {"evidence", r.evidence},
                        {"identity", r.identity},
                        {"host_facts", r.host},
                        {"remedy", r.remedy ? nlohmann::json(*r.remedy) : nlohmann::json(nullptr)},
                        {"advisories", advisories},
                        {"cycle_wall_ms", r.cycle_wall_ms}};
  // The reset ticket (docs/formats/reset-ticket.schema.json), only when a key reset is needed.
  if (r.remedy) doc["reset_ticket"] = reset_ticket(r);
  if (r.blast_radius) doc["blast_radius"] = *r.blast_radius;
  if (r.resolved) {
    doc["resolved"] = {{"old_key_guid", string_or_null(r.resolved->old_key_guid)},
                       {"new_key_guid", string_or_null(r.resolved->new_key_guid)},
                       {"old_incarnation", optional_int(r.resolved->old_incarnation)},
                       {"new_incarnation", optional_int(r.resolved->new_incarnation)},
                       {"message", r.resolved->message}};
  }
  return doc;
}

}  // namespace latchwatch
