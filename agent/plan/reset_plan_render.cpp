// The reset plan as a JSON document and as text a person follows top to bottom.

#include <functional>
#include <map>
#include <ostream>

#include "agent/plan/activity_log.h"
#include "agent/plan/reset_plan.h"
#include "probes/base/azure_names.h"
#include "reporting/report/reset_ticket.h"

namespace latchwatch::plan {
namespace {

nlohmann::json reset_json(const PlannedReset& r) {
  nlohmann::json j = {{"resource_id", r.resource_id},
                      {"verdict", r.verdict_code},
                      {"report", r.origin},
                      {"reported_at", r.generated_at},
                      {"first_reported_at", r.first_reported_at},
                      {"host", r.host},
                      {"superseded_reports", r.superseded},
                      {"flags", r.flags},
                      {"remedy", r.remedy}};
  if (!r.instance_id.empty()) j["instance_id"] = r.instance_id;
  if (!r.verify_command.empty()) j["verify_command"] = r.verify_command;
  if (r.cause) j["activity_cause"] = activity_cause_json(*r.cause);
  // The reset ticket per machine (docs/formats/reset-ticket.schema.json); no delivery here.
  j["reset_ticket"] = latchwatch::reset_ticket(r.remedy, r.verdict_code, r.vm_id, r.smbios_uuid,
                                               r.host, r.generated_at);
  return j;
}

/// A value from a report, for a line of text: escaped, never a line break (one_line).
std::string shown(const std::string& text) { return probes::one_line(text, 300); }

/// A command line: the only lines that start with "    $ ". Commands are built by code from
/// checked values (remedy.cpp), so they hold no line break; one_line makes that certain.
std::string command_line(const std::string& command) {
  return "    $ " + probes::one_line(command, 4096) + "\n";
}

std::string incarnation_text(const latchwatch::Remedy& remedy) {
  if (!remedy.blocked.empty()) return "keyIncarnationId at its int32 limit: no command";
  if (!remedy.next_incarnation) return "keyIncarnationId: current value + 1 (not seen in reports)";
  return "keyIncarnationId " +
         (remedy.current_incarnation ? std::to_string(*remedy.current_incarnation) : "?") + " -> " +
         std::to_string(*remedy.next_incarnation);
}

std::string host_text(const std::string& host, const probes::HostFacts& facts) {
  std::string out = host.empty() ? std::string("?") : host;
  if (!facts.private_addresses.empty()) out += " (" + facts.private_addresses.front() + ")";
  return shown(out);
}

std::string duration_text(std::int64_t seconds) {
  if (seconds < 0) return std::to_string(-seconds / 60) + " min after (clock skew)";
  if (seconds < 3600) return std::to_string(seconds / 60) + " min before";
  return std::to_string(seconds / 3600) + " h " + std::to_string(seconds % 3600 / 60) +
         " min before";
}

/// The activity log's word, from untrusted values: every one escaped on its line.
std::string cause_text(const ActivityCause& c) {
  if (!c.explained) return "    ! unexplained: " + shown(c.note) + "\n";
  std::string out = "    explained: " + shown(c.kind_text) + " (" + shown(c.operation) + ") at " +
                    shown(c.time) + " by " + shown(c.caller.empty() ? "?" : c.caller) + ", " +
                    duration_text(c.before_loss_seconds) + " the loss was first reported";
  if (c.other_candidates > 0)
    out += ", and " + std::to_string(c.other_candidates) + " more in the window";
  out += " (" + shown(c.origin) + ", correlationId " +
         shown(c.correlation_id.empty() ? "?" : c.correlation_id) + ")\n";
  if (!c.note.empty()) out += "      " + shown(c.note) + "\n";
  return out;
}

void append_reset(std::string& out, const PlannedReset& r, const std::string& label) {
  out +=
      "  " + shown(label) + "  " + shown(r.verdict_code) + "  " + incarnation_text(r.remedy) + "\n";
  out += "    reported by " + host_text(r.host, {}) + " at " + shown(r.generated_at) + " (" +
         shown(r.origin) + ")";
  if (r.superseded > 0) out += ", newest of " + std::to_string(r.superseded + 1) + " reports";
  out += "\n";
  for (const auto& flag : r.flags) out += "    ! " + shown(flag) + "\n";
  if (r.cause) out += cause_text(*r.cause);
  if (!r.verify_command.empty()) out += command_line(r.verify_command);
  if (!r.remedy.az_command.empty()) out += command_line(r.remedy.az_command);
}

}  // namespace

namespace {

nlohmann::json scale_set_json(const ScaleSetPlan& s) {
  nlohmann::json instances = nlohmann::json::array();
  for (const auto& r : s.instances) instances.push_back(reset_json(r));
  return {{"scale_set_id", s.scale_set_id}, {"instances", instances}};
}

nlohmann::json unidentified_json(const UnidentifiedVm& u) {
  return {{"report", u.origin},
          {"verdict", u.verdict_code},
          {"host", u.host},
          {"vm_id", u.vm_id},
          {"smbios_uuid", u.smbios_uuid},
          {"claimed_resource_id", u.claimed_resource_id},
          {"host_facts", u.host_facts},
          {"reason", u.reason},
          {"remedy", u.remedy}};
}

nlohmann::json conflict_json(const Conflict& c) {
  nlohmann::json claims = nlohmann::json::array();
  for (const auto& claim : c.claims)
    claims.push_back({{"report", claim.origin},
                      {"host", claim.host},
                      {"smbios_uuid", claim.smbios_uuid},
                      {"identity_source", claim.identity_source},
                      {"verdict", claim.verdict_code}});
  return {{"resource_id", c.resource_id},
          {"kind", "copied_disk"},
          {"resolved", c.resolved},
          {"message", c.message},
          {"claims", claims}};
}

nlohmann::json skipped_json(const SkippedReport& s) {
  return {{"report", s.origin},
          {"subject", s.subject},
          {"verdict", s.verdict_code},
          {"reason", s.reason}};
}

/// The document's small members; the entry lists are added by the callers.
nlohmann::json plan_head(const ResetPlan& plan) {
  return {{"schema_version", 1},
          {"kind", "latchwatch_reset_plan"},
          {"summary",
           {{"reports_read", plan.reports_read},
            {"resets", plan.reset_count()},
            {"scale_sets", plan.scale_sets.size()},
            {"unidentified", plan.unidentified.size()},
            {"conflicts", plan.conflicts.size()},
            {"skipped", plan.skipped.size()},
            {"input_errors", plan.input_errors.size()},
            {"unexplained",
             plan.activity_checked ? nlohmann::json(plan.unexplained_count()) : nlohmann::json()},
            {"needs_attention", plan.needs_attention()}}},
          {"input_errors", plan.input_errors}};
}

template <typename Items, typename ToJson>
nlohmann::json all_of(const Items& items, ToJson to_json) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& item : items) out.push_back(to_json(item));
  return out;
}

