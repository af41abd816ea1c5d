#include "reporting/report/remedy.h"

#include <algorithm>
#include <vector>

#include "probes/base/azure_names.h"
#include "probes/base/json_limits.h"
#include "reporting/report/command_quote.h"

namespace latchwatch {
namespace {

constexpr const char* kPlaceholder = "{resourceId}";
constexpr const char* kIncarnationPath = "securityProfile.proxyAgentSettings.keyIncarnationId";
constexpr const char* kBodyPrefix =
    R"({"properties":{"securityProfile":{"proxyAgentSettings":{"keyIncarnationId":)";
constexpr const char* kBodySuffix = "}}}}";
/// GPA's status travels as a JSON string in the ProxyAgent extension's substatus. Null-safe
/// (real-platform.md §1, §6): `type` is optional, contains(null, ...) raises in az's JMESPath,
/// and the filter on substatuses comes after flattening them ([] |), not after a projection.
constexpr const char* kSubstatusQuery =
    "extensions[?contains(type || '','ProxyAgent')].substatuses[] | "
    "[?contains(code || '','ProxyAgentStatus')].message";
/// `az vm get-instance-view` prints the VM with its instance view under instanceView.
constexpr const char* kVmNativeSubstatusQuery =
    "instanceView.extensions[?contains(type || '','ProxyAgent')].substatuses[] | "
    "[?contains(code || '','ProxyAgentStatus')].message";
constexpr const char* kRestReadQuery =
    "properties.securityProfile.proxyAgentSettings.keyIncarnationId";

std::vector<std::string> split_path(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto slash = text.find('/', start);
    if (slash == std::string::npos) slash = text.size();
    parts.push_back(text.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

bool iequal(const std::string& a, const char* b) {
  return probes::ascii_lower(a) == probes::ascii_lower(b);
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() < 12 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// bash: reads the current value with `read`, computes N = current + 1 (empty → 1), refuses
/// anything but 1 to 10 digits and anything above int32. The value comes from the owner's own
/// az, yet it is still checked before bash arithmetic sees it.
std::string bash_next_n(const std::string& read) {
  return "cur=$(" + read +
         ") && { [[ \"${cur:-0}\" =~ ^[0-9]{1,10}$ ]] || { echo \"unexpected keyIncarnationId: "
         "$cur\" >&2; false; }; } && N=$(( 10#${cur:-0} + 1 )) && { (( N <= 2147483647 )) || "
         "{ echo 'keyIncarnationId is at its int32 limit (2147483647): no reset is possible' "
         ">&2; false; }; } && ";
}

/// The JSON body as one bash word: fixed text quoted by code, $N (digits only) outside quotes.
std::string bash_body(const std::optional<std::int64_t>& n) {
  if (n) return sh_quote(kBodyPrefix + std::to_string(*n) + kBodySuffix);
  return sh_quote(kBodyPrefix) + "\"$N\"" + sh_quote(kBodySuffix);
}

std::string body_text(const std::optional<std::int64_t>& n) {
  return kBodyPrefix + (n ? std::to_string(*n) : std::string("N")) + kBodySuffix;
}

struct Built {
  std::string read, read_native, reset, update, ps, patch_alt, confirm, confirm_native;
};

/// "/subscriptions/...?api-version=..." : `az rest --url` without a host is relative to the
/// cloud az is logged in to (azure-cli core/util.py send_raw_request), as is
/// `Invoke-AzRestMethod -Path`; a hard-coded management.azure.com fails in sovereign clouds.
std::string relative_url(const std::string& rid) { return rid + "?api-version=" + kArmApiVersion; }

std::string rest_read(const std::string& path) {
  return "az rest --method get --url " + sh_quote(path) + " --query " + kRestReadQuery + " -o tsv";
}

std::string rest_confirm(const std::string& rid) {
  return "az rest --method get --url " +
         sh_quote(rid + "/instanceView?api-version=" + kArmApiVersion) + " --query " +
         sh_quote(kSubstatusQuery) + " -o tsv";
}

/// A standalone VM or Flexible member (or the placeholder): PATCH merges the one field.
Built vm_commands(const std::string& rid, const std::optional<std::int64_t>& n) {
  Built b;
  const std::string path = relative_url(rid);
  b.read = rest_read(path);
  b.read_native = "az vm show --ids " + sh_quote(rid) + " --query " + kIncarnationPath + " -o tsv";
  const std::string prefix = n ? std::string() : bash_next_n(b.read);
  b.reset = prefix + "az rest --method patch --url " + sh_quote(path) + " --body " + bash_body(n);
  b.update = prefix + "az vm update --ids " + sh_quote(rid) + " --key-incarnation-id " +
             (n ? std::to_string(*n) : std::string("\"$N\""));
  if (n) {
    b.ps = "Invoke-AzRestMethod -Method PATCH -Path " + ps_quote(path) + " -Payload " +
           ps_quote(body_text(n));
  } else {
    b.ps = "$path = " + ps_quote(path) +
           "; $vm = (Invoke-AzRestMethod -Method GET -Path $path).Content | ConvertFrom-Json; "
           "$N = [int64]$vm.properties.securityProfile.proxyAgentSettings.keyIncarnationId + 1; "
           "if ($N -gt 2147483647) { throw 'keyIncarnationId is at its int32 limit' }; "
           "Invoke-AzRestMethod -Method PATCH -Path $path -Payload (" +
           ps_quote(kBodyPrefix) + " + $N + " + ps_quote(kBodySuffix) + ")";
  }
  b.confirm = rest_confirm(rid);
  b.confirm_native = "az vm get-instance-view --ids " + sh_quote(rid) + " --query " +
                     sh_quote(kVmNativeSubstatusQuery) + " -o tsv";
  return b;
}

/// A Uniform instance: VirtualMachineScaleSetVMs_Update is a PUT of the whole instance model.
/// GET, raise, drop storageProfile.imageReference (as az does before every PUT: an image in
/// another tenant's gallery fails the PUT with 403), PUT with If-Match.
Built uniform_commands(const std::string& rid, const ResourceParts& p,
                       const std::optional<std::int64_t>& n) {
  Built b;
  const std::string path = relative_url(rid);
  const std::string target = " -g " + sh_quote(p.resource_group) + " -n " +
                             sh_quote(p.scale_set_name) + " --instance-id " +
                             sh_quote(p.instance_id) + " --subscription " +
                             sh_quote(p.subscription_id);
  b.read = rest_read(path);
  b.read_native = "az vmss show" + target + " --query " + kIncarnationPath + " -o tsv";
  const std::string set = std::string(kIncarnationPath) + "=";
  b.update = (n ? std::string() : bash_next_n(b.read)) + "az vmss update" + target + " --set " +
             (n ? sh_quote(set + std::to_string(*n)) : sh_quote(set) + "\"$N\"");
  const std::string drop = " | del(.properties.storageProfile.imageReference)";
  const std::string raise =
      n ? "--argjson n " + std::to_string(*n) + " " +
              sh_quote(".properties.securityProfile.proxyAgentSettings.keyIncarnationId = $n" +
                       drop)
        : sh_quote(
              ".properties.securityProfile.proxyAgentSettings.keyIncarnationId |= "
              "((. // 0) + 1) | if .properties.securityProfile.proxyAgentSettings."
              "keyIncarnationId > 2147483647 then error(\"keyIncarnationId is at its int32 "
              "limit\") else . end" +
              drop);
  b.reset = "url=" + sh_quote(path) +
            " && model=$(az rest --method get --url \"$url\") && etag=$(jq -er " +
            sh_quote(".etag // \"*\"") + " <<<\"$model\") && body=$(jq -c " + raise +
            " <<<\"$model\") && az rest --method put --url \"$url\" --headers "
            "\"If-Match=$etag\" --body \"$body\"";
  b.ps = "$arm = (Get-AzContext).Environment.ResourceManagerUrl; $uri = $arm.TrimEnd('/') + " +
         ps_quote(path) +
         "; $token = (Get-AzAccessToken -ResourceUrl $arm -AsSecureString).Token; $vm = "
         "Invoke-RestMethod -Method Get -Uri $uri -Authentication Bearer -Token $token; $N = " +
         (n ? std::to_string(*n)
            : std::string("[int64]$vm.properties.securityProfile.proxyAgentSettings."
                          "keyIncarnationId + 1")) +
         "; if ($N -gt 2147483647) { throw 'keyIncarnationId is at its int32 limit' }; "
         "$vm.properties.securityProfile.proxyAgentSettings | Add-Member -NotePropertyName "
         "keyIncarnationId -NotePropertyValue $N -Force; if ($vm.properties.storageProfile) { "
         "$vm.properties.storageProfile.PSObject.Properties.Remove('imageReference') }; $etag = "
         "if ($vm.etag) { $vm.etag } else { '*' }; Invoke-RestMethod -Method Put -Uri $uri "
         "-Authentication Bearer -Token $token -Headers @{ 'If-Match' = $etag } -ContentType "
         "'application/json' -Body ($vm | ConvertTo-Json -Depth 100)";
  b.patch_alt = (n ? std::string() : bash_next_n(b.read)) + "az rest --method patch --url " +
                sh_quote(path) + " --body " + bash_body(n);
  b.confirm = rest_confirm(rid);
  b.confirm_native =
      "az vmss get-instance-view" + target + " --query " + sh_quote(kSubstatusQuery) + " -o tsv";
  return b;
}

/// az's and Az PowerShell's name for the cloud IMDS calls azEnvironment.
std::string az_cloud_name(const std::string& imds_name) {
  const std::string lower = probes::ascii_lower(imds_name);
  if (lower == "azurepubliccloud") return "AzureCloud";
  if (lower == "azureusgovernmentcloud") return "AzureUSGovernment";
  if (lower == "azurechinacloud") return "AzureChinaCloud";
  if (lower == "azuregermancloud") return "AzureGermanCloud";
  return imds_name;
}

/// Gen1 VMs give the SMBIOS UUID with its first three groups byte-swapped against vmId
/// (cloud-init identity.py byte_swap_system_uuid); the swap is its own inverse.
std::string byte_swapped_guid(const std::string& guid) {
  auto swap = [](const std::string& group) {
    std::string out;
    for (std::size_t i = group.size(); i >= 2; i -= 2) out += group.substr(i - 2, 2);
    return out;
  };
  return swap(guid.substr(0, 8)) + "-" + swap(guid.substr(9, 4)) + "-" + swap(guid.substr(14, 4)) +
         guid.substr(18);
}

/// How to find the VM when its resource id is unknown; empty when nothing identifies it (never a
/// query with an empty value).
std::string find_command(const std::string& vm_id, const probes::HostFacts* host) {
  if (probes::is_guid_text(vm_id)) {
    const std::string a = probes::ascii_lower(vm_id);
    const std::string b = byte_swapped_guid(a);
    return "az vm list --query " + sh_quote("[?vmId=='" + a + "' || vmId=='" + b + "'].id") +
           " -o tsv";
  }
  if (host && probes::is_host_name(host->host_name))
    return "az vm list --query " +
           sh_quote("[?osProfile.computerName=='" + host->host_name + "'].id") + " -o tsv";
  if (host)
    for (const auto& address : host->private_addresses)
      if (probes::is_ip_address(address))
        // privateIps is one comma-joined string (az vm list -d): match a whole element.
        return "az vm list -d --query " +
               sh_quote("[?contains(join(',', ['', privateIps || '', '']), '," + address +
                        ",')].id") +
               " -o tsv";
  return {};
}

std::string host_description(const probes::HostFacts* host) {
  if (!host) return {};
  std::string out;
  auto add = [&out](const std::string& label, const std::string& value) {
    if (value.empty()) return;
    out += (out.empty() ? "" : ", ") + label + " " + probes::one_line(value, 120);
  };
  add("host name", host->host_name);
  if (!host->private_addresses.empty()) {
    std::string joined;
    for (const auto& a : host->private_addresses) joined += (joined.empty() ? "" : " ") + a;
    add("private address", joined);
  }
  add("OS", host->os_release);
  add("SMBIOS UUID", host->smbios_uuid);
  add("booted", host->boot_time);
  return out;
}

}  // namespace

ResourceParts parse_resource_id(const std::string& rid, const std::string& scale_set_name) {
  ResourceParts p;
  if (!probes::is_vm_resource_id(rid)) return p;  // the one check: azure_names.h
  auto s = split_path(
      rid);  // "", subscriptions, S, resourceGroups, RG, providers, Microsoft.Compute, ...
  if (s.size() < 9 || !iequal(s[3], "resourceGroups") || !iequal(s[5], "providers") ||
      !iequal(s[6], "Microsoft.Compute"))
    return p;
  if (s.size() == 9 && iequal(s[7], "virtualMachines")) {
    p.kind = probes::is_azure_name(scale_set_name) ? "flexible_member" : "virtual_machine";
    if (p.kind == "flexible_member") p.scale_set_name = scale_set_name;
    p.name = s[8];
  } else if (s.size() == 11 && iequal(s[7], "virtualMachineScaleSets") &&
             iequal(s[9], "virtualMachines")) {
    p.kind = "uniform_instance";
    p.scale_set_name = s[8];
    p.instance_id = s[10];
    p.name = s[10];
  } else {
    return p;
  }
  p.subscription_id = s[2];
  p.resource_group = s[4];
  return p;
}

std::string derive_resource_id(const std::string& subscription_id, const std::string& group,
                               const std::string& name, const std::string& scale_set) {
  if (!probes::is_guid_text(subscription_id) || !probes::is_azure_name(group) ||
      !probes::is_azure_name(name))
    return {};
  std::string base = "/subscriptions/" + subscription_id + "/resourceGroups/" + group +
                     "/providers/Microsoft.Compute/";
  if (scale_set.empty()) return base + "virtualMachines/" + name;
  if (!probes::is_azure_name(scale_set)) return {};
  auto underscore = name.rfind('_');
  if (underscore != std::string::npos && name.substr(0, underscore) == scale_set &&
      all_digits(name.substr(underscore + 1)))
    return base + "virtualMachineScaleSets/" + scale_set + "/virtualMachines/" +
           name.substr(underscore + 1);
  return base + "virtualMachines/" + name;  // a Flexible member is a VM resource of its own
}

Remedy build_remedy(const Identity& identity, std::optional<std::int64_t> largest_incarnation,
                    bool planned, const probes::HostFacts* host) {
  Remedy r;
  r.planned = planned;
  ResourceParts parts = parse_resource_id(identity.resource_id, identity.vm_scale_set_name);
  // Only an id that passes the checks and names a VM or an instance reaches a command.
  if (parts.kind != "unknown") r.resource_id = identity.resource_id;
  r.resource_kind = parts.kind;
  r.subscription_id = parts.subscription_id;
  r.resource_group = parts.resource_group;
  r.scale_set_name = parts.scale_set_name;
  r.instance_id = parts.kind == "uniform_instance" ? parts.instance_id : std::string();
  r.identity_source = r.resource_id.empty() ? "unknown" : identity.source;
  r.identity_age_seconds = identity.age_seconds;
  std::string vm_id = identity.vm_id.empty() ? identity.smbios_uuid : identity.vm_id;
  if (probes::is_guid_text(vm_id)) r.vm_id = vm_id;
  r.current_incarnation = largest_incarnation;
  if (largest_incarnation && *largest_incarnation >= 0 &&
      *largest_incarnation < kMaxKeyIncarnationId)
    r.next_incarnation = *largest_incarnation + 1;
  const bool at_limit = largest_incarnation && *largest_incarnation >= kMaxKeyIncarnationId;

  const std::string rid = r.resource_id.empty() ? kPlaceholder : r.resource_id;
  const bool uniform = parts.kind == "uniform_instance";
  Built b = uniform ? uniform_commands(rid, parts, r.next_incarnation)
                    : vm_commands(rid, r.next_incarnation);
  const nlohmann::json n_json =
      r.next_incarnation ? nlohmann::json(*r.next_incarnation) : nlohmann::json("current+1");
  r.request.method = uniform ? "PUT" : "PATCH";
  r.request.url = relative_url(rid);
  if (uniform) {
    // Never a partial PUT body: a PUT replaces the whole instance model.
    r.request.body = nullptr;
    r.request.steps = nlohmann::json::array(
        {{{"step", "get"}, {"method", "GET"}, {"url", r.request.url}, {"keep", "model and etag"}},
         {{"step", "raise"},
          {"path", "properties.securityProfile.proxyAgentSettings.keyIncarnationId"},
          {"value", n_json},
          {"max", kMaxKeyIncarnationId}},
         {{"step", "remove"}, {"path", "properties.storageProfile.imageReference"}},
         {{"step", "put"},
          {"method", "PUT"},
          {"url", r.request.url},
          {"headers", {{"If-Match", "etag from the get step ('*' when the model has none)"}}},
          {"body", "the whole model from the get step, as raised and with imageReference removed"},
          {"on_412", "start again from the get step"}}});
  } else {
    r.request.body = {
        {"properties",
         {{"securityProfile",
           {{"proxyAgentSettings",
             {{"keyIncarnationId", r.next_incarnation ? nlohmann::json(*r.next_incarnation)
                                                      : nlohmann::json("N")}}}}}}}};
    r.request.steps = nlohmann::json::array({{{"step", "patch"},
                                              {"method", "PATCH"},
                                              {"url", r.request.url},
                                              {"body", r.request.body},
                                              {"value", n_json},
                                              {"max", kMaxKeyIncarnationId}}});
  }
  r.read_incarnation_command = b.read;
  r.read_az_native_command = b.read_native;
  r.confirm_command = b.confirm;
  r.confirm_az_native_command = b.confirm_native;
  if (probes::is_cloud_name(identity.cloud)) r.cloud = identity.cloud;
  if (at_limit) {
    r.blocked = "keyIncarnationId is already " + std::to_string(*largest_incarnation) +
                ", and the REST specification holds it as int32 (largest 2147483647): ARM "
                "cannot take a larger value, so no reset command is given. Read the current "
                "value with the read command; if it really is at the limit, only redeploying "
                "the VM (a new resource) gives it a new key.";
  } else {
    r.az_command = b.reset;
    r.az_update_command = b.update;
    r.powershell_command = b.ps;
    r.patch_alternative = b.patch_alt;
  }

  if (r.resource_id.empty()) {
    r.find_vm_command = find_command(r.vm_id, host);
    std::string described = host_description(host);
    if (r.find_vm_command.empty())
      r.notes.push_back(
          "The resource id is unknown here and nothing names this VM to az: find "
          "it in the portal" +
          (described.empty() ? std::string() : " by " + described) +
          ", then put its id in place of {resourceId}.");
    else
      r.notes.push_back(
          "The resource id is unknown here: find the VM with the find_vm command (on Gen1 VMs "
          "the SMBIOS UUID is byte-swapped in its first three groups; Uniform scale-set "
          "instances are not listed by az vm list: use az vmss list-instances), then put its id "
          "in place of {resourceId}" +
          (described.empty() ? std::string(".") : ". This machine: " + described + "."));
  }
  if (uniform) {
    r.scale_set_note = "This VM is instance " + parts.instance_id + " of Uniform scale set " +
                       parts.scale_set_name +
                       ": the key is reset per instance. Its model takes PUT, not PATCH: GET the "
                       "instance, raise the value, drop storageProfile.imageReference, PUT it "
                       "back with If-Match (az vmss update --instance-id does the same). There is "
                       "no scale-set-wide reset; repeat for each affected instance.";
    if (!r.patch_alternative.empty())
      r.notes.push_back(
          "patch_alternative: Microsoft Learn's key-reset page documents a PATCH on "
          "the instance; the REST specification has no PATCH on this path (every "
          "stable version 2024-03-01 to 2025-11-01), and ARM answers 405 for a "
          "method a resource lacks. Use it only if the PUT path is not possible.");
  } else if (parts.kind == "flexible_member") {
    r.scale_set_note = "This VM is a member of Flexible scale set " + parts.scale_set_name +
                       ": it is a VM resource of its own, reset like a standalone VM.";
  }
  r.notes.push_back(
      "The az rest forms work with any az and need jq for a Uniform instance; their URLs have "
      "no host, so az sends them to the cloud it is logged in to (" +
      (r.cloud.empty() ? std::string("this VM's cloud is unknown here: log in to the cloud the "
                                     "VM is in")
                       : "this VM is in " + r.cloud + ": az cloud set --name " +
                             az_cloud_name(r.cloud) + " before az login; PowerShell: " +
                             "Connect-AzAccount -Environment " + az_cloud_name(r.cloud)) +
      ").");
  r.notes.push_back(
      "The az vm show / az vmss show / get-instance-view / az vmss update forms need an az whose "
      "compute API knows proxyAgentSettings (2023-09-01 or later; an older az prints nothing or "
      "fails, and Debian 12's azure-cli package fails every az vm command).");
  if (!r.az_update_command.empty() && !uniform)
    r.notes.push_back(
        "az_vm_update needs az CLI >= 2.72.0 (--key-incarnation-id) and PUTs the whole VM.");
  r.notes.push_back(
      "A Terraform (azurerm/azapi) or Bicep template that pins keyIncarnationId must be raised "
      "to the same value there too, or its next apply fails.");
  const std::string n_text =
      r.next_incarnation ? std::to_string(*r.next_incarnation) : std::string("N");
  r.confirm =
      "After the change propagates, the confirm command prints GPA's status (a JSON "
      "string) from the ProxyAgent extension's instance view: keyLatchStatus.states "
      "shows keyIncarnationId " +
      n_text +
      " and a new keyGuid; GPA recovers by itself. VMs whose GPA is baked into the "
      "image have no such substatus, and under WireServer Enforce with no key the "
      "instance view stays frozen at its last good value until GPA recovers. Raise the "
      "value only: ARM rejects anything not strictly greater, and the largest value "
      "wins.";
  return r;
}

}  // namespace latchwatch
