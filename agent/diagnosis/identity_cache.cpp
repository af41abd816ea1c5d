#include "agent/diagnosis/identity_cache.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "probes/base/json_limits.h"
#include "probes/os/atomic_file.h"
#include "probes/os/bounded_file.h"

namespace latchwatch::diagnosis {
namespace {

constexpr int kCacheSchema = 1;
constexpr std::size_t kCacheLimit = 64 * 1024;

bool read_string(const nlohmann::json& j, const char* key, std::string& out, std::string& error) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_string()) {
    error = std::string("/") + key + " must be a string";
    return false;
  }
  out = it->get<std::string>();
  return true;
}

}  // namespace

const char* to_string(CacheState s) {
  switch (s) {
    case CacheState::absent:
      return "absent";
    case CacheState::ok:
      return "ok";
    case CacheState::corrupt:
      return "corrupt";
    case CacheState::unreadable:
      return "unreadable";
  }
  return "unknown";
}

std::string identity_cache_path(const std::string& state_dir) {
  return state_dir + "/identity.json";
}

Parsed<CachedIdentity> parse_identity_cache(std::string_view text) {
  std::string error;
  nlohmann::json j = probes::parse_untrusted_json(text, error);
  if (j.is_discarded()) return Parsed<CachedIdentity>::fail(error);
  if (!j.is_object()) return Parsed<CachedIdentity>::fail("not a JSON object");
  auto schema = j.find("schema");
  if (schema == j.end() || !schema->is_number_integer() || *schema != kCacheSchema)
    return Parsed<CachedIdentity>::fail("/schema must be " + std::to_string(kCacheSchema));
  CachedIdentity c;
  std::string written_at;
  for (auto [key, slot] : {std::pair{"resource_id", &c.resource_id},
                           {"subscription_id", &c.subscription_id},
                           {"resource_group_name", &c.resource_group_name},
                           {"name", &c.name},
                           {"vm_scale_set_name", &c.vm_scale_set_name},
                           {"vm_id", &c.vm_id},
                           {"smbios_uuid", &c.smbios_uuid},
                           {"security_type", &c.security_type},
                           {"cloud", &c.cloud},
                           {"last_key_guid", &c.last_key_guid}}) {
    if (!read_string(j, key, *slot, error)) return Parsed<CachedIdentity>::fail(error);
  }
  if (auto it = j.find("ephemeral_os_disk"); it != j.end() && it->is_boolean())
    c.ephemeral_os_disk = it->get<bool>();
  if (auto it = j.find("last_key_incarnation_id"); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer())
      return Parsed<CachedIdentity>::fail("/last_key_incarnation_id must be an integer");
    c.last_key_incarnation_id = it->get<std::int64_t>();
  }
  // Seconds since 1970, within what the clock can represent (the fuzzer found the overflow).
  constexpr std::int64_t kLatest = std::int64_t{1} << 33;  // year 2242; ns ticks overflow ~2262
  auto written = j.find("written_at_unix");
  if (written == j.end() || !written->is_number_integer() || written->get<std::int64_t>() < 0 ||
      written->get<std::int64_t>() > kLatest)
    return Parsed<CachedIdentity>::fail("/written_at_unix must be whole seconds since 1970");
  c.written_at =
      std::chrono::system_clock::time_point(std::chrono::seconds(written->get<std::int64_t>()));
  return Parsed<CachedIdentity>::ok(std::move(c));
}

std::vector<probes::RejectedField> drop_invalid_fields(CachedIdentity& c) {
  using namespace probes;
  std::vector<RejectedField> rejected;
  keep_if_valid(c.resource_id, is_vm_resource_id, "resource_id", "a VM or scale-set instance id",
                rejected);
  keep_if_valid(c.subscription_id, is_guid_text, "subscription_id", "a GUID", rejected);
  keep_if_valid(c.resource_group_name, is_azure_name, "resource_group_name",
                "a resource group name", rejected);
  keep_if_valid(c.name, is_azure_name, "name", "a VM name", rejected);
  keep_if_valid(c.vm_scale_set_name, is_azure_name, "vm_scale_set_name", "a scale set name",
                rejected);
  keep_if_valid(c.vm_id, is_guid_text, "vm_id", "a GUID", rejected);
  keep_if_valid(c.smbios_uuid, is_guid_text, "smbios_uuid", "a GUID", rejected);
  keep_if_valid(c.security_type, is_azure_name, "security_type", "a security type", rejected);
  keep_if_valid(c.cloud, is_cloud_name, "cloud", "a cloud name", rejected);
  keep_if_valid(c.last_key_guid, is_guid_text, "last_key_guid", "a GUID", rejected);
  return rejected;
}

void to_json(nlohmann::json& j, const CachedIdentity& c) {
  j = {{"schema", kCacheSchema},
       {"resource_id", c.resource_id},
       {"subscription_id", c.subscription_id},
       {"resource_group_name", c.resource_group_name},
       {"name", c.name},
       {"vm_scale_set_name", c.vm_scale_set_name},
       {"vm_id", c.vm_id},
       {"smbios_uuid", c.smbios_uuid},
       {"security_type", c.security_type},
       {"ephemeral_os_disk", c.ephemeral_os_disk},
       {"cloud", c.cloud},
       {"last_key_guid", c.last_key_guid},
       {"last_key_incarnation_id", c.last_key_incarnation_id
                                       ? nlohmann::json(*c.last_key_incarnation_id)
                                       : nlohmann::json(nullptr)},
       {"written_at_unix",
        std::chrono::duration_cast<std::chrono::seconds>(c.written_at.time_since_epoch()).count()}};
}

CacheLoad load_identity_cache(const std::string& state_dir) {
  CacheLoad load;
  if (state_dir.empty()) return load;
  auto file = probes::read_bounded_file(identity_cache_path(state_dir), kCacheLimit);
  if (file.state == probes::ReadState::missing) return load;
  if (file.state != probes::ReadState::ok) {
    load.state =
        file.state == probes::ReadState::too_large ? CacheState::corrupt : CacheState::unreadable;
    load.error = file.error;
    return load;
  }
  auto parsed = parse_identity_cache(file.content);
  if (!parsed) {
    load.state = CacheState::corrupt;
    load.error = identity_cache_path(state_dir) + ": " + parsed.error;
    return load;
  }
  load.state = CacheState::ok;
  load.identity = std::move(parsed.value);
  load.rejected = drop_invalid_fields(*load.identity);
  // The file's mtime is refreshed each time IMDS confirms the identity unchanged.
  load.identity->written_at = std::max(load.identity->written_at, file.mtime);
  return load;
}

std::string store_identity_cache(const std::string& state_dir, const CachedIdentity& identity) {
  if (auto error = probes::ensure_directory(state_dir); !error.empty()) return error;
  return probes::write_file_atomically(
      identity_cache_path(state_dir),
      nlohmann::json(identity).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
      0640);
}

}  // namespace latchwatch::diagnosis
