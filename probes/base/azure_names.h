#pragma once
/// Character-class checks for the Azure names, ids and GUIDs that can reach a printed command.
/// One implementation for every reader of untrusted identity: IMDS answers (on arrival), the
/// identity cache (when read back), and the reports and az exports `plan` reads. A value that
/// fails is dropped, never quoted around (real-platform.md §3).

#include <string>
#include <string_view>
#include <vector>

namespace latchwatch::probes {

/// Letters, digits and . _ - ( ): what Azure allows in VM, group and scale-set names. ARM
/// refuses a name that ends in '.', so "." and ".." (path segments an HTTP client normalises
/// away: ".../virtualMachineScaleSets/../virtualMachines/db" is sent as ".../virtualMachines/db")
/// never pass.
bool is_azure_name(std::string_view text);
/// "/subscriptions/{...}/resourceGroups/..." made of names (as above: no "." or ".." segment)
/// and slashes only.
bool is_azure_resource_id(std::string_view text);
/// The id of a VM or of a Uniform scale-set instance, the only resources whose key can be reset:
/// "/subscriptions/{id}/resourceGroups/{name}/providers/Microsoft.Compute/virtualMachines/{name}"
/// or ".../Microsoft.Compute/virtualMachineScaleSets/{name}/virtualMachines/{digits}" (provider
/// and type segments compare case-insensitively, as ARM's do). The one check every reader of a
/// resource id that may reach a command or a plan row uses.
bool is_vm_resource_id(std::string_view text);
/// 8-4-4-4-12 hex digits.
bool is_guid_text(std::string_view text);
/// "https://{vault}.vault.azure.net/keys/{name}/{version}" (any *.azure.net-style host),
/// letters, digits, '-', '.', '/' and ':' only.
bool is_key_url(std::string_view text);
/// An RFC 1123 host name: letters, digits, '-' and '.', at most 253 characters.
bool is_host_name(std::string_view text);
/// An Azure cloud name as IMDS compute.azEnvironment gives it ("AzurePublicCloud",
/// "AzureUSGovernmentCloud", "AzureChinaCloud"): 1 to 64 ASCII letters and digits.
bool is_cloud_name(std::string_view text);
/// A numeric IPv4 or IPv6 address (inet_pton accepts it).
bool is_ip_address(std::string_view text);

/// One identity field that failed its check: which, and why (the value is not repeated whole:
/// it is hostile by assumption; `shown` is a short escaped excerpt for the finding).
struct RejectedField {
  std::string field;     ///< "resourceId", "vmId", ...
  std::string expected;  ///< "an Azure resource id", "a GUID", ...
  std::string shown;     ///< escaped, one line, at most ~60 characters
};

/// Checks `value` with `valid`; on failure clears it and records the rejection. Empty values
/// pass (absent is not hostile).
void keep_if_valid(std::string& value, bool (*valid)(std::string_view), const char* field,
                   const char* expected, std::vector<RejectedField>& rejected);

/// Text for a person on one line: printable ASCII kept, '\\' doubled, CR/LF/tab as \r \n \t,
/// every other byte (controls, DEL, non-ASCII) as \xNN. Cut to `max_len` bytes of output with
/// "..." appended. Whatever it is given, the result has no line break and no control character.
std::string one_line(std::string_view text, std::size_t max_len = 200);

}  // namespace latchwatch::probes
