// Azure Resource Graph exports: vmId ↔ resource id, and each VM's current proxyAgentSettings.

#include "agent/plan/resource_graph.h"

#include <algorithm>
#include <set>

#include "agent/plan/json_cursor.h"
#include "agent/plan/resource_text.h"
#include "probes/local/smbios.h"
#include "reporting/report/remedy.h"

namespace latchwatch::plan {
namespace {

constexpr const char* kVmType = "microsoft.compute/virtualmachines";
constexpr const char* kInstanceType = "microsoft.compute/virtualmachinescalesets/virtualmachines";

bool is_mode(std::string_view text) {
  return text == "Audit" || text == "Enforce" || text == "Disabled";
}

/// HostEndpointSettings (api 2024-03-01+): a mode, or an in-VM access control profile.
std::string endpoint_mode(const JsonCursor& settings, InputErrors& errors) {
  if (!settings.exists()) return {};
  if (auto mode = settings["mode"].checked_text(errors, is_mode, "Audit, Enforce or Disabled"))
    return *mode;
  if (settings["inVMAccessControlProfileReferenceId"].exists()) return "profile";
  return {};
}

std::optional<InventoryVm> read_row(const JsonCursor& row, const std::string& origin,
                                    InputErrors& errors, Inventory& inventory) {
  if (!row.expect_object(errors)) return std::nullopt;
  auto type = row["type"].text(errors);
  if (!type || (ascii_lower(*type) != kVmType && ascii_lower(*type) != kInstanceType)) {
    ++inventory.rows_not_vms;
    return std::nullopt;
  }
  std::size_t before = errors.items().size();
  InventoryVm vm;
  vm.origin = origin;
  auto take = [&](const JsonCursor& c, std::string& into, bool (*valid)(std::string_view),
                  const char* what, bool required) {
    if (auto v = c.checked_text(errors, valid, what, required)) into = *v;
  };
  take(row["id"], vm.resource_id, probes::is_vm_resource_id, "a VM or scale-set instance id", true);
  take(row["name"], vm.name, is_azure_name, "a VM name", true);
  take(row["subscriptionId"], vm.subscription_id, is_guid_text, "a subscription GUID", false);
  take(row["resourceGroup"], vm.resource_group, is_azure_name, "a resource group name", false);
  // A projected query may name it vmId; the resources table keeps it in properties.
  JsonCursor vm_id = row["vmId"].exists() ? row["vmId"] : row.at_path("properties.vmId");
  take(vm_id, vm.vm_id, is_guid_text, "a vmId GUID", false);
  // ARG lower-cases the resourceGroup column; the id keeps ARM's spelling, which the plan uses.
  {
    const std::string lower = ascii_lower(vm.resource_id);
    auto take_segment = [&](const std::string& after, std::string& into) {
      auto at = lower.find(after);
      if (at == std::string::npos) return;
      at += after.size();
      into = vm.resource_id.substr(at, vm.resource_id.find('/', at) - at);
    };
    take_segment("/subscriptions/", vm.subscription_id);
    take_segment("/resourcegroups/", vm.resource_group);
  }
  auto split = split_scale_set_instance(vm.resource_id);
  if (!split.scale_set_id.empty()) vm.scale_set = last_segment(split.scale_set_id);

  JsonCursor proxy = row["proxyAgentSettings"].exists()
                         ? row["proxyAgentSettings"]
                         : row.at_path("properties.securityProfile.proxyAgentSettings");
  if (proxy.exists() && proxy.expect_object(errors)) {
    if (auto n = proxy["keyIncarnationId"].integer(errors)) {
      if (*n < 0 || *n > 2147483647)
        errors.add(proxy["keyIncarnationId"].path(), "outside int32 (the spec's type)");
      else
        vm.key_incarnation_id = n;
    }
    vm.msp_enabled = proxy["enabled"].boolean(errors);
    if (auto mode = proxy["mode"].checked_text(errors, is_mode, "Audit or Enforce"))
      vm.msp_mode = *mode;
    vm.wire_server_mode = endpoint_mode(proxy["wireServer"], errors);
    vm.imds_mode = endpoint_mode(proxy["imds"], errors);
  }
  if (errors.items().size() != before) return std::nullopt;
  return vm;
}

}  // namespace

std::string InventoryVm::msp_text() const {
  if (msp_enabled && !*msp_enabled) return "MSP off";
  if (!msp_enabled && wire_server_mode.empty() && imds_mode.empty() && msp_mode.empty())
    return "not set";
  std::string ws = !wire_server_mode.empty() ? wire_server_mode : msp_mode;
  std::string imds = !imds_mode.empty() ? imds_mode : msp_mode;
  return "WireServer " + (ws.empty() ? std::string("?") : ws) + ", IMDS " +
         (imds.empty() ? std::string("?") : imds);
}

void read_resource_graph(const std::string& file_name, const std::string& text,
                         Inventory& inventory, std::vector<std::string>& errors) {
  InputErrors file_errors(file_name);
  std::string parse_error;
  nlohmann::json doc = probes::parse_untrusted_json(text, parse_error);
  if (!parse_error.empty()) {
    file_errors.add("", parse_error);
  } else {
    JsonCursor root(&doc, "");
    // Current az: {"count", "data", "skip_token", "total_records"}; az before 2.30: the rows.
    JsonCursor rows = doc.is_object() ? root["data"] : root;
    if (doc.is_object() && !root["data"].exists()) {
      file_errors.add("", "an object without \"data\": not an az graph query export");
    } else if (!rows.exists() || !rows.raw()->is_array()) {
      file_errors.add(rows.path(), std::string("expected an array of rows, found ") +
                                       (rows.exists() ? json_kind(*rows.raw()) : "null"));
    } else {
      for (const auto& row : rows.elements(file_errors)) {
        ++inventory.rows_read;
        if (auto vm = read_row(row, file_name + ": " + row.path(), file_errors, inventory))
          inventory.vms.push_back(std::move(*vm));
      }
      if (doc.is_object()) {
        auto skip = root["skip_token"].text(file_errors);
        if (skip && !skip->empty())
          file_errors.add("skip_token",
                          "set: this export is one page of a larger result; fetch "
                          "the rest with --skip-token and pass every page");
      }
    }
  }
  errors.insert(errors.end(), file_errors.items().begin(), file_errors.items().end());
}

InventoryUse apply_inventory(std::vector<ReportRecord>& records, const Inventory& inventory) {
  InventoryUse use;
  std::map<std::string, const InventoryVm*> by_vm_id;
  for (const auto& vm : inventory.vms) {
    if (!vm.vm_id.empty()) by_vm_id[ascii_lower(vm.vm_id)] = &vm;
    use.by_resource[ascii_lower(vm.resource_id)] = &vm;
  }
  std::set<const InventoryVm*> spoken_for;
  for (auto& r : records) {
    auto& id = r.identity;
    const InventoryVm* row = nullptr;
    std::string how;
    // The hardware's own UUID first: a copied disk's cached vmId is the original VM's.
    if (!id.smbios_uuid.empty()) {
      for (const auto& candidate :
           {ascii_lower(id.smbios_uuid), probes::byte_swapped_uuid(ascii_lower(id.smbios_uuid))})
        if (auto found = by_vm_id.find(ascii_lower(candidate)); !row && found != by_vm_id.end())
          row = found->second, how = "SMBIOS UUID " + id.smbios_uuid;
    }
    if (!row && !id.vm_id.empty() && !id.moved_to_other_vm)
      if (auto found = by_vm_id.find(ascii_lower(id.vm_id)); found != by_vm_id.end())
        row = found->second, how = "vmId " + id.vm_id;
    if (!row && !id.resource_id.empty() && !id.moved_to_other_vm)
      if (auto found = use.by_resource.find(ascii_lower(id.resource_id));
          found != use.by_resource.end())
        row = found->second, how = "resource id";
    if (!row) continue;
    if (how == "resource id" && !row->vm_id.empty()) {
      // Named by resource id only: the record's own machine must be the row's.
      const std::string want = ascii_lower(row->vm_id);
      std::vector<std::string> own;
      if (!id.smbios_uuid.empty()) {
        own.push_back(ascii_lower(id.smbios_uuid));
        own.push_back(ascii_lower(probes::byte_swapped_uuid(ascii_lower(id.smbios_uuid))));
      }
      if (!id.vm_id.empty()) own.push_back(ascii_lower(id.vm_id));
      if (!own.empty() && std::find(own.begin(), own.end(), want) == own.end()) {
        Conflict c;
        c.resource_id = row->resource_id;
        c.claims.push_back({r.origin, r.host, id.smbios_uuid.empty() ? id.vm_id : id.smbios_uuid,
                            id.source, r.verdict_code});
        c.message = "this record names " + row->resource_id + " from machine " +
                    (id.smbios_uuid.empty() ? id.vm_id : id.smbios_uuid) +
                    ", but Resource Graph gives that resource vmId " + row->vm_id + " (" +
                    row->origin + "): ARM contradicts it, so it is not used";
        use.contradicted.push_back(std::move(c));
        r.origin.clear();  // marked for removal below
        continue;
      }
    }
    spoken_for.insert(row);
    if (how != "resource id") r.arm_confirmed = true;
    std::string claimed = id.moved_to_other_vm ? std::string() : id.resource_id;
    if (claimed.empty() && !id.moved_to_other_vm)
      claimed = latchwatch::derive_resource_id(id.subscription_id, id.resource_group_name, id.name,
                                               id.vm_scale_set_name);
    if (claimed.empty() || ascii_lower(claimed) != ascii_lower(row->resource_id)) {
      if (claimed.empty() && !id.moved_to_other_vm) {
        ++use.identified;
        use.changes.push_back(
            {r.origin, row->resource_id, "identified by " + how + " (" + row->origin + ")"});
      } else {
        ++use.corrected;
        use.changes.push_back(
            {r.origin, row->resource_id,
             "its identity claims " + (claimed.empty() ? std::string("another VM") : claimed) +
                 "; Resource Graph gives " + how + " to this resource (" + row->origin + ")"});
      }
      id.resource_id = row->resource_id;
      id.subscription_id = row->subscription_id;
      id.resource_group_name = row->resource_group;
      id.name = row->name;
      id.vm_scale_set_name = row->scale_set;
      id.moved_to_other_vm = false;
      id.source = "resource_graph";
      id.age_seconds = 0;
      if (r.host.empty()) r.host = row->name;
    }
    if (row->key_incarnation_id &&
        (!r.largest_incarnation || *row->key_incarnation_id > *r.largest_incarnation)) {
      if (r.largest_incarnation) {
        ++use.incarnation_raised;
        use.changes.push_back({r.origin, row->resource_id,
                               "keyIncarnationId " + std::to_string(*row->key_incarnation_id) +
                                   " in the VM model, above the " +
                                   std::to_string(*r.largest_incarnation) + " the VM saw (" +
                                   row->origin + ")"});
      }
      r.largest_incarnation = row->key_incarnation_id;
    }
  }
  records.erase(std::remove_if(records.begin(), records.end(),
                               [](const ReportRecord& r) { return r.origin.empty(); }),
                records.end());
  for (const auto& vm : inventory.vms)
    if (!spoken_for.count(&vm) && vm.msp_enabled.value_or(false)) use.silent.push_back(&vm);
  return use;
}

nlohmann::json inventory_document(const Inventory& inventory, const InventoryUse& use) {
  nlohmann::json changes = nlohmann::json::array();
  for (const auto& c : use.changes)
    changes.push_back({{"report", c.origin}, {"resource_id", c.resource_id}, {"how", c.how}});
  nlohmann::json silent = nlohmann::json::array();
  for (const auto* vm : use.silent)
    silent.push_back(
        {{"resource_id", vm->resource_id},
         {"vm_id", vm->vm_id},
         {"msp", vm->msp_text()},
         {"key_incarnation_id",
          vm->key_incarnation_id ? nlohmann::json(*vm->key_incarnation_id) : nlohmann::json()}});
  return {{"vms", inventory.vms.size()},
          {"rows_read", inventory.rows_read},
          {"rows_not_vms", inventory.rows_not_vms},
          {"identified", use.identified},
          {"corrected", use.corrected},
          {"incarnation_raised", use.incarnation_raised},
          {"changes", changes},
          {"msp_vms_without_report", silent}};
}

std::string inventory_text(const Inventory& inventory, const InventoryUse& use) {
  std::string out = "Resource Graph: " + std::to_string(inventory.vms.size()) + " VMs; " +
                    std::to_string(use.identified) + " reports identified, " +
                    std::to_string(use.corrected) + " identities corrected, " +
                    std::to_string(use.incarnation_raised) +
                    " keyIncarnationIds raised to the model's\n";
  for (const auto& c : use.changes)
    out += "  " + c.origin + ": " + c.resource_id + ": " + c.how + "\n";
  if (!use.silent.empty()) {
    out += "MSP-enabled VMs with no report or serial line (" + std::to_string(use.silent.size()) +
           "):\n";
    for (const auto* vm : use.silent) out += "  " + vm->resource_id + "  " + vm->msp_text() + "\n";
  }
  return out;
}

}  // namespace latchwatch::plan
