#pragma once
/// The customer-managed key (CMK) rotation plan for the confidential VMs on one Disk Encryption
/// Set (domain brief §8, real-platform.md §4), computed from what `az vm list -d`, `az disk list`
/// and `az disk-encryption-set show` print, optionally with `az vmss list-instances --expand
/// instanceView` (Uniform scale-set instances, which `az vm list -d` leaves out) and
/// `az disk-encryption-set list-associated-resources`.
///
/// Rotation reaches no VM unless every confidential VM on the DES is stopped; ephemeral OS disks
/// block it outright; confidential VMs do not support automatic rotation. Every disk on the DES is
/// accounted for: an owner that no export shows stopped is "not verified stopped" and the plan is
/// not ready. The rotation is done when the DES's `activeKey.keyUrl` is the new version (named
/// with `--new-key-url`) and `previousKeys` is empty; while `previousKeys` lists a key, the old
/// key is still referenced and the retry is to save the DES again with the same new key.
///
/// Pure logic; never throws on bad input: a file that is not what it claims is an error naming
/// the file and the field.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace latchwatch::plan {

enum class PowerState { running, stopped, deallocated, transitioning, unknown };
const char* to_string(PowerState p);
/// "VM running", "PowerState/deallocated"... → the state; anything else → unknown.
PowerState power_state_from_text(const std::string& text);

/// A VM from `az vm list -d`, or a scale-set instance from `az vmss list-instances`.
struct CmkVm {
  std::string id;
  std::string name;
  bool scale_set_instance = false;  ///< id is …/virtualMachineScaleSets/S/virtualMachines/N
  std::string power_text;           ///< as az printed it
  PowerState power = PowerState::unknown;
  std::string security_type;  ///< "ConfidentialVM", "TrustedLaunch", ""
  bool confidential = false;
  bool ephemeral_os_disk = false;
  std::vector<std::string> disks_on_des;  ///< disk ids (or "OS disk NAME") encrypted with the DES
};

struct CmkDisk {
  std::string id;
  std::string name;
  std::vector<std::string> owners;  ///< managedBy, then managedByExtended (shared disks)
  std::string security_type;        ///< securityProfile.securityType, e.g. ConfidentialVM_…
  bool confidential() const;
};

struct DesInfo {
  std::string id;
  std::string name;
  std::string active_key_url;
  std::string source_vault_id;
  std::vector<std::string> previous_key_urls;
  bool auto_rotation = false;
  std::string encryption_type;
  std::string last_key_rotation;        ///< lastKeyRotationTimestamp, empty when null
  std::string provisioning_state;       ///< "Succeeded", "Updating"...
  std::string auto_key_rotation_error;  ///< autoKeyRotationError.message, sanitized
};

struct NamedFile {
  std::string name;  ///< as given on the command line, for errors
  std::string text;
};

/// What the owner handed over. `vmss` may hold one export per scale set.
struct CmkFiles {
  NamedFile vms, disks, des;
  std::vector<NamedFile> vmss;
  std::optional<NamedFile> associated;
  std::string new_key_url;  ///< --new-key-url, empty when not given
  /// --before: the DES as exported before the rotation; a different activeKey now is the new key.
  std::optional<NamedFile> before;
};

/// The exports, parsed. Errors name the file and field.
struct CmkInputs {
  DesInfo des;
  std::vector<CmkVm> vms;               ///< VMs (az vm list -d) with a disk on the DES
  std::vector<CmkVm> instances;         ///< every scale-set instance in the --vmss exports
  std::vector<CmkDisk> disks;           ///< only disks on the DES
  std::vector<std::string> associated;  ///< list-associated-resources ids
  bool associated_given = false;
  std::string new_key_url;  ///< --new-key-url, or the active key when it differs from --before
  bool before_given = false;
  std::string before_key_url;  ///< activeKey.keyUrl of the --before export
  std::vector<std::string> errors;
  std::string vms_file = "vms.json", disks_file = "disks.json", des_file = "des.json";
  std::vector<std::string> vmss_files;
  std::string associated_file;
};

CmkInputs read_cmk_inputs(const CmkFiles& files);

struct CmkStep {
  std::string title;
  std::vector<std::string> commands;
  std::string note;
};

struct CmkBlocker {
  std::string vm_id;
  std::string reason;
};

/// An owner of a disk on the DES (or a resource listed by list-associated-resources) that no
/// export shows stopped.
struct UnverifiedOwner {
  std::string id;
  std::string kind;                ///< "scale-set instance", "VM", "disk", "scale set", "resource"
  std::vector<std::string> disks;  ///< the disks on the DES it holds
  std::string why;
  std::vector<std::string> commands;  ///< what shows its power state (or its owner)
};

enum class RotationState {
  not_checked,         ///< no --new-key-url: a plan for the rotation to come
  done,                ///< activeKey is the new version, previousKeys empty
  old_key_referenced,  ///< previousKeys lists a key: the retry applies
  new_key_not_active,  ///< activeKey is not the new version
};
const char* to_string(RotationState s);

struct CmkPlan {
  DesInfo des;
  std::string new_key_url;
  std::string before_key_url;  ///< activeKey of the --before export, when given
  RotationState rotation = RotationState::not_checked;
  std::vector<CmkVm> confidential;  ///< confidential VMs and instances on the DES
  std::vector<CmkVm> others;        ///< non-confidential VMs and instances on the DES
  std::vector<std::string> unattached_disks;
  std::vector<std::string> snapshots;         ///< associated snapshots (nothing to stop)
  std::vector<std::string> other_resources;   ///< associated resources of other kinds
  std::vector<CmkVm> not_stopped;             ///< confidential VMs that must be stopped first
  std::vector<UnverifiedOwner> not_verified;  ///< owners no export shows stopped
  std::vector<CmkBlocker> blockers;           ///< what stops the rotation outright
  std::vector<CmkStep> steps;
  bool ready = false;  ///< no blocker, every confidential VM stopped, every owner verified
  std::vector<std::string> notes;

  /// The exit status the command reports: 0 when nothing is left to do (ready to rotate with no
  /// rotation pending, or done), 1 otherwise.
  bool complete() const;
};

CmkPlan build_cmk_plan(const CmkInputs& inputs);

nlohmann::json cmk_plan_document(const CmkPlan& plan);
std::string cmk_plan_text(const CmkPlan& plan);

}  // namespace latchwatch::plan