/// `value.dump(2)` as it appears `depth` levels down in a document dumped with indent 2.
std::string dumped_at(const nlohmann::json& value, int depth) {
  std::string text = value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  const std::string indent = "\n" + std::string(static_cast<std::size_t>(depth) * 2, ' ');
  std::string out;
  out.reserve(text.size());
  for (char c : text) {  // a dumped string never holds a raw line break: it is escaped
    if (c == '\n')
      out += indent;
    else
      out += c;
  }
  return out;
}

}  // namespace

nlohmann::json reset_plan_document(const ResetPlan& plan) {
  nlohmann::json doc = plan_head(plan);
  doc["vms"] = all_of(plan.vms, reset_json);
  doc["scale_sets"] = all_of(plan.scale_sets, scale_set_json);
  doc["unidentified"] = all_of(plan.unidentified, unidentified_json);
  doc["conflicts"] = all_of(plan.conflicts, conflict_json);
  doc["skipped"] = all_of(plan.skipped, skipped_json);
  return doc;
}

void write_reset_plan_json(const ResetPlan& plan, const nlohmann::json& extra, std::ostream& out) {
  // The members in the order nlohmann's object (a std::map) dumps them: by key.
  nlohmann::json small = plan_head(plan);
  for (const auto& member : extra.items()) small[member.key()] = member.value();
  using Writer = std::function<void(std::ostream&)>;
  std::map<std::string, Writer> members;
  for (const auto& member : small.items()) {
    const nlohmann::json* v = &member.value();
    members[member.key()] = [v](std::ostream& o) { o << dumped_at(*v, 1); };
  }
  auto list = [](const auto& items, auto to_json) -> Writer {
    return [&items, to_json](std::ostream& o) {
      if (items.empty()) {
        o << "[]";
        return;
      }
      o << "[";
      bool first = true;
      for (const auto& item : items) {  // one entry built, written and freed at a time
        o << (first ? "\n    " : ",\n    ") << dumped_at(to_json(item), 2);
        first = false;
      }
      o << "\n  ]";
    };
  };
  members["vms"] = list(plan.vms, reset_json);
  members["scale_sets"] = list(plan.scale_sets, scale_set_json);
  members["unidentified"] = list(plan.unidentified, unidentified_json);
  members["conflicts"] = list(plan.conflicts, conflict_json);
  members["skipped"] = list(plan.skipped, skipped_json);
  out << "{";
  bool first = true;
  for (const auto& [key, write] : members) {
    out << (first ? "\n  " : ",\n  ") << nlohmann::json(key).dump() << ": ";
    write(out);
    first = false;
  }
  out << "\n}";
}

