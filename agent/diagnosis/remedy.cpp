#include "agent/diagnosis/remedy.h"

#include <limits>

namespace latchwatch::diagnosis {
namespace {

constexpr const char* kPlaceholder = "{resourceId}";

std::string body_text(const std::string& incarnation) {
  return R"({"properties":{"securityProfile":{"proxyAgentSettings":{"keyIncarnationId":)" +
         incarnation + "}}}}";
}

/// The scale-set instance id: the resource id's last segment under virtualMachines/.
std::string instance_id_of(const std::string& resource_id) {
  auto pos = resource_id.rfind("/virtualMachines/");
  return pos == std::string::npos ? std::string() : resource_id.substr(pos + 17);
}

bool is_scale_set_instance(const Identity& id) {
  return !id.vm_scale_set_name.empty() ||
         id.resource_id.find("/virtualMachineScaleSets/") != std::string::npos;
}

}  // namespace

std::string derive_resource_id(const std::string& subscription_id, const std::string& group,
                               const std::string& name, const std::string& scale_set) {
  if (subscription_id.empty() || group.empty() || name.empty()) return {};
  std::string base = "/subscriptions/" + subscription_id + "/resourceGroups/" + group +
                     "/providers/Microsoft.Compute/";
  if (scale_set.empty()) return base + "virtualMachines/" + name;
  // Uniform scale-set instances are named "<scaleSet>_<instanceId>".
  auto underscore = name.rfind('_');
  if (underscore == std::string::npos || underscore + 1 >= name.size()) return {};
  return base + "virtualMachineScaleSets/" + scale_set + "/virtualMachines/" +
         name.substr(underscore + 1);
}

Remedy build_remedy(const Identity& identity, std::optional<std::int64_t> largest_incarnation,
                    bool planned) {
  Remedy r;
  r.planned = planned;
  r.resource_id = identity.resource_id;
  r.identity_source = identity.resource_id.empty() ? "unknown" : identity.source;
  r.identity_age_seconds = identity.age_seconds;
  r.vm_id = identity.vm_id.empty() ? identity.smbios_uuid : identity.vm_id;
  r.current_incarnation = largest_incarnation;
  // An incarnation that cannot be raised (INT64_MAX from a hostile payload) counts as unknown.
  if (largest_incarnation && *largest_incarnation < std::numeric_limits<std::int64_t>::max())
    r.next_incarnation = *largest_incarnation + 1;

  const std::string rid = r.resource_id.empty() ? kPlaceholder : r.resource_id;
  const std::string url =
      "https://management.azure.com" + rid + "?api-version=" + kArmApiVersion;
  r.request.url = url;
  r.request.body = {{"properties",
                     {{"securityProfile",
                       {{"proxyAgentSettings",
                         {{"keyIncarnationId",
                           r.next_incarnation ? nlohmann::json(*r.next_incarnation)
                                              : nlohmann::json("N")}}}}}}}};

  // When N is unknown, the commands compute it from the model: current value + 1.
  const std::string read_current = "az vm show --ids \"" + rid +
                                   "\" --query securityProfile.proxyAgentSettings."
                                   "keyIncarnationId -o tsv";
  std::string n_text;
  std::string az_prefix;
  std::string ps_prefix;
  if (r.next_incarnation) {
    n_text = std::to_string(*r.next_incarnation);
  } else {
    r.read_incarnation_command = read_current;
    az_prefix = "N=$(( $(" + read_current + ") + 1 )) && ";
    ps_prefix = "$N = [int](az vm show --ids \"" + rid +
                "\" --query securityProfile.proxyAgentSettings.keyIncarnationId -o tsv) + 1; ";
    n_text = "$N";
  }
  // The body goes in double quotes when it holds $N, so that the shell expands it.
  const std::string body = body_text(n_text);
  if (r.next_incarnation) {
    r.az_command = "az rest --method patch --url \"" + url + "\" --body '" + body + "'";
    r.powershell_command = "Invoke-AzRestMethod -Method PATCH -Path \"" + rid +
                           "?api-version=" + kArmApiVersion + "\" -Payload '" + body + "'";
  } else {
    std::string escaped = body_text("$N");
    std::string quoted;
    for (char c : escaped) quoted += (c == '"') ? std::string("\\\"") : std::string(1, c);
    r.az_command = az_prefix + "az rest --method patch --url \"" + url + "\" --body \"" + quoted + "\"";
    std::string ps_body;
    for (char c : escaped) ps_body += (c == '"') ? std::string("`\"") : std::string(1, c);
    r.powershell_command = ps_prefix + "Invoke-AzRestMethod -Method PATCH -Path \"" + rid +
                           "?api-version=" + kArmApiVersion + "\" -Payload \"" + ps_body + "\"";
  }

  if (r.resource_id.empty()) {
    r.find_vm_command = "az vm list --query \"[?vmId=='" + r.vm_id + "'].id\" -o tsv";
    r.notes.push_back(
        "The resource id is unknown here: find the VM by its vmId with the find_vm command "
        "(on Gen1 VMs the SMBIOS UUID is byte-swapped in its first three groups), then put its "
        "id in place of {resourceId}.");
  }
  if (is_scale_set_instance(identity)) {
    std::string instance = instance_id_of(identity.resource_id);
    r.scale_set_note = "This VM is instance " + (instance.empty() ? "?" : instance) +
                       " of scale set " + identity.vm_scale_set_name +
                       ": the key is reset per instance, with this instance's resource id. "
                       "There is no scale-set-wide reset; repeat for each affected instance.";
  }
  r.confirm = "After the change propagates, the instance view (az rest --method get --url "
              "\"https://management.azure.com" + rid + "/instanceView?api-version=" +
              kArmApiVersion + "\") shows keyLatchStatus.states with keyIncarnationId " +
              (r.next_incarnation ? std::to_string(*r.next_incarnation) : std::string("N")) +
              " and a new keyGuid; GPA recovers by itself. Raise the value only: ARM rejects "
              "anything not strictly greater, and the largest value wins.";
  return r;
}

}  // namespace latchwatch::diagnosis
