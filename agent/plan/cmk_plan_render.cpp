// The CMK rotation plan as a JSON document and as text.

#include "agent/plan/cmk_plan.h"

namespace latchwatch::plan {
namespace {

nlohmann::json vm_json(const CmkVm& vm) {
  return {{"id", vm.id},
          {"name", vm.name},
          {"kind", vm.scale_set_instance ? "scale_set_instance" : "vm"},
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
    case PowerState::running:
      return "running";
    case PowerState::transitioning:
      return "'" + vm.power_text + "': wait until it is stopped, then export again";
    default:
      return "power state unknown ('" + vm.power_text + "'): treat it as running";
  }
}

std::string status_line(const CmkPlan& plan) {
  switch (plan.rotation) {
    case RotationState::done:
      return "DONE: the DES's active key is the new version and previousKeys is empty.";
    case RotationState::old_key_referenced:
      return "NOT DONE: the old key is still referenced (previousKeys lists " +
             std::to_string(plan.des.previous_key_urls.size()) +
             (plan.des.previous_key_urls.size() == 1 ? " key" : " keys") +
             "). Retry: save the DES again with the same new key, every confidential VM stopped.";
    case RotationState::new_key_not_active:
      return plan.new_key_url.empty()
                 ? "NOT DONE: the DES's active key is still the one in the --before export."
                 : "NOT DONE: the DES's active key is not the new version.";
    case RotationState::not_checked:
      break;
  }
  return plan.ready ? "READY: every confidential VM on the DES is stopped, every owner is "
                      "verified, and nothing blocks the rotation."
                    : "NOT READY";
}

}  // namespace

nlohmann::json cmk_plan_document(const CmkPlan& plan) {
  nlohmann::json blockers = nlohmann::json::array();
  for (const auto& b : plan.blockers) blockers.push_back({{"id", b.vm_id}, {"reason", b.reason}});
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : plan.steps)
    steps.push_back({{"title", s.title}, {"commands", s.commands}, {"note", s.note}});
  nlohmann::json unverified = nlohmann::json::array();
  for (const auto& u : plan.not_verified)
    unverified.push_back({{"id", u.id},
                          {"kind", u.kind},
                          {"disks", u.disks},
                          {"why", u.why},
                          {"commands", u.commands}});
  auto or_null = [](const std::string& s) {
    return s.empty() ? nlohmann::json() : nlohmann::json(s);
  };
  return {{"schema_version", 2},
          {"kind", "latchwatch_cmk_rotation_plan"},
          {"des",
           {{"id", plan.des.id},
            {"name", plan.des.name},
            {"active_key_url", plan.des.active_key_url},
            {"previous_key_urls", plan.des.previous_key_urls},
            {"last_key_rotation_timestamp", or_null(plan.des.last_key_rotation)},
            {"provisioning_state", or_null(plan.des.provisioning_state)},
            {"auto_rotation", plan.des.auto_rotation},
            {"encryption_type", plan.des.encryption_type}}},
          {"rotation",
           {{"state", to_string(plan.rotation)},
            {"new_key_url", or_null(plan.new_key_url)},
            {"before_key_url", or_null(plan.before_key_url)}}},
          {"ready", plan.ready},
          {"complete", plan.complete()},
          {"confidential_vms", vms_json(plan.confidential)},
          {"other_vms", vms_json(plan.others)},
          {"not_stopped", vms_json(plan.not_stopped)},
          {"not_verified_stopped", unverified},
          {"unattached_disks", plan.unattached_disks},
          {"snapshots", plan.snapshots},
          {"other_resources", plan.other_resources},
          {"blockers", blockers},
          {"steps", steps},
          {"notes", plan.notes}};
}

std::string cmk_plan_text(const CmkPlan& plan) {
  const DesInfo& des = plan.des;
  std::string out = "latchwatch CMK rotation plan for " + des.id + "\n";
  out += "  active key:    " + des.active_key_url + "\n";
  if (!plan.before_key_url.empty()) out += "  before:        " + plan.before_key_url + "\n";
  if (!plan.new_key_url.empty()) out += "  new key:       " + plan.new_key_url + "\n";
  if (des.previous_key_urls.empty())
    out += "  previous keys: none (no rotation in progress)\n";
  else
    out += "  previous keys: " + std::to_string(des.previous_key_urls.size()) +
           " (the old key is still referenced)\n";
  for (const auto& url : des.previous_key_urls) out += "    " + url + "\n";
  out += "  last rotated:  " +
         (des.last_key_rotation.empty() ? std::string("never (no lastKeyRotationTimestamp)")
                                        : des.last_key_rotation) +
         "\n";
  if (!des.provisioning_state.empty()) out += "  provisioning:  " + des.provisioning_state + "\n";
  out += "  " + std::to_string(plan.confidential.size()) + " confidential VMs, " +
         std::to_string(plan.others.size()) + " other VMs, " +
         std::to_string(plan.not_verified.size()) + " owners not verified, " +
         std::to_string(plan.unattached_disks.size()) + " unattached disks on this DES\n";
  out += "Run from outside the VMs, as the owner. latchwatch performs none of this.\n";
  out += "\nStatus: " + status_line(plan) + "\n";
  bool done = plan.rotation == RotationState::done;
  if (plan.rotation != RotationState::not_checked && !done)
    out += plan.ready
               ? "  READY for it: every confidential VM is stopped and every owner verified.\n"
               : "  NOT READY for it: every confidential VM must be stopped first.\n";
  if (!plan.blockers.empty()) {
    out += "\nBlockers:\n";
    for (const auto& b : plan.blockers) out += "  " + b.vm_id + "\n    " + b.reason + "\n";
  }
  if (!done && !plan.not_stopped.empty()) {
    out += "\nConfidential VMs not stopped (if any runs, the rotation reaches none of them):\n";
    for (const auto& vm : plan.not_stopped) out += "  " + vm.id + "  " + why_not_stopped(vm) + "\n";
  }
  if (!done && !plan.not_verified.empty()) {
    out +=
        "\nNot verified stopped (a disk on the DES belongs to them; no export shows their "
        "power state):\n";
    for (const auto& u : plan.not_verified) {
      out += "  " + u.id + "  (" + u.kind + ": " + u.why + ")\n";
      for (const auto& d : u.disks) out += "    disk " + d + "\n";
      for (const auto& c : u.commands) out += "    " + c + "\n";
    }
  }
  if (!plan.others.empty()) {
    out += "\nOther VMs on this DES (not confidential; listed for completeness):\n";
    for (const auto& vm : plan.others)
      out += "  " + vm.id + "  " + (vm.security_type.empty() ? "Standard" : vm.security_type) +
             ", " + to_string(vm.power) + "\n";
  }
  if (!plan.snapshots.empty()) {
    out += "\nSnapshots on this DES (nothing to stop):\n";
    for (const auto& s : plan.snapshots) out += "  " + s + "\n";
  }
  if (!plan.other_resources.empty()) {
    out += "\nOther resources on this DES:\n";
    for (const auto& s : plan.other_resources) out += "  " + s + "\n";
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
