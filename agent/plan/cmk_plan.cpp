// The CMK rotation plan: which VMs and instances use the DES, who must stop, who could not be
// verified, what blocks, whether the rotation is done, and the ordered steps.

#include "agent/plan/cmk_plan.h"

#include <algorithm>
#include <map>
#include <set>

#include "agent/plan/cmk_command.h"
#include "agent/plan/json_cursor.h"
#include "agent/plan/resource_text.h"

namespace latchwatch::plan {
namespace {

constexpr const char* kPowerQuery = "[?starts_with(code,'PowerState/')].displayStatus";

bool is_stopped(PowerState p) { return p == PowerState::stopped || p == PowerState::deallocated; }

/// The segment after `key` in a resource id ("resourcegroups" → "rg-cvm"), or empty.
std::string id_part(const std::string& id, const std::string& key) {
  std::string lower = ascii_lower(id);
  std::string marker = "/" + key + "/";
  auto at = lower.find(marker);
  if (at == std::string::npos) return {};
  auto start = at + marker.size();
  return id.substr(start, id.find('/', start) - start);
}

/// "…/providers/Microsoft.Compute/disks/x" → "disks"; the last resource type of an id.
std::string resource_type_segment(const std::string& id) {
  std::string lower = ascii_lower(id);
  auto end = lower.rfind('/');
  if (end == std::string::npos || end == 0) return {};
  auto start = lower.rfind('/', end - 1);
  return start == std::string::npos ? std::string() : lower.substr(start + 1, end - start - 1);
}

struct ScaleSet {
  std::string subscription, group, name;
  bool operator<(const ScaleSet& o) const {
    return std::tie(subscription, group, name) < std::tie(o.subscription, o.group, o.name);
  }
};

ScaleSet scale_set_of(const std::string& scale_set_id) {
  return {id_part(scale_set_id, "subscriptions"), id_part(scale_set_id, "resourcegroups"),
          last_segment(scale_set_id)};
}

AzCommand vmss_command(const std::string& verb, const ScaleSet& s) {
  AzCommand c("az vmss " + verb);
  c.name("--subscription", s.subscription).name("-g", s.group).name("-n", s.name);
  return c;
}

std::string vmss_file(const ScaleSet& s) { return "vmss-" + s.group + "-" + s.name + ".json"; }

std::string vmss_export(const ScaleSet& s) {
  return vmss_command("list-instances", s).literal("--expand instanceView -o json >").str() + " " +
         shell_quote(vmss_file(s));
}

/// Deallocate (or start) commands: VMs in one line, instances per scale set.
std::vector<std::string> power_commands(const std::vector<CmkVm>& machines, bool start) {
  std::vector<std::string> vm_ids;
  std::map<ScaleSet, std::vector<std::string>> instances;
  for (const auto& m : machines) {
    auto split = split_scale_set_instance(m.id);
    if (split.scale_set_id.empty())
      vm_ids.push_back(m.id);
    else
      instances[scale_set_of(split.scale_set_id)].push_back(split.instance_id);
  }
  std::vector<std::string> out;
  if (!vm_ids.empty())
    out.push_back(
        AzCommand(start ? "az vm start" : "az vm deallocate").resource_ids("--ids", vm_ids).str());
  for (const auto& [set, ids] : instances)
    out.push_back(
        vmss_command(start ? "start" : "deallocate", set).names("--instance-ids", ids).str());
  return out;
}

class Builder {
 public:
  Builder(const CmkInputs& in, CmkPlan& plan) : in_(in), plan_(plan) {}

  void run() {
    collect_machines();
    account_disks();
    account_associated();
    for (const CmkVm* m : on_des_)
      (m->confidential ? plan_.confidential : plan_.others).push_back(*m);
    for (const auto& vm : plan_.confidential)
      if (!is_stopped(vm.power)) plan_.not_stopped.push_back(vm);
    add_blockers();
    plan_.ready = plan_.blockers.empty() && plan_.not_stopped.empty() && plan_.not_verified.empty();
    decide_rotation();
    add_notes();
    add_steps();
  }

