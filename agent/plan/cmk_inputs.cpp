// Reading the az exports behind the CMK rotation plan, with errors that name file and field and
// say which az command prints the right file.

#include <algorithm>
#include <future>
#include <map>

#include "agent/plan/cmk_plan.h"
#include "agent/plan/json_cursor.h"
#include "agent/plan/resource_text.h"
#include "probes/payloads/json_limits.h"

namespace latchwatch::plan {
namespace {

constexpr const char* kVmType = "microsoft.compute/virtualmachines";
constexpr const char* kDiskType = "microsoft.compute/disks";
constexpr const char* kDesType = "microsoft.compute/diskencryptionsets";

/// What a resource type says the file really is, for "this is not what it claims" errors.
std::string looks_like(const std::string& lower_type) {
  if (lower_type == kVmType) return "a VM (az vm list -d prints these)";
  if (lower_type == kDiskType) return "a managed disk (az disk list prints these)";
  if (lower_type == kDesType) return "a Disk Encryption Set (az disk-encryption-set show)";
  return "a '" + lower_type + "' resource";
}

/// Checks `type` when present: az always prints it, so a different one means a swapped file.
bool type_matches(const JsonCursor& item, const char* wanted, InputErrors& errors) {
  auto type = item["type"].text(errors);
  if (!type) return true;
  std::string lower = ascii_lower(*type);
  if (lower == wanted) return true;
  errors.add(item["type"].path(), "this is " + looks_like(probes::sanitize_text(lower, 80)) +
                                      ", not " + looks_like(wanted));
  return false;
}

std::optional<nlohmann::json> parse_file(const NamedFile& file, InputErrors& errors) {
  std::string parse_error;
  nlohmann::json doc = probes::parse_untrusted_json(file.text, parse_error);
  if (!parse_error.empty()) {
    errors.add("", "not JSON: " + parse_error);
    return std::nullopt;
  }
  return doc;
}

std::string resource_id(const JsonCursor& c, InputErrors& errors, bool required) {
  return c.checked_text(errors, is_azure_resource_id, "an Azure resource id", required)
      .value_or(std::string());
}

std::string key_url(const JsonCursor& c, InputErrors& errors, bool required) {
  return c.checked_text(errors, is_key_url, "a Key Vault key URL", required).value_or(std::string());
}

/// The elements of an az list export. A file whose first element is another resource type is
/// one error (the files were swapped), not one per element.
std::vector<JsonCursor> array_of(const nlohmann::json& doc, const char* wanted_type,
                                 const char* command, InputErrors& errors) {
  JsonCursor root(&doc, "");
  auto type_of = [](const nlohmann::json& item) {
    return item.is_object() && item.contains("type") && item["type"].is_string()
               ? ascii_lower(item["type"].get<std::string>())
               : std::string();
  };
  std::string wanted = std::string("the JSON array that `") + command + "` prints";
  if (!doc.is_array()) {
    std::string found = type_of(doc).empty() ? json_kind(doc) : looks_like(type_of(doc));
    errors.add("", "expected " + wanted + ", found " + probes::sanitize_text(found, 120));
    return {};
  }
  if (!doc.empty()) {
    std::string first = type_of(doc[0]);
    if (!first.empty() && first != wanted_type) {
      errors.add("[0].type", "this file lists " + probes::sanitize_text(looks_like(first), 120) +
                                 ", but it should be " + wanted);
      return {};
    }
  }
  return root.elements(errors);
}

DesInfo read_des(const nlohmann::json& doc, InputErrors& errors) {
  DesInfo des;
  JsonCursor root(&doc, "");
  if (!doc.is_object()) {
    errors.add("", std::string("expected one Disk Encryption Set object (az disk-encryption-set "
                               "show), found ") + json_kind(doc));
    return des;
  }
  if (!type_matches(root, kDesType, errors)) return des;
  des.id = resource_id(root["id"], errors, true);
  if (auto name = root["name"].text(errors); name && is_azure_name(*name)) des.name = *name;
  des.active_key_url = key_url(root.at_path("activeKey.keyUrl"), errors, true);
  des.source_vault_id = resource_id(root.at_path("activeKey.sourceVault.id"), errors, false);
  for (const auto& previous : root["previousKeys"].elements(errors))
    if (auto url = key_url(previous["keyUrl"], errors, false); !url.empty())
      des.previous_key_urls.push_back(url);
  if (auto automatic = root["rotationToLatestKeyVersionEnabled"].boolean(errors))
    des.auto_rotation = *automatic;
  if (auto type = root["encryptionType"].text(errors); type && is_azure_name(*type))
    des.encryption_type = *type;
  return des;
}

bool same_id(const std::string& a, const std::string& b) {
  return !a.empty() && ascii_lower(a) == ascii_lower(b);
}

std::vector<CmkDisk> read_disks(const nlohmann::json& doc, const std::string& des_id,
                                InputErrors& errors) {
  std::vector<CmkDisk> out;
  for (const auto& item : array_of(doc, kDiskType, "az disk list", errors)) {
    if (!item.expect_object(errors) || !type_matches(item, kDiskType, errors)) continue;
    CmkDisk disk;
    disk.id = resource_id(item["id"], errors, true);
    if (disk.id.empty()) continue;
    std::string sse = resource_id(item.at_path("encryption.diskEncryptionSetId"), errors, false);
    std::string cvm =
        resource_id(item.at_path("securityProfile.secureVMDiskEncryptionSetId"), errors, false);
    if (!same_id(sse, des_id) && !same_id(cvm, des_id)) continue;
    if (auto name = item["name"].text(errors); name && is_azure_name(*name)) disk.name = *name;
    disk.managed_by = resource_id(item["managedBy"], errors, false);
    disk.key_url = key_url(item.at_path("encryption.keyUrl"), errors, false);
    out.push_back(std::move(disk));
  }
  return out;
}

std::vector<CmkVm> read_vms(const nlohmann::json& doc, const DesInfo& des,
                            const std::vector<CmkDisk>& des_disks, InputErrors& errors) {
  // The disks on the DES by owning VM, per the disk export (ids compare case-insensitively).
  std::map<std::string, std::vector<const CmkDisk*>> disks_by_owner;
  for (const auto& d : des_disks)
    if (!d.managed_by.empty()) disks_by_owner[ascii_lower(d.managed_by)].push_back(&d);
  std::vector<CmkVm> out;
  bool any_power_state = false;
  auto items = array_of(doc, kVmType, "az vm list -d", errors);
  for (const auto& item : items) {
    if (!item.expect_object(errors) || !type_matches(item, kVmType, errors)) continue;
    CmkVm vm;
    vm.id = resource_id(item["id"], errors, true);
    if (vm.id.empty()) continue;
    if (auto name = item["name"].text(errors); name && is_azure_name(*name)) vm.name = *name;
    if (auto power = item["powerState"].text(errors)) {
      any_power_state = true;
      vm.power_text = probes::sanitize_text(*power, 40);
      vm.power = power_state_from_text(*power);
    }
    if (auto type = item.at_path("securityProfile.securityType").text(errors);
        type && is_azure_name(*type))
      vm.security_type = *type;
    vm.confidential = ascii_lower(vm.security_type) == "confidentialvm";
    auto os = item.at_path("storageProfile.osDisk");
    if (auto option = os.at_path("diffDiskSettings.option").text(errors))
      vm.ephemeral_os_disk = ascii_lower(*option) == "local";
    auto os_label = [&] {
      std::string id = resource_id(os.at_path("managedDisk.id"), errors, false);
      if (!id.empty()) return id;
      auto name = os["name"].text(errors);
      return std::string("OS disk") + (name && is_azure_name(*name) ? " " + *name : "");
    };
    if (same_id(resource_id(os.at_path("managedDisk.securityProfile.diskEncryptionSet.id"), errors,
                            false),
                des.id) ||
        same_id(resource_id(os.at_path("managedDisk.diskEncryptionSet.id"), errors, false), des.id))
      vm.disks_on_des.push_back(os_label());
    for (const auto& data : item.at_path("storageProfile.dataDisks").elements(errors))
      if (same_id(resource_id(data.at_path("managedDisk.diskEncryptionSet.id"), errors, false),
                  des.id))
        vm.disks_on_des.push_back(resource_id(data.at_path("managedDisk.id"), errors, false));
    auto owned = disks_by_owner.find(ascii_lower(vm.id));
    if (owned != disks_by_owner.end())
      for (const CmkDisk* d : owned->second)
        if (std::none_of(vm.disks_on_des.begin(), vm.disks_on_des.end(),
                         [&](const std::string& s) { return same_id(s, d->id); }))
          vm.disks_on_des.push_back(d->id);
    if (!vm.disks_on_des.empty()) out.push_back(std::move(vm));
  }
  if (!items.empty() && !any_power_state)
    errors.add("", "no VM has a powerState: export with `az vm list -d` (-d adds the power "
                   "state), not `az vm list`");
  return out;
}

}  // namespace

const char* to_string(PowerState p) {
  switch (p) {
    case PowerState::running: return "running";
    case PowerState::stopped: return "stopped";
    case PowerState::deallocated: return "deallocated";
    case PowerState::transitioning: return "transitioning";
    case PowerState::unknown: break;
  }
  return "unknown";
}

PowerState power_state_from_text(const std::string& text) {
  std::string lower = ascii_lower(text);
  for (const char* prefix : {"vm ", "powerstate/"})
    if (lower.rfind(prefix, 0) == 0) lower = lower.substr(std::string(prefix).size());
  if (lower == "running") return PowerState::running;
  if (lower == "stopped") return PowerState::stopped;
  if (lower == "deallocated") return PowerState::deallocated;
  if (lower == "starting" || lower == "stopping" || lower == "deallocating")
    return PowerState::transitioning;
  return PowerState::unknown;
}

CmkInputs read_cmk_inputs(const NamedFile& vms, const NamedFile& disks, const NamedFile& des,
                          const std::optional<NamedFile>& disks_after) {
  CmkInputs inputs;
  inputs.vms_file = vms.name;
  inputs.disks_file = disks.name;
  inputs.des_file = des.name;
  InputErrors des_errors(des.name), disk_errors(disks.name), vm_errors(vms.name);
  if (auto doc = parse_file(des, des_errors)) inputs.des = read_des(*doc, des_errors);
  if (des_errors.empty()) {
    // The VM export is the large one: it parses on another core while the disks are read.
    auto vm_doc = std::async(std::launch::async, [&] { return parse_file(vms, vm_errors); });
    if (auto doc = parse_file(disks, disk_errors))
      inputs.disks = read_disks(*doc, inputs.des.id, disk_errors);
    if (auto doc = vm_doc.get()) inputs.vms = read_vms(*doc, inputs.des, inputs.disks, vm_errors);
    if (disks_after) {
      InputErrors after_errors(disks_after->name);
      if (auto doc = parse_file(*disks_after, after_errors))
        inputs.disks_after = read_disks(*doc, inputs.des.id, after_errors);
      disk_errors.absorb(after_errors);
    }
  }
  for (const InputErrors* e : {&des_errors, &vm_errors, &disk_errors})
    inputs.errors.insert(inputs.errors.end(), e->items().begin(), e->items().end());
  return inputs;
}

}  // namespace latchwatch::plan
