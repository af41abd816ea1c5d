// The CMK rotation plan: who must stop, what blocks, the ordered steps, and after a rotation,
// which disks still use the old key version.

#include "agent/plan/cmk_plan.h"

#include "agent/plan/json_cursor.h"
#include "agent/plan/resource_text.h"

namespace latchwatch::plan {
namespace {

bool is_stopped(PowerState p) { return p == PowerState::stopped || p == PowerState::deallocated; }

std::string ids_of(const std::vector<CmkVm>& vms) {
  std::string out;
  for (const auto& vm : vms) out += (out.empty() ? "" : " ") + std::string("\"") + vm.id + "\"";
  return out;
}

std::string des_update(const DesInfo& des, const std::string& key_url_text) {
  std::string command = "az disk-encryption-set update --ids \"" + des.id + "\" --key-url " +
                        key_url_text;
  if (!des.source_vault_id.empty()) command += " --source-vault \"" + des.source_vault_id + "\"";
  return command;
}

/// The same plan again, on fresh exports written under the owner's own file names.
std::string rerun(const CmkInputs& in, const std::string& des_file, const std::string& extra) {
  return "latchwatch plan cmk-rotation --vms " + in.vms_file + " --disks " + in.disks_file +
         " --des " + des_file + extra;
}

void add_blockers(const CmkInputs& in, CmkPlan& plan) {
  for (const auto* group : {&plan.confidential, &plan.others})
    for (const auto& vm : *group)
      if (vm.ephemeral_os_disk)
        plan.blockers.push_back(
            {vm.id, "ephemeral OS disk: CMK rotation is not supported for ephemeral OS disks, "
                    "and a DES shared with one cannot rotate. Move this VM to another DES or "
                    "delete it (az vm delete --ids \"" + vm.id + "\") before rotating."});
  if (in.des.auto_rotation && !plan.confidential.empty())
    plan.blockers.push_back(
        {in.des.id, "automatic key rotation is on, and confidential VMs do not support it: turn "
                    "it off (az disk-encryption-set update --ids \"" + in.des.id +
                    "\" --enable-auto-key-rotation false) and rotate by hand."});
}

void add_rotation_steps(const CmkInputs& in, CmkPlan& plan) {
  const DesInfo& des = plan.des;
  if (!plan.blockers.empty())
    plan.steps.push_back({"Clear the blockers first (see above)", {},
                          "Nothing below reaches any VM while a blocker remains."});
  CmkStep stop{"Stop every confidential VM on the DES", {}, {}};
  if (plan.not_stopped.empty()) {
    stop.note = "All " + std::to_string(plan.confidential.size()) +
                " confidential VMs are already stopped.";
  } else {
    stop.commands.push_back("az vm deallocate --ids " + ids_of(plan.not_stopped));
    stop.note = "If any one keeps running, the rotation reaches none of them.";
  }
  plan.steps.push_back(stop);
  plan.steps.push_back({"Verify that all are stopped",
                        {"az vm list -d -o json > " + in.vms_file, rerun(in, in.des_file, "")},
                        "The plan must say READY before the key changes."});
  KeyUrlParts key = split_key_url(des.active_key_url);
  plan.steps.push_back(
      {"Change the key and save the DES",
       {"az keyvault key rotate --vault-name " + key.vault + " --name " + key.key,
        "NEW_KEY_URL=$(az keyvault key show --vault-name " + key.vault + " --name " + key.key +
            " --query key.kid -o tsv)",
        des_update(des, "\"$NEW_KEY_URL\"")},
       "Use a new version of the key (or another key); the DES update is the save."});
  plan.steps.push_back(
      {"Verify that every disk uses the new key version",
       {"az disk-encryption-set show --ids \"" + des.id + "\" -o json > des-after.json",
        "az disk list -o json > disks-after.json",
        rerun(in, "des-after.json", " --after disks-after.json")},
       "Disks left on the old version get the retry: save the DES again with the same new key."});
  std::vector<CmkVm> to_start;
  for (const auto& vm : plan.not_stopped)
    if (vm.power == PowerState::running || vm.power == PowerState::transitioning)
      to_start.push_back(vm);
  if (!to_start.empty())
    plan.steps.push_back({"Start the VMs that were running", {"az vm start --ids " + ids_of(to_start)},
                          {}});
}

void check_after(const CmkInputs& in, CmkPlan& plan) {
  plan.after_checked = true;
  std::string active_version = ascii_lower(split_key_url(in.des.active_key_url).version);
  std::string active_key = ascii_lower(split_key_url(in.des.active_key_url).key);
  for (const auto& disk : *in.disks_after) {
    if (disk.key_url.empty()) {
      plan.unverifiable_disks.push_back(disk.id);
      continue;
    }
    KeyUrlParts parts = split_key_url(disk.key_url);
    if (ascii_lower(parts.version) != active_version || ascii_lower(parts.key) != active_key)
      plan.still_on_old_key.push_back({disk.id, parts.version});
  }
  if (!plan.still_on_old_key.empty())
    plan.steps.push_back(
        {"Retry: save the DES again with the same new key",
         {des_update(in.des, "\"" + in.des.active_key_url + "\""),
          "az disk list -o json > disks-after.json",
          rerun(in, in.des_file, " --after disks-after.json")},
         "In rare cases some disks keep the old key; saving the DES again with the same new key "
         "moves them. Keep the VMs stopped until no disk is listed."});
  if (!plan.unverifiable_disks.empty())
    plan.notes.push_back(std::to_string(plan.unverifiable_disks.size()) +
                         " disks on the DES show no key version (encryption.keyUrl) in the "
                         "after-export: they could not be checked.");
  if (!in.des.previous_key_urls.empty())
    plan.notes.push_back("The DES still lists " + std::to_string(in.des.previous_key_urls.size()) +
                         " previous keys: Azure has not finished moving every disk; export again "
                         "in a few minutes before retrying.");
}

}  // namespace

CmkPlan build_cmk_plan(const CmkInputs& in) {
  CmkPlan plan;
  plan.des = in.des;
  for (const auto& vm : in.vms) (vm.confidential ? plan.confidential : plan.others).push_back(vm);
  for (const auto& disk : in.disks)
    if (disk.managed_by.empty()) plan.unattached_disks.push_back(disk.id);
  for (const auto& vm : plan.confidential)
    if (!is_stopped(vm.power)) plan.not_stopped.push_back(vm);
  add_blockers(in, plan);
  plan.ready = plan.blockers.empty() && plan.not_stopped.empty();
  if (plan.confidential.empty())
    plan.notes.push_back("No confidential VM uses this DES: the confidential-VM rotation rules do "
                         "not apply.");
  for (const auto& vm : plan.confidential)
    if (vm.power == PowerState::stopped)
      plan.notes.push_back(vm.id + " is stopped but still allocated (billed); it counts as "
                           "stopped for the rotation, and az vm deallocate also releases it.");
  if (in.disks_after)
    check_after(in, plan);
  else
    add_rotation_steps(in, plan);
  return plan;
}

}  // namespace latchwatch::plan
