#pragma once
/// Azure Resource Graph exports as `plan resets` inputs: what `az graph query -q '...'` prints
/// (`{"count":N,"data":[...],"skip_token":...,"total_records":N}` in current az, a bare array
/// in older az) for rows of the `resources` table (VMs) and `computeresources` (Uniform
/// scale-set instances). Each row maps vmId ↔ name ↔ resource id and carries the VM's current
/// `securityProfile.proxyAgentSettings` (keyIncarnationId and the MSP modes), so a report or
/// serial line that names a machine only by vmId / SMBIOS UUID is identified offline, and the
/// next keyIncarnationId is the model's current value + 1, not a guess from reports.
///
/// Pure; never throws. A row that fails the character-class checks is an error naming the file
/// and row and is not used (its values would reach a printed command).

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent/plan/reset_plan.h"

namespace latchwatch::plan {

struct InventoryVm {
  std::string origin;  ///< "graph.json: data[3]"
  std::string resource_id;
  std::string name;
  std::string subscription_id;
  std::string resource_group;
  std::string scale_set;  ///< for Uniform instances
  std::string vm_id;
  std::optional<std::int64_t> key_incarnation_id;
  std::optional<bool> msp_enabled;
  std::string msp_mode;          ///< proxyAgentSettings.mode (deprecated since 2024-03-01)
  std::string wire_server_mode;  ///< wireServer.mode, or "profile" for an access-control profile
  std::string imds_mode;
  /// "WireServer Enforce, IMDS Audit" / "MSP off" / "not set": for people.
  std::string msp_text() const;
};

struct Inventory {
  std::vector<InventoryVm> vms;
  int rows_read = 0;
  int rows_not_vms = 0;  ///< other resource types in the export, skipped
};

/// Reads one export (either shape). Adds to `inventory`; errors name FILE and row.
void read_resource_graph(const std::string& file_name, const std::string& text,
                         Inventory& inventory, std::vector<std::string>& errors);

/// What the inventory changed in the records, for the plan's output.
struct InventoryUse {
  struct Change {
    std::string origin;       ///< the record's
    std::string resource_id;  ///< from the inventory
    std::string how;          ///< "identified by SMBIOS UUID ..." / "keyIncarnationId 7 from ..."
  };
  std::vector<Change> changes;
  int identified = 0;          ///< records without a usable resource id, now named
  int corrected = 0;           ///< records whose identity named another resource
  int incarnation_raised = 0;  ///< records whose largest keyIncarnationId the model raised
  std::vector<const InventoryVm*> silent;                 ///< MSP-enabled VMs no record speaks for
  std::map<std::string, const InventoryVm*> by_resource;  ///< lower-cased id → row
  /// Records ARM contradicts (they name a resource whose vmId is another machine's): taken out
  /// of the records, each a conflict for the plan (issue 26).
  std::vector<Conflict> contradicted;
};

/// Matches every record to a row (SMBIOS UUID first, directly or byte-swapped, then vmId) and
/// takes the row's resource id and keyIncarnationId; such a record is `arm_confirmed`. A record
/// that names a resource by id only, from a machine (SMBIOS UUID / vmId) that is not the row's
/// vmId, is contradicted by ARM: removed from `records` and listed in `contradicted`. Call
/// before build_reset_plan.
InventoryUse apply_inventory(std::vector<ReportRecord>& records, const Inventory& inventory);

nlohmann::json inventory_document(const Inventory& inventory, const InventoryUse& use);
std::string inventory_text(const Inventory& inventory, const InventoryUse& use);

}  // namespace latchwatch::plan