 private:
  void take(const CmkVm* m) {
    if (taken_.insert(ascii_lower(m->id)).second) on_des_.push_back(m);
  }

  void collect_machines() {
    for (const auto& vm : in_.vms) known_.emplace(ascii_lower(vm.id), &vm);
    for (const auto& inst : in_.instances) known_.emplace(ascii_lower(inst.id), &inst);
    for (const auto& id : in_.associated) {
      associated_.insert(ascii_lower(id));
      if (resource_type_segment(id) == "virtualmachinescalesets")
        whole_sets_.insert(ascii_lower(id));
    }
    for (const auto& vm : in_.vms) take(&vm);
    for (const auto& inst : in_.instances) {
      std::string set = ascii_lower(split_scale_set_instance(inst.id).scale_set_id);
      if (!inst.disks_on_des.empty() || associated_.count(ascii_lower(inst.id)) ||
          (!set.empty() && whole_sets_.count(set)))
        take(known_.at(ascii_lower(inst.id)));
    }
  }

  UnverifiedOwner& unverified(const std::string& id, const std::string& kind) {
    auto [it, fresh] = unverified_index_.emplace(ascii_lower(id), plan_.not_verified.size());
    if (fresh) plan_.not_verified.push_back({id, kind, {}, {}, {}});
    return plan_.not_verified[it->second];
  }

  void unverified_owner(const std::string& owner, const std::string& disk) {
    auto split = split_scale_set_instance(owner);
    UnverifiedOwner* u = nullptr;
    if (!split.scale_set_id.empty()) {
      ScaleSet set = scale_set_of(split.scale_set_id);
      u = &unverified(owner, "scale-set instance");
      if (u->commands.empty()) {
        u->why =
            "a Uniform scale-set instance: az vm list -d does not list these, and no --vmss "
            "export shows it";
        u->commands = {
            vmss_command("get-instance-view", set)
                .name("--instance-id", split.instance_id)
                .literal(std::string("--query \"statuses") + kPowerQuery + "\" -o tsv")
                .str(),
            vmss_export(set),
            vmss_command("deallocate", set).name("--instance-ids", split.instance_id).str()};
      }
    } else if (resource_type_segment(owner) == "virtualmachines") {
      u = &unverified(owner, "VM");
      if (u->commands.empty()) {
        u->why = "not in the VM export (another subscription or resource group?)";
        u->commands = {
            AzCommand("az vm get-instance-view")
                .resource_id("--ids", owner)
                .literal(std::string("--query \"instanceView.statuses") + kPowerQuery + "\" -o tsv")
                .str(),
            AzCommand("az vm deallocate").resource_id("--ids", owner).str()};
      }
    } else {
      u = &unverified(owner, "resource");
      if (u->commands.empty()) {
        u->why = "owns a disk on the DES but is neither a VM nor a scale-set instance";
        u->commands = {AzCommand("az resource show").resource_id("--ids", owner).str()};
      }
    }
    if (!disk.empty() && std::find(u->disks.begin(), u->disks.end(), disk) == u->disks.end())
      u->disks.push_back(disk);
  }

  void account_disks() {
    for (const auto& disk : in_.disks) {
      disk_ids_.insert(ascii_lower(disk.id));
      if (disk.owners.empty()) plan_.unattached_disks.push_back(disk.id);
      for (const auto& owner : disk.owners) {
        auto known = known_.find(ascii_lower(owner));
        if (known != known_.end())
          take(known->second);
        else
          unverified_owner(owner, disk.id);
      }
    }
  }

