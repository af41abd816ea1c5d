#pragma once
/// Azure names, ids and key URLs as they may appear in a printed command. Plans are built from
/// files that VMs (possibly compromised ones) and the az CLI wrote; a value only reaches a
/// command when it passes these checks, so a pasted plan cannot run anything but az.

#include <string>
#include <string_view>

#include "probes/base/azure_names.h"

namespace latchwatch::plan {

/// The character-class checks live in probes (one implementation for IMDS, the identity cache
/// and the plans); see probes/base/azure_names.h.
using probes::is_azure_name;
using probes::is_azure_resource_id;
using probes::is_cloud_name;
using probes::is_guid_text;
using probes::is_key_url;

/// The scale-set part of a uniform scale-set instance id, or empty:
/// ".../virtualMachineScaleSets/pool/virtualMachines/3" → {".../virtualMachineScaleSets/pool",
/// "3"}.
struct ScaleSetInstance {
  std::string scale_set_id;
  std::string instance_id;
};
ScaleSetInstance split_scale_set_instance(const std::string& resource_id);

/// The last path segment of a resource id or key URL ("vm-1", the key version).
std::string last_segment(const std::string& text);

/// Parts of a Key Vault key URL: vault name (first host label), key name, version (may be empty).
struct KeyUrlParts {
  std::string vault;
  std::string key;
  std::string version;
};
KeyUrlParts split_key_url(const std::string& url);

}  // namespace latchwatch::plan
