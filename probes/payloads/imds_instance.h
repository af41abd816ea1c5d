#pragma once
/// IMDS `GET /metadata/instance` ({"compute":{...},"network":{...}}), domain brief §1, §7, §8.

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "probes/base/azure_names.h"
#include "probes/base/parsed.h"
#include "probes/base/vm_identity.h"

namespace latchwatch::probes {

/// IMDS's compute document: the VM's identity (smbios_uuid stays empty: IMDS does not send it)
/// and what else latchwatch reads of it.
struct ImdsCompute : VmIdentity {
  std::string location;
  /// compute.azEnvironment: the cloud ("AzurePublicCloud", "AzureUSGovernmentCloud", ...).
  std::string az_environment;
  /// Identity fields that failed their character-class check on arrival: dropped (left empty),
  /// never passed on. IMDS answers on a path a process in the VM can answer on too.
  std::vector<RejectedField> rejected;
};

/// Accepts the wrapped document or a bare compute object; tolerant of missing fields, strings
/// where booleans are expected (IMDS sends "true"), unknown fields. Fails on non-JSON, a
/// non-object, no compute object, or nesting deeper than 64 levels. Every identity field that can
/// reach a printed command (resourceId, subscriptionId, resourceGroupName, name, vmScaleSetName,
/// vmId, securityType, azEnvironment) is checked (azure_names.h); one that fails is dropped into
/// `rejected`.
Parsed<ImdsCompute> parse_imds_instance(std::string_view body);

void to_json(nlohmann::json& j, const ImdsCompute& c);

}  // namespace latchwatch::probes
