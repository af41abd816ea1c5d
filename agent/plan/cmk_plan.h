#pragma once
/// The customer-managed key (CMK) rotation plan for the confidential VMs on one Disk Encryption
/// Set (domain brief §8), computed from what `az vm list -d`, `az disk list` and
/// `az disk-encryption-set show` print. Rotation reaches no VM unless every confidential VM on
/// the DES is stopped; ephemeral OS disks block it outright; confidential VMs do not support
/// automatic rotation. With the disks exported after a rotation, it lists disks left on the old
/// key version and the retry (save the DES again with the same new key).
///
/// Pure logic; never throws on bad input: a file that is not what it claims is an error naming
/// the file and the field.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace latchwatch::plan {

enum class PowerState { running, stopped, deallocated, transitioning, unknown };
const char* to_string(PowerState p);
/// "VM running", "PowerState/deallocated"... → the state; anything else → unknown.
PowerState power_state_from_text(const std::string& text);

struct CmkVm {
  std::string id;
  std::string name;
  std::string power_text;  ///< as az printed it
  PowerState power = PowerState::unknown;
  std::string security_type;  ///< "ConfidentialVM", "TrustedLaunch", ""
  bool confidential = false;
  bool ephemeral_os_disk = false;
  std::vector<std::string> disks_on_des;  ///< disk ids (or "os disk") encrypted with the DES
};

struct CmkDisk {
  std::string id;
  std::string name;
  std::string managed_by;  ///< the VM id, empty when unattached
  std::string key_url;     ///< the key version the disk reports, when the export shows it
};

struct DesInfo {
  std::string id;
  std::string name;
  std::string active_key_url;
  std::string source_vault_id;
  std::vector<std::string> previous_key_urls;
  bool auto_rotation = false;
  std::string encryption_type;
};

/// The three (or four) exports, parsed. Errors name the file and field.
struct CmkInputs {
  DesInfo des;
  std::vector<CmkVm> vms;  ///< only VMs with a disk on the DES
  std::vector<CmkDisk> disks;  ///< only disks on the DES
  std::optional<std::vector<CmkDisk>> disks_after;  ///< --after: disks on the DES after rotation
  std::vector<std::string> errors;
  std::string vms_file = "vms.json", disks_file = "disks.json", des_file = "des.json";
};

struct NamedFile {
  std::string name;  ///< as given on the command line, for errors
  std::string text;
};

CmkInputs read_cmk_inputs(const NamedFile& vms, const NamedFile& disks, const NamedFile& des,
                          const std::optional<NamedFile>& disks_after);

struct CmkStep {
  std::string title;
  std::vector<std::string> commands;
  std::string note;
};

struct CmkBlocker {
  std::string vm_id;
  std::string reason;
};

struct StaleDisk {
  std::string disk_id;
  std::string key_version;  ///< empty when the export does not show it
};

struct CmkPlan {
  DesInfo des;
  std::vector<CmkVm> confidential;  ///< confidential VMs on the DES
  std::vector<CmkVm> others;        ///< non-confidential VMs on the DES (trusted launch...)
  std::vector<std::string> unattached_disks;
  std::vector<CmkVm> not_stopped;   ///< confidential VMs that must be stopped first
  std::vector<CmkBlocker> blockers;  ///< what stops the rotation outright (ephemeral, auto)
  std::vector<CmkStep> steps;
  bool ready = false;  ///< no blocker and every confidential VM stopped
  bool after_checked = false;
  std::vector<StaleDisk> still_on_old_key;
  std::vector<std::string> unverifiable_disks;  ///< the after-export shows no key version
  std::vector<std::string> notes;
};

CmkPlan build_cmk_plan(const CmkInputs& inputs);

nlohmann::json cmk_plan_document(const CmkPlan& plan);
std::string cmk_plan_text(const CmkPlan& plan);

}  // namespace latchwatch::plan