  void account_associated() {
    for (const auto& id : in_.associated) {
      std::string type = resource_type_segment(id);
      std::string lower = ascii_lower(id);
      if (type == "disks") {
        if (disk_ids_.count(lower)) continue;
        UnverifiedOwner& u = unverified(id, "disk");
        u.why =
            "on the DES (list-associated-resources) but not in the disk export: its owner "
            "is unknown";
        u.commands = {AzCommand("az disk show")
                          .resource_id("--ids", id)
                          .literal("--query \"[managedBy, managedByExtended]\" -o json")
                          .str()};
      } else if (type == "snapshots") {
        plan_.snapshots.push_back(id);
      } else if (type == "virtualmachinescalesets") {
        bool any = std::any_of(in_.instances.begin(), in_.instances.end(), [&](const CmkVm& i) {
          return ascii_lower(split_scale_set_instance(i.id).scale_set_id) == lower;
        });
        if (any) continue;
        UnverifiedOwner& u = unverified(id, "scale set");
        u.why =
            "a scale set on the DES (list-associated-resources) with no instance in a --vmss "
            "export";
        u.commands = {vmss_export(scale_set_of(id))};
      } else if (type == "virtualmachines") {
        auto known = known_.find(lower);
        if (known != known_.end())
          take(known->second);
        else
          unverified_owner(id, "");
      } else {
        plan_.other_resources.push_back(id);
      }
    }
  }

  void add_blockers() {
    for (const auto* group : {&plan_.confidential, &plan_.others})
      for (const auto& vm : *group)
        if (vm.ephemeral_os_disk)
          plan_.blockers.push_back(
              {vm.id,
               "ephemeral OS disk: CMK rotation is not supported for ephemeral OS disks, "
               "and a DES shared with one cannot rotate. Move this VM to another DES or "
               "delete it before rotating."});
    if (in_.des.auto_rotation && !plan_.confidential.empty())
      plan_.blockers.push_back(
          {in_.des.id,
           "automatic key rotation is on, and confidential VMs do not support it: "
           "turn it off (" +
               AzCommand("az disk-encryption-set update")
                   .resource_id("--ids", in_.des.id)
                   .literal("--enable-auto-key-rotation false")
                   .str() +
               ") and rotate by hand."});
  }

  void decide_rotation() {
    const DesInfo& des = in_.des;
    plan_.new_key_url = in_.new_key_url;
    plan_.before_key_url = in_.before_key_url;
    if (!in_.new_key_url.empty() && !same_key_url(des.active_key_url, in_.new_key_url))
      plan_.rotation = RotationState::new_key_not_active;
    else if (in_.new_key_url.empty() && in_.before_given)
      plan_.rotation = RotationState::new_key_not_active;  // still the --before key
    else if (!des.previous_key_urls.empty())
      plan_.rotation = RotationState::old_key_referenced;
    else if (!in_.new_key_url.empty())
      plan_.rotation = RotationState::done;
    else
      plan_.rotation = RotationState::not_checked;
  }

  void add_notes() {
    if (plan_.confidential.empty() && plan_.not_verified.empty())
      plan_.notes.push_back(
          "No confidential VM uses this DES: the confidential-VM rotation rules "
          "do not apply.");
    for (const auto& vm : plan_.confidential)
      if (vm.power == PowerState::stopped)
        plan_.notes.push_back(vm.id +
                              " is stopped but still allocated (billed); it counts as "
                              "stopped for the rotation, and deallocating also releases it.");
    if (!in_.associated_given)
      plan_.notes.push_back(
          "Without --associated (az disk-encryption-set list-associated-"
          "resources), only disks in the disk export are accounted for.");
    if (plan_.rotation == RotationState::old_key_referenced &&
        ascii_lower(in_.des.provisioning_state) == "updating")
      plan_.notes.push_back(
          "The DES is still updating (provisioningState Updating): export it "
          "again once it says Succeeded before retrying.");
    if (!in_.des.auto_key_rotation_error.empty())
      plan_.notes.push_back("The DES reports an automatic key rotation error: " +
                            in_.des.auto_key_rotation_error);
    if (plan_.rotation == RotationState::done)
      plan_.notes.push_back("The rotation is complete; the confidential VMs can be started again.");
  }