std::string reset_plan_text(const ResetPlan& plan) {
  std::size_t instances = 0;
  for (const auto& s : plan.scale_sets) instances += s.instances.size();
  std::string out = "latchwatch key-reset plan: " + std::to_string(plan.reports_read) +
                    " reports, " + std::to_string(plan.reset_count()) + " resets (" +
                    std::to_string(plan.vms.size()) + " VMs, " + std::to_string(instances) +
                    " scale-set instances, " + std::to_string(plan.unidentified.size()) +
                    " to identify), " + std::to_string(plan.skipped.size()) + " skipped, " +
                    std::to_string(plan.conflicts.size()) + " conflicts, " +
                    std::to_string(plan.input_errors.size()) + " input errors\n";
  if (plan.activity_checked)
    out +=
        "Activity log: " +
        std::to_string(plan.reset_count() - plan.unidentified.size() - plan.unexplained_count()) +
        " explained, " + std::to_string(plan.unexplained_count()) + " unexplained (window " +
        (plan.activity_window_seconds % 3600 == 0
             ? std::to_string(plan.activity_window_seconds / 3600) + " h"
             : std::to_string(plan.activity_window_seconds / 60) + " min") +
        " before each loss was first reported); an unexplained loss needs a closer look "
        "before resetting.\n";
  out += "Run from outside the VMs, as the owner. latchwatch performs none of this.\n";
  if (!plan.vms.empty()) {
    out += "\nVMs and Flexible scale-set members (PATCH):\n";
    for (const auto& r : plan.vms) append_reset(out, r, r.resource_id);
  }
  for (const auto& s : plan.scale_sets) {
    out += "\nUniform scale set " + shown(s.scale_set_id) + ": " +
           std::to_string(s.instances.size()) +
           " instances, reset one by one: GET the instance, raise keyIncarnationId, drop "
           "storageProfile.imageReference, PUT it back with If-Match (az rest and jq, any az; "
           "there is no PATCH and no scale-set-wide reset):\n";
    for (const auto& r : s.instances) append_reset(out, r, "instance " + r.instance_id);
  }
  if (!plan.unidentified.empty()) {
    out += "\nTo identify first (the reports cannot name their resource):\n";
    for (const auto& u : plan.unidentified) {
      std::string id = u.vm_id.empty() ? u.smbios_uuid : u.vm_id;
      out += "  " + host_text(u.host, u.host_facts) + "  " + shown(u.verdict_code) + "  vmId " +
             (id.empty() ? std::string("unknown") : shown(id)) + " (" + shown(u.origin) + ")\n";
      out += "    " + shown(u.reason) + "\n";
      for (const auto& note : u.remedy.notes)
        if (note.rfind("The resource id is unknown", 0) == 0) out += "    " + shown(note) + "\n";
      if (!u.remedy.find_vm_command.empty()) {
        out += "    find it:\n" + command_line(u.remedy.find_vm_command);
      }
      if (!u.remedy.az_command.empty())
        out +=
            "    then, with its id in place of {resourceId}:\n" + command_line(u.remedy.az_command);
    }
  }
  if (!plan.conflicts.empty()) {
    out += "\nConflicts (one resource id claimed by several machines: copied disks):\n";
    for (const auto& c : plan.conflicts) {
      out +=
          "  " + shown(c.resource_id) + (c.resolved ? "  (resolved)" : "  (NEEDS A PERSON)") + "\n";
      for (const auto& claim : c.claims)
        out += "    SMBIOS " + shown(claim.smbios_uuid) + " via " + shown(claim.identity_source) +
               ", " + shown(claim.verdict_code) + ", " + shown(claim.origin) + "\n";
      out += "    " + shown(c.message) + "\n";
    }
  }
  if (!plan.skipped.empty()) {
    out += "\nSkipped:\n";
    for (const auto& s : plan.skipped)
      out += "  " + shown(s.subject) + "  " + shown(s.verdict_code) + ": " + shown(s.reason) +
             " (" + shown(s.origin) + ")\n";
  }
  if (!plan.input_errors.empty()) {
    out += "\nInput errors (these reports were not used):\n";
    for (const auto& e : plan.input_errors) out += "  " + shown(e) + "\n";
  }
  if (plan.reset_count() > 0)
    out +=
        "\nConfirm each reset in the instance view (az rest --method get --url "
        "'RID/instanceView?api-version=2024-03-01', the same for VMs and Uniform instances; "
        "plan resets --json and check --json give the exact command): the ProxyAgent substatus "
        "shows the new keyIncarnationId and a new "
        "keyGuid; GPA recovers by itself. Raise only: ARM rejects a value that is not larger, "
        "and the largest value wins. A Terraform or Bicep template that pins keyIncarnationId "
        "must be raised there too.\n";
  return out;
}

}  // namespace latchwatch::plan
