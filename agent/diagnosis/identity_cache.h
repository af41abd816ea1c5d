#pragma once
/// The VM's identity and last seen key, cached under the state dir while IMDS answers, so that a
/// remedy can still name the resource when IMDS is cut off (domain brief §7).

#include <chrono>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "probes/base/azure_names.h"
#include "probes/base/parsed.h"
#include "probes/base/vm_identity.h"

namespace latchwatch::diagnosis {

/// The identity last seen from IMDS, and the key that was latched then.
struct CachedIdentity : VmIdentity {
  /// IMDS compute.azEnvironment (checked), so a report made while IMDS is cut off still names
  /// the cloud its printed commands are for. Empty in caches written before it was kept.
  std::string cloud;
  std::string last_key_guid;
  std::optional<std::int64_t> last_key_incarnation_id;
  std::chrono::system_clock::time_point written_at{};
};

enum class CacheState { absent, ok, corrupt, unreadable };
const char* to_string(CacheState s);

struct CacheLoad {
  CacheState state = CacheState::absent;
  std::string error;
  std::optional<CachedIdentity> identity;
  /// Fields of the file that failed their character-class check: dropped from `identity`.
  std::vector<probes::RejectedField> rejected;
};

std::string identity_cache_path(const std::string& state_dir);

/// Reads STATE/identity.json. A corrupt, half-written or oversized file is reported, not fatal.
/// The file is untrusted (anything in the VM that can write the state dir, or a restored disk):
/// every identity field is checked as on arrival from IMDS (drop_invalid_fields).
CacheLoad load_identity_cache(const std::string& state_dir);

/// Writes STATE/identity.json atomically (temp file, fsync, rename). Returns an error text, or
/// empty on success.
std::string store_identity_cache(const std::string& state_dir, const CachedIdentity& identity);

Parsed<CachedIdentity> parse_identity_cache(std::string_view text);
/// Clears every field that fails its check (names, ids, GUIDs) and says which.
std::vector<probes::RejectedField> drop_invalid_fields(CachedIdentity& c);
void to_json(nlohmann::json& j, const CachedIdentity& c);

}  // namespace latchwatch::diagnosis