  /// `latchwatch plan cmk-rotation` again, on fresh exports under the owner's file names.
  std::string rerun(const std::string& des_file, const std::string& key_arg) const {
    AzCommand c("latchwatch plan cmk-rotation");
    c.path("--vms", in_.vms_file).path("--disks", in_.disks_file).path("--des", des_file);
    for (const auto& set : scale_sets()) c.path("--vmss", vmss_file(set));
    c.path("--associated", associated_file());
    if (!key_arg.empty()) c.literal("--new-key-url " + key_arg);
    return c.str();
  }

  std::string associated_file() const {
    return in_.associated_given ? in_.associated_file : std::string("associated.json");
  }

  /// The scale sets with an instance on the DES or not verified: each gets its own export.
  std::set<ScaleSet> scale_sets() const {
    std::set<ScaleSet> out;
    for (const auto* group : {&plan_.confidential, &plan_.others})
      for (const auto& m : *group)
        if (auto split = split_scale_set_instance(m.id); !split.scale_set_id.empty())
          out.insert(scale_set_of(split.scale_set_id));
    for (const auto& u : plan_.not_verified) {
      if (auto split = split_scale_set_instance(u.id); !split.scale_set_id.empty())
        out.insert(scale_set_of(split.scale_set_id));
      else if (u.kind == "scale set")
        out.insert(scale_set_of(u.id));
    }
    return out;
  }

  std::vector<std::string> exports(const std::string& des_file) const {
    std::vector<std::string> out = {"az vm list -d -o json > " + shell_quote(in_.vms_file),
                                    "az disk list -o json > " + shell_quote(in_.disks_file)};
    for (const auto& set : scale_sets()) out.push_back(vmss_export(set));
    out.push_back(AzCommand("az disk-encryption-set list-associated-resources")
                      .name("--subscription", id_part(in_.des.id, "subscriptions"))
                      .name("-g", id_part(in_.des.id, "resourcegroups"))
                      .name("-n", last_segment(in_.des.id))
                      .literal("-o json >")
                      .str() +
                  " " + shell_quote(associated_file()));
    out.push_back(show_des_into(des_file));
    return out;
  }

  std::string des_update(const std::string& key_words) const {
    AzCommand c("az disk-encryption-set update");
    c.resource_id("--ids", in_.des.id).literal("--key-url " + key_words);
    if (!in_.des.source_vault_id.empty()) c.resource_id("--source-vault", in_.des.source_vault_id);
    return c.str();
  }

  void add_stop_steps() {
    if (!plan_.blockers.empty())
      plan_.steps.push_back({"Clear the blockers first (see above)",
                             {},
                             "Nothing below reaches any VM while a blocker remains."});
    CmkStep stop{"Stop every confidential VM on the DES", {}, {}};
    if (plan_.not_stopped.empty()) {
      stop.note = "All " + std::to_string(plan_.confidential.size()) +
                  " confidential VMs and instances in the exports are already stopped.";
    } else {
      stop.commands = power_commands(plan_.not_stopped, false);
      stop.note = "If any one keeps running, the rotation reaches none of them.";
    }
    plan_.steps.push_back(stop);
    if (!plan_.not_verified.empty()) {
      CmkStep check{"Check the owners not verified stopped (see above)", {}, {}};
      for (const auto& u : plan_.not_verified) check.commands.push_back(u.commands.front());
      check.note =
          "Each must show VM deallocated or VM stopped (deallocate it if not); then "
          "export again so the plan can see it.";
      plan_.steps.push_back(check);
    }
    plan_.steps.push_back({"Verify that all are stopped: export again and re-run the plan",
                           exports(in_.des_file),
                           {}});
    // In a retry the plan is re-run against the same new key, so it keeps judging the rotation.
    bool verifying = !in_.new_key_url.empty();
    plan_.steps.back().commands.push_back(
        rerun(in_.des_file, verifying ? shell_quote_checked_key(in_.new_key_url) : ""));
    plan_.steps.back().note = "The plan must say READY (for it) before the DES is saved.";
  }

  void add_start_step() {
    std::vector<CmkVm> to_start;
    for (const auto& vm : plan_.not_stopped)
      if (vm.power == PowerState::running || vm.power == PowerState::transitioning)
        to_start.push_back(vm);
    if (!to_start.empty())
      plan_.steps.push_back({"Once the plan says DONE, start the VMs that were running",
                             power_commands(to_start, true),
                             {}});
  }

