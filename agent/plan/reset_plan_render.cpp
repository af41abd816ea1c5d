// The reset plan as a JSON document and as text a person follows top to bottom.

#include "agent/plan/reset_plan.h"

namespace latchwatch::plan {
namespace {

nlohmann::json reset_json(const PlannedReset& r) {
  nlohmann::json j = {{"resource_id", r.resource_id},
                      {"verdict", r.verdict_code},
                      {"report", r.origin},
                      {"reported_at", r.generated_at},
                      {"host", r.host},
                      {"superseded_reports", r.superseded},
                      {"flags", r.flags},
                      {"remedy", r.remedy}};
  if (!r.instance_id.empty()) j["instance_id"] = r.instance_id;
  return j;
}

std::string incarnation_text(const diagnosis::Remedy& remedy) {
  if (!remedy.next_incarnation) return "keyIncarnationId: current value + 1 (not seen in reports)";
  return "keyIncarnationId " +
         (remedy.current_incarnation ? std::to_string(*remedy.current_incarnation) : "?") +
         " -> " + std::to_string(*remedy.next_incarnation);
}

void append_reset(std::string& out, const PlannedReset& r, const std::string& label) {
  out += "  " + label + "  " + r.verdict_code + "  " + incarnation_text(r.remedy) + "\n";
  out += "    reported by " + (r.host.empty() ? std::string("?") : r.host) + " at " +
         r.generated_at + " (" + r.origin + ")";
  if (r.superseded > 0) out += ", newest of " + std::to_string(r.superseded + 1) + " reports";
  out += "\n";
  for (const auto& flag : r.flags) out += "    ! " + flag + "\n";
  out += "    " + r.remedy.az_command + "\n";
}

}  // namespace

nlohmann::json reset_plan_document(const ResetPlan& plan) {
  nlohmann::json vms = nlohmann::json::array();
  for (const auto& r : plan.vms) vms.push_back(reset_json(r));
  nlohmann::json sets = nlohmann::json::array();
  for (const auto& s : plan.scale_sets) {
    nlohmann::json instances = nlohmann::json::array();
    for (const auto& r : s.instances) instances.push_back(reset_json(r));
    sets.push_back({{"scale_set_id", s.scale_set_id}, {"instances", instances}});
  }
  nlohmann::json unidentified = nlohmann::json::array();
  for (const auto& u : plan.unidentified)
    unidentified.push_back({{"report", u.origin},
                            {"verdict", u.verdict_code},
                            {"host", u.host},
                            {"vm_id", u.vm_id},
                            {"smbios_uuid", u.smbios_uuid},
                            {"claimed_resource_id", u.claimed_resource_id},
                            {"reason", u.reason},
                            {"remedy", u.remedy}});
  nlohmann::json conflicts = nlohmann::json::array();
  for (const auto& c : plan.conflicts) {
    nlohmann::json claims = nlohmann::json::array();
    for (const auto& claim : c.claims)
      claims.push_back({{"report", claim.origin},
                        {"host", claim.host},
                        {"smbios_uuid", claim.smbios_uuid},
                        {"identity_source", claim.identity_source},
                        {"verdict", claim.verdict_code}});
    conflicts.push_back({{"resource_id", c.resource_id},
                         {"kind", "copied_disk"},
                         {"resolved", c.resolved},
                         {"message", c.message},
                         {"claims", claims}});
  }
  nlohmann::json skipped = nlohmann::json::array();
  for (const auto& s : plan.skipped)
    skipped.push_back({{"report", s.origin},
                       {"subject", s.subject},
                       {"verdict", s.verdict_code},
                       {"reason", s.reason}});
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
            {"needs_attention", plan.needs_attention()}}},
          {"vms", vms},
          {"scale_sets", sets},
          {"unidentified", unidentified},
          {"conflicts", conflicts},
          {"skipped", skipped},
          {"input_errors", plan.input_errors}};
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
  out += "Run from outside the VMs, as the owner. latchwatch performs none of this.\n";
  if (!plan.vms.empty()) {
    out += "\nVMs:\n";
    for (const auto& r : plan.vms) append_reset(out, r, r.resource_id);
  }
  for (const auto& s : plan.scale_sets) {
    out += "\nScale set " + s.scale_set_id + ": " + std::to_string(s.instances.size()) +
           " instances, reset one by one (there is no scale-set-wide reset):\n";
    for (const auto& r : s.instances) append_reset(out, r, "instance " + r.instance_id);
  }
  if (!plan.unidentified.empty()) {
    out += "\nTo identify first (the reports cannot name their resource):\n";
    for (const auto& u : plan.unidentified) {
      out += "  " + (u.host.empty() ? std::string("?") : u.host) + "  " + u.verdict_code +
             "  vmId " + (u.vm_id.empty() ? u.smbios_uuid : u.vm_id) + " (" + u.origin + ")\n";
      out += "    " + u.reason + "\n";
      out += "    find it:  " + u.remedy.find_vm_command + "\n";
      out += "    then:     " + u.remedy.az_command + "\n";
    }
  }
  if (!plan.conflicts.empty()) {
    out += "\nConflicts (one resource id claimed by several machines: copied disks):\n";
    for (const auto& c : plan.conflicts) {
      out += "  " + c.resource_id + (c.resolved ? "  (resolved)" : "  (NEEDS A PERSON)") + "\n";
      for (const auto& claim : c.claims)
        out += "    SMBIOS " + claim.smbios_uuid + " via " + claim.identity_source + ", " +
               claim.verdict_code + ", " + claim.origin + "\n";
      out += "    " + c.message + "\n";
    }
  }
  if (!plan.skipped.empty()) {
    out += "\nSkipped:\n";
    for (const auto& s : plan.skipped)
      out += "  " + s.subject + "  " + s.verdict_code + ": " + s.reason + " (" + s.origin + ")\n";
  }
  if (!plan.input_errors.empty()) {
    out += "\nInput errors (these reports were not used):\n";
    for (const auto& e : plan.input_errors) out += "  " + e + "\n";
  }
  if (plan.reset_count() > 0)
    out += "\nConfirm each reset in the instance view: keyLatchStatus.states shows the new "
           "keyIncarnationId and a new keyGuid; GPA recovers by itself. Raise only: ARM rejects a "
           "value that is not larger, and the largest value wins.\n";
  return out;
}

}  // namespace latchwatch::plan
