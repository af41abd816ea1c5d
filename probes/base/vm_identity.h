#pragma once
/// The VM's identity as ARM and IMDS name it: one definition, shared by IMDS's answer
/// (probes::ImdsCompute), the identity cache (diagnosis::CachedIdentity) and the report
/// (latchwatch::Identity), each adding only what is its own. Every field here can reach a printed
/// command, so each is checked on arrival (azure_names.h) before it is kept.

#include <string>
#include <string_view>

namespace latchwatch {

struct VmIdentity {
  std::string resource_id;  ///< compute.resourceId (absent in old api-versions)
  std::string subscription_id;
  std::string resource_group_name;
  std::string name;
  std::string vm_scale_set_name;  ///< empty when not in a scale set
  std::string vm_id;
  std::string smbios_uuid;         ///< this hardware's (not from IMDS)
  std::string security_type;       ///< compute.securityProfile.securityType, e.g. "ConfidentialVM"
  bool ephemeral_os_disk = false;  ///< storageProfile.osDisk.diffDiskSettings.option == "Local"
};

/// The one comparison of two VM ids: GUID text in any case (IMDS, the cache and SMBIOS differ).
bool same_vm_id(std::string_view a, std::string_view b);

}  // namespace latchwatch