  /// The rotation from the start: stop, verify, new key version, save, verify.
  void add_rotation_steps() {
    const DesInfo& des = in_.des;
    add_stop_steps();
    KeyUrlParts key = split_key_url(des.active_key_url);
    plan_.steps.push_back(
        {"Create the new key version and save the DES with it",
         {AzCommand("az keyvault key rotate")
              .name("--vault-name", key.vault)
              .name("--name", key.key)
              .str(),
          "NEW_KEY_URL=$(" +
              AzCommand("az keyvault key show")
                  .name("--vault-name", key.vault)
                  .name("--name", key.key)
                  .literal("--query key.kid -o tsv")
                  .str() +
              ")",
          des_update("\"$NEW_KEY_URL\"")},
         "Use a new version of the key (or another key); the DES update is the save."});
    plan_.steps.push_back(
        {"Verify the rotation: activeKey is the new version and previousKeys is empty",
         {show_des_into("des-after.json"), rerun("des-after.json", "\"$NEW_KEY_URL\"")},
         "While previousKeys lists the old key, the plan gives the retry: save the DES again "
         "with the same new key, every confidential VM stopped."});
  }

  /// Saving the DES with a known new key: the retry, or the save that did not happen yet.
  void add_save_steps(const std::string& key) {
    add_stop_steps();
    bool retry = plan_.rotation == RotationState::old_key_referenced;
    plan_.steps.push_back(
        {retry ? "Retry: save the DES again with the same new key"
               : "Save the DES with the new key",
         {des_update(shell_quote_checked_key(key))},
         retry ? "The DES still references the old key (previousKeys). Saving it again with the "
                 "same new key, every confidential VM stopped, moves what is left."
               : "The DES's active key is not the new version yet."});
    plan_.steps.push_back(
        {"Verify the rotation: activeKey is the new version and previousKeys is empty",
         {show_des_into("des-after.json"), rerun("des-after.json", shell_quote_checked_key(key))},
         "Keep the confidential VMs stopped until the plan says DONE."});
  }

  std::string show_des_into(const std::string& file) const {
    return AzCommand("az disk-encryption-set show")
               .resource_id("--ids", in_.des.id)
               .literal("-o json >")
               .str() +
           " " + shell_quote(file);
  }

  void add_steps() {
    if (plan_.rotation == RotationState::done) return;
    if (plan_.rotation == RotationState::not_checked ||
        (plan_.rotation == RotationState::new_key_not_active && plan_.new_key_url.empty()))
      add_rotation_steps();  // no new version saved yet (--before shows the same active key)
    else
      add_save_steps(plan_.new_key_url.empty() ? in_.des.active_key_url : plan_.new_key_url);
    add_start_step();
  }

  static std::string shell_quote_checked_key(const std::string& key) {
    return is_versioned_key_url(key) ? shell_quote(key) : std::string("<invalid key URL>");
  }

  const CmkInputs& in_;
  CmkPlan& plan_;
  std::map<std::string, const CmkVm*> known_;
  std::set<std::string> associated_, whole_sets_, taken_, disk_ids_;
  std::vector<const CmkVm*> on_des_;
  std::map<std::string, std::size_t> unverified_index_;
};

}  // namespace

const char* to_string(RotationState s) {
  switch (s) {
    case RotationState::done:
      return "done";
    case RotationState::old_key_referenced:
      return "old_key_still_referenced";
    case RotationState::new_key_not_active:
      return "new_key_not_active";
    case RotationState::not_checked:
      break;
  }
  return "not_checked";
}

bool CmkPlan::complete() const {
  return rotation == RotationState::done || (rotation == RotationState::not_checked && ready);
}

CmkPlan build_cmk_plan(const CmkInputs& in) {
  CmkPlan plan;
  plan.des = in.des;
  Builder(in, plan).run();
  return plan;
}

}  // namespace latchwatch::plan
