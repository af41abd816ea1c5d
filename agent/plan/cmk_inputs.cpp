// Reading the az exports behind the CMK rotation plan, with errors that name file and field and
// say which az command prints the right file. Shapes: tests/fixtures/plan/README.md.

#include <algorithm>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "agent/plan/cmk_command.h"
#include "agent/plan/cmk_plan.h"
#include "agent/plan/json_cursor.h"
#include "agent/plan/resource_text.h"
#include "probes/base/json_limits.h"

namespace latchwatch::plan {
namespace {

constexpr const char* kVmType = "microsoft.compute/virtualmachines";
constexpr const char* kInstanceType = "microsoft.compute/virtualmachinescalesets/virtualmachines";
constexpr const char* kDiskType = "microsoft.compute/disks";
constexpr const char* kDesType = "microsoft.compute/diskencryptionsets";

/// What a resource type says the file really is, for "this is not what it claims" errors.
std::string looks_like(const std::string& lower_type) {
  if (lower_type == kVmType) return "a VM (az vm list -d prints these)";
  if (lower_type == kInstanceType)
    return "a scale-set instance (az vmss list-instances prints these)";
  if (lower_type == kDiskType) return "a managed disk (az disk list prints these)";
  if (lower_type == kDesType) return "a Disk Encryption Set (az disk-encryption-set show)";
  return "a '" + lower_type + "' resource";
}

std::string type_of(const nlohmann::json& item) {
  return item.is_object() && item.contains("type") && item["type"].is_string()
             ? ascii_lower(item["type"].get<std::string>())
             : std::string();
}

/// Checks `type` when present: az always prints it, so a different one means a swapped file.
bool type_matches(const JsonCursor& item, std::initializer_list<const char*> wanted,
                  InputErrors& errors) {
  auto type = item["type"].text(errors);
  if (!type) return true;
  std::string lower = ascii_lower(*type);
  for (const char* w : wanted)
    if (lower == w) return true;
  errors.add(item["type"].path(), "this is " + looks_like(probes::sanitize_text(lower, 80)) +
                                      ", not " + looks_like(*wanted.begin()));
  return false;
}

/// Parses an az list export keeping only the members the plan reads: `az vm list -d` prints every
/// model attribute (most of them null or profiles the plan never looks at), and a 10,000-VM export
/// runs to tens of MiB. Depth 2 holds the keys of each listed resource; depth 3 those of its
/// profiles, where only the instance view's per-disk, agent and extension detail is dropped.
bool keep_member(int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
  if (event != nlohmann::json::parse_event_t::key || depth < 2 || depth > 3 || !parsed.is_string())
    return true;
  const auto& key = parsed.get_ref<const std::string&>();
  if (depth == 3)
    return key != "disks" && key != "vmAgent" && key != "extensions" && key != "imageReference";
  static const std::set<std::string, std::less<>> kRead = {"id",
                                                           "name",
                                                           "type",
                                                           "powerState",
                                                           "securityProfile",
                                                           "storageProfile",
                                                           "instanceView",
                                                           "managedBy",
                                                           "managedByExtended",
                                                           "encryption",
                                                           "instanceId"};
  return kRead.count(key) != 0;
}

std::optional<nlohmann::json> parse_list_in_parts(std::string_view text,
                                                  const nlohmann::json::parser_callback_t& keep);

std::optional<nlohmann::json> parse_file(const NamedFile& file, InputErrors& errors,
                                         bool az_list = false) {
  if (az_list)
    if (auto doc = parse_list_in_parts(file.text, keep_member)) return doc;
  std::string parse_error;
  nlohmann::json doc = az_list ? probes::parse_untrusted_json(file.text, parse_error, keep_member)
                               : probes::parse_untrusted_json(file.text, parse_error);
  if (!parse_error.empty()) {
    errors.add("",
               parse_error.rfind("not JSON", 0) == 0 ? parse_error : "not JSON: " + parse_error);
    return std::nullopt;
  }
  return doc;
}

/// Where a large JSON array may be cut: the offsets of commas between its top-level elements,
/// about `parts` - 1 of them, evenly spread. Empty when `text` is not an array or is small.
std::vector<std::size_t> cut_points(std::string_view text, std::size_t parts) {
  std::size_t start = text.find_first_not_of(" \t\r\n");
  if (parts < 2 || start == std::string_view::npos || text[start] != '[') return {};
  std::vector<std::size_t> cuts;
  int depth = 0;
  bool in_string = false, escaped = false;
  for (std::size_t i = start; i < text.size() && cuts.size() + 1 < parts; ++i) {
    char c = text[i];
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      --depth;
    } else if (c == ',' && depth == 1 && i >= text.size() * (cuts.size() + 1) / parts) {
      cuts.push_back(i);
    }
  }
  return cuts;
}

/// An az list export of many MiB parsed in parts on several cores, then joined into one array
/// (elements are moved, so paths and indexes are those of the whole file). Any part that does not
/// parse sends the whole file through the ordinary parser, so errors name the file's own line and
/// column.
std::optional<nlohmann::json> parse_list_in_parts(std::string_view text,
                                                  const nlohmann::json::parser_callback_t& keep) {
  constexpr std::size_t kBytesPerPart = 8u << 20;
  std::size_t parts = std::min<std::size_t>(std::max(1u, std::thread::hardware_concurrency()),
                                            text.size() / kBytesPerPart);
  auto cuts = cut_points(text, parts);
  if (cuts.empty()) return std::nullopt;
  auto part_text = [&](std::size_t k) {
    std::size_t from = k == 0 ? 0 : cuts[k - 1] + 1;
    std::size_t to = k < cuts.size() ? cuts[k] : text.size();
    return std::string(k == 0 ? "" : "[") + std::string(text.substr(from, to - from)) +
           (k < cuts.size() ? "]" : "");
  };
  auto parse_part = [&](std::size_t k) {
    std::string error;
    nlohmann::json doc = probes::parse_untrusted_json(part_text(k), error, keep);
    return error.empty() && doc.is_array() ? std::optional<nlohmann::json>(std::move(doc))
                                           : std::nullopt;
  };
  std::vector<std::future<std::optional<nlohmann::json>>> rest;
  for (std::size_t k = 1; k <= cuts.size(); ++k)
    rest.push_back(std::async(std::launch::async, parse_part, k));
  auto whole = parse_part(0);
  bool ok = whole.has_value();
  for (auto& part : rest) {
    auto doc = part.get();
    if (!ok || !doc) {
      ok = false;
      continue;
    }
    for (auto& element : *doc) whole->push_back(std::move(element));
  }
  return ok ? whole : std::nullopt;
}

std::string resource_id(const JsonCursor& c, InputErrors& errors, bool required) {
  return c.checked_text(errors, is_azure_resource_id, "an Azure resource id", required)
      .value_or(std::string());
}

std::string key_url(const JsonCursor& c, InputErrors& errors, bool required) {
  return c.checked_text(errors, is_versioned_key_url, "a versioned Key Vault key URL", required)
      .value_or(std::string());
}

std::string name_of(const JsonCursor& c, InputErrors& errors) {
  auto text = c.text(errors);
  return text && is_azure_name(*text) ? *text : std::string();
}

/// The elements of an az list export. A file whose first element is another resource type is
/// one error (the files were swapped), not one per element.
std::vector<JsonCursor> array_of(const nlohmann::json& doc,
                                 std::initializer_list<const char*> wanted_types,
                                 const char* command, InputErrors& errors) {
  JsonCursor root(&doc, "");
  std::string wanted = std::string("the JSON array that `") + command + "` prints";
  if (!doc.is_array()) {
    std::string found = type_of(doc).empty() ? json_kind(doc) : looks_like(type_of(doc));
    errors.add("", "expected " + wanted + ", found " + probes::sanitize_text(found, 120));
    return {};
  }
  if (!doc.empty()) {
    std::string first = type_of(doc[0]);
    if (!first.empty() && std::none_of(wanted_types.begin(), wanted_types.end(),
                                       [&](const char* w) { return first == w; })) {
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
    std::string found = doc.is_array() && !doc.empty() && !type_of(doc[0]).empty()
                            ? "a list of " + looks_like(type_of(doc[0]))
                            : std::string(json_kind(doc));
    errors.add("",
               "expected one Disk Encryption Set object (az disk-encryption-set show), "
               "found " +
                   probes::sanitize_text(found, 120));
    return des;
  }
  if (!type_matches(root, {kDesType}, errors)) return des;
  des.id = resource_id(root["id"], errors, true);
  des.name = name_of(root["name"], errors);
  des.active_key_url = key_url(root.at_path("activeKey.keyUrl"), errors, true);
  des.source_vault_id = resource_id(root.at_path("activeKey.sourceVault.id"), errors, false);
  for (const auto& previous : root["previousKeys"].elements(errors)) {
    if (!previous.expect_object(errors)) continue;
    // A previous key whose URL cannot be read still means the old key is referenced.
    std::string url = key_url(previous["keyUrl"], errors, false);
    des.previous_key_urls.push_back(url.empty() ? "(unreadable keyUrl)" : url);
  }
  if (auto automatic = root["rotationToLatestKeyVersionEnabled"].boolean(errors))
    des.auto_rotation = *automatic;
  des.encryption_type = name_of(root["encryptionType"], errors);
  des.provisioning_state = name_of(root["provisioningState"], errors);
  if (auto when = root["lastKeyRotationTimestamp"].text(errors))
    des.last_key_rotation = probes::sanitize_text(*when, 40);
  if (auto message = root.at_path("autoKeyRotationError.message").text(errors))
    des.auto_key_rotation_error = probes::sanitize_text(*message, 300);
  return des;
}

/// Resource ids compare without ASCII case, and without a copy: this runs for every disk of every
/// VM in a 10,000-VM export.
bool same_id(const std::string& a, const std::string& b) {
  if (a.empty() || a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::vector<CmkDisk> read_disks(const nlohmann::json& doc, const std::string& des_id,
                                InputErrors& errors) {
  std::vector<CmkDisk> out;
  for (const auto& item : array_of(doc, {kDiskType}, "az disk list", errors)) {
    if (!item.expect_object(errors) || !type_matches(item, {kDiskType}, errors)) continue;
    CmkDisk disk;
    disk.id = resource_id(item["id"], errors, true);
    if (disk.id.empty()) continue;
    // A disk names its DES in encryption (server-side encryption) and, for a confidential OS
    // disk, in securityProfile (disk.json / diskRPCommon.json 2024-03-02); neither carries a key
    // URL or version.
    std::string sse = resource_id(item.at_path("encryption.diskEncryptionSetId"), errors, false);
    std::string cvm =
        resource_id(item.at_path("securityProfile.secureVMDiskEncryptionSetId"), errors, false);
    if (!same_id(sse, des_id) && !same_id(cvm, des_id)) continue;
    disk.name = name_of(item["name"], errors);
    disk.security_type = name_of(item.at_path("securityProfile.securityType"), errors);
    if (auto owner = resource_id(item["managedBy"], errors, false); !owner.empty())
      disk.owners.push_back(owner);
    for (const auto& extra : item["managedByExtended"].elements(errors))
      if (auto owner = resource_id(extra, errors, false);
          !owner.empty() && std::none_of(disk.owners.begin(), disk.owners.end(),
                                         [&](const std::string& o) { return same_id(o, owner); }))
        disk.owners.push_back(owner);
    out.push_back(std::move(disk));
  }
  return out;
}

/// The power state of a VM (`powerState`, which `az vm list -d` joins from the PowerState/
/// statuses) or of a scale-set instance (`instanceView.statuses`, with --expand instanceView).
bool read_power(const JsonCursor& item, CmkVm& vm, InputErrors& errors) {
  // `powerState` is "" when no status starts with PowerState/; null is taken the same way.
  if (item.raw()->contains("powerState")) {
    auto power = item["powerState"].text(errors);
    vm.power_text = probes::sanitize_text(power.value_or(""), 40);
    vm.power = power_state_from_text(power.value_or(""));
    return true;
  }
  auto statuses = item.at_path("instanceView.statuses");
  if (!statuses.exists()) return false;
  for (const auto& status : statuses.elements(errors)) {
    auto code = status["code"].text(errors);
    if (!code || ascii_lower(*code).rfind("powerstate/", 0) != 0) continue;
    auto shown = status["displayStatus"].text(errors);
    vm.power_text = probes::sanitize_text(shown.value_or(*code), 40);
    vm.power = power_state_from_text(*code);
  }
  return true;
}

using DisksByOwner = std::map<std::string, std::vector<const CmkDisk*>>;

/// One VM or scale-set instance: identity, power, security type, and its disks on the DES (from
/// its own storage profile and from the disks that name it as owner).
CmkVm read_machine(const JsonCursor& item, const DesInfo& des, const DisksByOwner& owned_disks,
                   InputErrors& errors, bool& saw_power) {
  CmkVm vm;
  vm.id = resource_id(item["id"], errors, true);
  if (vm.id.empty()) return vm;
  vm.scale_set_instance = !split_scale_set_instance(vm.id).scale_set_id.empty();
  vm.name = name_of(item["name"], errors);
  saw_power = read_power(item, vm, errors) || saw_power;
  vm.security_type = name_of(item.at_path("securityProfile.securityType"), errors);
  vm.confidential = ascii_lower(vm.security_type) == "confidentialvm";
  auto os = item.at_path("storageProfile.osDisk");
  if (auto option = os.at_path("diffDiskSettings.option").text(errors))
    vm.ephemeral_os_disk = ascii_lower(*option) == "local";
  auto on_des = [&](const JsonCursor& managed_disk) {
    return same_id(resource_id(managed_disk.at_path("securityProfile.diskEncryptionSet.id"), errors,
                               false),
                   des.id) ||
           same_id(resource_id(managed_disk.at_path("diskEncryptionSet.id"), errors, false),
                   des.id);
  };
  if (on_des(os["managedDisk"])) {
    std::string id = resource_id(os.at_path("managedDisk.id"), errors, false);
    std::string name = name_of(os["name"], errors);
    vm.disks_on_des.push_back(!id.empty() ? id : "OS disk" + (name.empty() ? "" : " " + name));
  }
  for (const auto& data : item.at_path("storageProfile.dataDisks").elements(errors))
    if (on_des(data["managedDisk"])) {
      std::string id = resource_id(data.at_path("managedDisk.id"), errors, false);
      std::string name = name_of(data["name"], errors);
      vm.disks_on_des.push_back(!id.empty() ? id : "data disk" + (name.empty() ? "" : " " + name));
    }
  auto owned = owned_disks.find(ascii_lower(vm.id));
  if (owned != owned_disks.end())
    for (const CmkDisk* d : owned->second)
      if (std::none_of(vm.disks_on_des.begin(), vm.disks_on_des.end(),
                       [&](const std::string& s) { return same_id(s, d->id); }))
        vm.disks_on_des.push_back(d->id);
  return vm;
}

DisksByOwner disks_by_owner(const std::vector<CmkDisk>& disks) {
  DisksByOwner out;
  for (const auto& d : disks)
    for (const auto& owner : d.owners) out[ascii_lower(owner)].push_back(&d);
  return out;
}

std::vector<CmkVm> read_vms(const nlohmann::json& doc, const DesInfo& des,
                            const DisksByOwner& owned_disks,
                            const std::set<std::string>& associated, InputErrors& errors) {
  std::vector<CmkVm> out;
  bool any_power_state = false;
  auto items = array_of(doc, {kVmType}, "az vm list -d", errors);
  for (const auto& item : items) {
    if (!item.expect_object(errors) || !type_matches(item, {kVmType}, errors)) continue;
    CmkVm vm = read_machine(item, des, owned_disks, errors, any_power_state);
    if (vm.id.empty()) continue;
    if (!vm.disks_on_des.empty() || associated.count(ascii_lower(vm.id)))
      out.push_back(std::move(vm));
  }
  if (!items.empty() && !any_power_state)
    errors.add("",
               "no VM has a powerState: export with `az vm list -d` (-d adds the power "
               "state), not `az vm list`");
  return out;
}

/// `az vmss list-instances --expand instanceView`: every instance is kept (the plan decides which
/// are on the DES), each with its power state.
std::vector<CmkVm> read_instances(const nlohmann::json& doc, const DesInfo& des,
                                  const DisksByOwner& owned_disks, InputErrors& errors) {
  std::vector<CmkVm> out;
  bool any_instance_view = false;
  auto items = array_of(doc, {kInstanceType, kVmType},
                        "az vmss list-instances --expand instanceView", errors);
  for (const auto& item : items) {
    if (!item.expect_object(errors) || !type_matches(item, {kInstanceType, kVmType}, errors))
      continue;
    CmkVm vm = read_machine(item, des, owned_disks, errors, any_instance_view);
    if (vm.id.empty()) continue;
    out.push_back(std::move(vm));
  }
  if (!items.empty() && !any_instance_view)
    errors.add("",
               "no instance has instanceView.statuses: export with `az vmss list-instances "
               "--expand instanceView` (the expand adds the power state)");
  return out;
}

/// `az disk-encryption-set list-associated-resources` prints a JSON array of resource id strings
/// (ResourceUriList.value); the REST body `{"value": [...]}` (az rest) is taken too.
std::vector<std::string> read_associated(const nlohmann::json& doc, InputErrors& errors) {
  std::vector<std::string> out;
  JsonCursor root(&doc, "");
  JsonCursor list = doc.is_object() && doc.contains("value") ? root["value"] : root;
  if (!list.raw() || !list.raw()->is_array()) {
    std::string found = type_of(doc).empty() ? json_kind(doc) : looks_like(type_of(doc));
    errors.add(list.path(),
               "expected the JSON array of resource ids that `az "
               "disk-encryption-set list-associated-resources` prints, found " +
                   probes::sanitize_text(found, 120));
    return out;
  }
  for (const auto& item : list.elements(errors))
    if (auto id = resource_id(item, errors, true); !id.empty()) out.push_back(id);
  return out;
}

void collect(const InputErrors& from, std::vector<std::string>& into) {
  into.insert(into.end(), from.items().begin(), from.items().end());
}

}  // namespace

bool CmkDisk::confidential() const {
  return ascii_lower(security_type).rfind("confidentialvm", 0) == 0;
}

const char* to_string(PowerState p) {
  switch (p) {
    case PowerState::running:
      return "running";
    case PowerState::stopped:
      return "stopped";
    case PowerState::deallocated:
      return "deallocated";
    case PowerState::transitioning:
      return "transitioning";
    case PowerState::unknown:
      break;
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

CmkInputs read_cmk_inputs(const CmkFiles& files) {
  CmkInputs inputs;
  inputs.vms_file = files.vms.name;
  inputs.disks_file = files.disks.name;
  inputs.des_file = files.des.name;
  for (const auto& f : files.vmss) inputs.vmss_files.push_back(f.name);
  InputErrors des_errors(files.des.name), disk_errors(files.disks.name), vm_errors(files.vms.name);
  if (!files.new_key_url.empty()) {
    if (is_versioned_key_url(files.new_key_url))
      inputs.new_key_url = files.new_key_url;
    else
      inputs.errors.push_back(
          "--new-key-url: not a versioned Key Vault key URL (https://VAULT."
          "vault.azure.net/keys/NAME/VERSION): '" +
          probes::sanitize_text(files.new_key_url, 120) + "'");
  }
  if (auto doc = parse_file(files.des, des_errors)) inputs.des = read_des(*doc, des_errors);
  collect(des_errors, inputs.errors);
  if (!des_errors.empty()) return inputs;
  if (files.before) {
    InputErrors errors(files.before->name);
    DesInfo before;
    if (auto doc = parse_file(*files.before, errors)) before = read_des(*doc, errors);
    if (errors.empty() && !same_id(before.id, inputs.des.id))
      errors.add("id", "another Disk Encryption Set than --des (" + inputs.des.id + ")");
    collect(errors, inputs.errors);
    if (!errors.empty()) return inputs;
    inputs.before_given = true;
    inputs.before_key_url = before.active_key_url;
    // The version the DES was saved with since: the new key, unless --new-key-url names it.
    if (inputs.new_key_url.empty() &&
        !same_key_url(before.active_key_url, inputs.des.active_key_url))
      inputs.new_key_url = inputs.des.active_key_url;
  }

  std::set<std::string> associated;
  if (files.associated) {
    inputs.associated_given = true;
    inputs.associated_file = files.associated->name;
    InputErrors errors(files.associated->name);
    if (auto doc = parse_file(*files.associated, errors))
      inputs.associated = read_associated(*doc, errors);
    for (const auto& id : inputs.associated) associated.insert(ascii_lower(id));
    collect(errors, inputs.errors);
  }
  // The VM export is the large one: it parses on another core while the disks are read.
  auto vm_doc =
      std::async(std::launch::async, [&] { return parse_file(files.vms, vm_errors, true); });
  if (auto doc = parse_file(files.disks, disk_errors, true))
    inputs.disks = read_disks(*doc, inputs.des.id, disk_errors);
  DisksByOwner owned = disks_by_owner(inputs.disks);
  for (const auto& file : files.vmss) {
    InputErrors errors(file.name);
    if (auto doc = parse_file(file, errors, true)) {
      auto more = read_instances(*doc, inputs.des, owned, errors);
      std::move(more.begin(), more.end(), std::back_inserter(inputs.instances));
    }
    collect(errors, inputs.errors);
  }
  if (auto doc = vm_doc.get())
    inputs.vms = read_vms(*doc, inputs.des, owned, associated, vm_errors);
  collect(vm_errors, inputs.errors);
  collect(disk_errors, inputs.errors);
  return inputs;
}

}  // namespace latchwatch::plan
