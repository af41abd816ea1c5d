// The CMK rotation plan as a JSON document and as text.

#include "agent/plan/cmk_plan.h"

namespace latchwatch::plan {
namespace {

nlohmann::json vm_json(const CmkVm& vm) {
  return {{"id", vm.id},
          {"name", vm.name},
          {"power_state", to_string(vm.power)},
          {"power_state_reported", vm.power_text},
          {"security_type", vm.security_type},
          {"confidential", vm.confidential},
          {"ephemeral_os_disk", vm.ephemeral_os_disk},
          {"disks_on_des", vm.disks_on_des}};
}

nlohmann::json vms_json(const std::vector<CmkVm>& vms) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& vm : vms) out.push_back(vm_json(vm));
  return out;
}

std::string why_not_stopped(const CmkVm& vm) {
  switch (vm.power) {
    case PowerState::running: return "running";
    case PowerState::transitioning:
      return "'" + vm.power_text + "': wait until it is stopped, then export again";
    default:
      return "power state unknown ('" + vm.power_text + "'): treat it as running";
  }
}

}  // namespace

nlohmann::json cmk_plan_document(const CmkPlan& plan) {
  nlohmann::json blockers = nlohmann::json::array();
  for (const auto& b : plan.blockers) blockers.push_back({{"id", b.vm_id}, {"reason", b.reason}});
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : plan.steps)
    steps.push_back({{"title", s.title}, {"commands", s.commands}, {"note", s.note}});
  nlohmann::json doc = {
      {"schema_version", 1},
      {"kind", "latchwatch_cmk_rotation_plan"},
      {"des",
       {{"id", plan.des.id},
        {"name", plan.des.name},
        {"active_key_url", plan.des.active_key_url},
        {"previous_key_urls", plan.des.previous_key_urls},
        {"auto_rotation", plan.des.auto_rotation},
        {"encryption_type", plan.des.encryption_type}}},
      {"ready", plan.ready},
      {"confidential_vms", vms_json(plan.confidential)},
      {"other_vms", vms_json(plan.others)},
      {"not_stopped", vms_json(plan.not_stopped)},
      {"unattached_disks", plan.unattached_disks},
      {"blockers", blockers},
      {"steps", steps},
      {"notes", plan.notes}};
  if (plan.after_checked) {
    nlohmann::json stale = nlohmann::json::array();
    for (const auto& d : plan.still_on_old_key)
      stale.push_back({{"disk_id", d.disk_id}, {"key_version", d.key_version}});
    doc["after"] = {{"still_on_old_key", stale}, {"unverifiable_disks", plan.unverifiable_disks}};
  }
  return doc;
}

std::string cmk_plan_text(const CmkPlan& plan) {
  std::string out = "latchwatch CMK rotation plan for " + plan.des.id + "\n";
  out += "  active key: " + plan.des.active_key_url + "\n";
  out += "  " + std::to_string(plan.confidential.size()) + " confidential VMs, " +
         std::to_string(plan.others.size()) + " other VMs, " +
         std::to_string(plan.unattached_disks.size()) + " unattached disks on this DES\n";
  out += "Run from outside the VMs, as the owner. latchwatch performs none of this.\n";
  if (plan.after_checked) {
    out += "\nAfter the rotation: ";
    if (plan.still_on_old_key.empty()) {
      out += "every disk that shows its key uses the active key version.\n";
    } else {
      out += std::to_string(plan.still_on_old_key.size()) + " disks still on an old key version:\n";
      for (const auto& d : plan.still_on_old_key)
        out += "  " + d.disk_id + "  (version " + (d.key_version.empty() ? "?" : d.key_version) +
               ")\n";
    }
  } else {
    out += std::string("\nStatus: ") +
           (plan.ready ? "READY: every confidential VM is stopped and nothing blocks the rotation."
                       : "NOT READY") + "\n";
  }
  if (!plan.blockers.empty()) {
    out += "\nBlockers:\n";
    for (const auto& b : plan.blockers) out += "  " + b.vm_id + "\n    " + b.reason + "\n";
  }
  if (!plan.after_checked && !plan.not_stopped.empty()) {
    out += "\nConfidential VMs not stopped (if any runs, the rotation reaches none of them):\n";
    for (const auto& vm : plan.not_stopped) out += "  " + vm.id + "  " + why_not_stopped(vm) + "\n";
  }
  if (!plan.others.empty()) {
    out += "\nOther VMs on this DES (not confidential; listed for completeness):\n";
    for (const auto& vm : plan.others)
      out += "  " + vm.id + "  " + (vm.security_type.empty() ? "Standard" : vm.security_type) +
             ", " + to_string(vm.power) + "\n";
  }
  int n = 0;
  if (!plan.steps.empty()) out += "\nSteps:\n";
  for (const auto& step : plan.steps) {
    out += "  " + std::to_string(++n) + ". " + step.title + "\n";
    for (const auto& c : step.commands) out += "       " + c + "\n";
    if (!step.note.empty()) out += "     " + step.note + "\n";
  }
  if (!plan.notes.empty()) {
    out += "\nNotes:\n";
    for (const auto& note : plan.notes) out += "  - " + note + "\n";
  }
  return out;
}

}  // namespace latchwatch::plan
