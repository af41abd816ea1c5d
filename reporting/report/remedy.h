#pragma once
/// The owner's key reset (domain brief §7, real-platform.md §1), as commands to run from outside
/// the VM, per kind of resource:
/// - a standalone VM or a Flexible scale-set member (…/virtualMachines/NAME): ARM PATCH
///   (az rest, Invoke-AzRestMethod) and `az vm update --key-incarnation-id` (az CLI >= 2.72.0);
/// - a Uniform scale-set instance (…/virtualMachineScaleSets/SS/virtualMachines/ID): the PUT
///   path (`az vmss update --instance-id … --set`, or GET, raise, PUT with If-Match). The REST
///   specification has no PATCH there; Learn's PATCH appears only as a labelled alternative.
/// keyIncarnationId is int32: at 2147483647 no command is given. Identity values are checked
/// again here and quoted by code; a value that fails gives the placeholder form.

#include <cstdint>
#include <optional>
#include <string>

#include "reporting/report/report.h"

namespace latchwatch {

constexpr const char* kArmApiVersion = "2024-03-01";
constexpr std::int64_t kMaxKeyIncarnationId = 2147483647;  ///< int32 in the REST spec

/// The parts of a compute resource id; kind "unknown" when it is neither a VM nor a Uniform
/// instance, or fails the character-class check.
struct ResourceParts {
  std::string kind = "unknown";  ///< "virtual_machine", "flexible_member", "uniform_instance"
  std::string subscription_id;
  std::string resource_group;
  std::string scale_set_name;  ///< Uniform: from the id; Flexible: from IMDS vmScaleSetName
  std::string instance_id;     ///< Uniform only
  std::string name;            ///< the VM's name (VMs), the instance id (Uniform)
};
ResourceParts parse_resource_id(const std::string& resource_id, const std::string& scale_set_name);

/// Builds the remedy for `identity` (resource may be unknown) and the largest incarnation seen.
/// `host` (may be null) names the machine when the resource id is unknown.
Remedy build_remedy(const Identity& identity, std::optional<std::int64_t> largest_incarnation,
                    bool planned, const probes::HostFacts* host = nullptr);

/// The instance resource id from IMDS compute fields when resourceId itself is absent; empty
/// when a part fails its check. Uniform instances are named "<scaleSet>_<digits>"; any other
/// name in a scale set is a Flexible member, whose id is a VM's.
std::string derive_resource_id(const std::string& subscription_id, const std::string& group,
                               const std::string& name, const std::string& scale_set);

}  // namespace latchwatch
