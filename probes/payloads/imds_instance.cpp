#include "probes/payloads/imds_instance.h"

#include <nlohmann/json.hpp>

#include "probes/base/json_limits.h"

namespace latchwatch::probes {
namespace {

using json = nlohmann::json;

/// A string field at `path` (JSON Pointer), sanitised; empty when absent or not a string.
std::string text_at(const json& j, const char* path) {
  json::json_pointer pointer(path);
  if (!j.contains(pointer)) return {};
  const auto& value = j.at(pointer);
  return value.is_string() ? sanitize_text(value.get<std::string>(), 512) : std::string();
}

}  // namespace

Parsed<ImdsCompute> parse_imds_instance(std::string_view body) {
  std::string error;
  json j = parse_untrusted_json(body, error);
  if (j.is_discarded()) return Parsed<ImdsCompute>::fail(error);
  if (!j.is_object()) return Parsed<ImdsCompute>::fail("not a JSON object");
  const json* compute = nullptr;
  if (auto it = j.find("compute"); it != j.end()) {
    if (!it->is_object()) return Parsed<ImdsCompute>::fail("/compute must be an object");
    compute = &*it;
  } else if (j.contains("vmId") || j.contains("name")) {
    compute = &j;  // the bare compute object (/metadata/instance/compute)
  } else {
    return Parsed<ImdsCompute>::fail("no /compute object");
  }
  const json& c = *compute;
  ImdsCompute out;
  out.resource_id = text_at(c, "/resourceId");
  out.subscription_id = text_at(c, "/subscriptionId");
  out.resource_group_name = text_at(c, "/resourceGroupName");
  out.name = text_at(c, "/name");
  out.vm_scale_set_name = text_at(c, "/vmScaleSetName");
  out.vm_id = ascii_lower(text_at(c, "/vmId"));
  out.location = text_at(c, "/location");
  out.security_type = text_at(c, "/securityProfile/securityType");
  out.az_environment = text_at(c, "/azEnvironment");
  out.ephemeral_os_disk =
      ascii_lower(text_at(c, "/storageProfile/osDisk/diffDiskSettings/option")) == "local";
  // real-platform.md §3: checked on arrival, with the checks the plans use.
  keep_if_valid(out.resource_id, is_vm_resource_id, "resourceId", "a VM or scale-set instance id",
                out.rejected);
  keep_if_valid(out.subscription_id, is_guid_text, "subscriptionId", "a GUID", out.rejected);
  keep_if_valid(out.resource_group_name, is_azure_name, "resourceGroupName",
                "a resource group name", out.rejected);
  keep_if_valid(out.name, is_azure_name, "name", "a VM name", out.rejected);
  keep_if_valid(out.vm_scale_set_name, is_azure_name, "vmScaleSetName", "a scale set name",
                out.rejected);
  keep_if_valid(out.vm_id, is_guid_text, "vmId", "a GUID", out.rejected);
  keep_if_valid(out.security_type, is_azure_name, "securityType", "a security type", out.rejected);
  keep_if_valid(out.az_environment, is_cloud_name, "azEnvironment", "a cloud name", out.rejected);
  return Parsed<ImdsCompute>::ok(std::move(out));
}

void to_json(nlohmann::json& j, const ImdsCompute& c) {
  j = {{"resourceId", c.resource_id},
       {"subscriptionId", c.subscription_id},
       {"resourceGroupName", c.resource_group_name},
       {"name", c.name},
       {"vmScaleSetName", c.vm_scale_set_name},
       {"vmId", c.vm_id},
       {"location", c.location},
       {"securityType", c.security_type},
       {"azEnvironment", c.az_environment},
       {"ephemeralOsDisk", c.ephemeral_os_disk}};
  if (!c.rejected.empty()) {
    auto rejected = nlohmann::json::array();
    for (const auto& r : c.rejected)
      rejected.push_back({{"field", r.field}, {"expected", r.expected}});
    j["rejectedFields"] = rejected;
  }
}

}  // namespace latchwatch::probes
