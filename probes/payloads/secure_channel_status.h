#pragma once
/// WireServer `GET /secure-channel/status` (protocol 1.0 and 2.0), domain brief §2.

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "probes/base/parsed.h"

namespace latchwatch::probes {

enum class Mode { disabled, audit, enforce };
const char* to_string(Mode m);

struct SecureChannelStatus {
  std::string protocol_version;  ///< "1.0" or "2.0" as sent
  bool enabled = false;          ///< v1 state != Disabled; v2 secureChannelEnabled
  std::string state;             ///< v1 secureChannelState as sent; empty for v2
  /// Empty when the server sent null or "" (no key latched).
  std::string key_guid;
  std::optional<std::int64_t> key_incarnation_id;
  Mode wireserver = Mode::disabled;
  Mode imds = Mode::disabled;
  Mode hostga = Mode::disabled;  ///< always WireServer's mode, as GPA does (get_hostga_mode)
  /// v2 carried a `hostga` rule item whose mode differs from WireServer's; GPA ignores it.
  bool hostga_item_ignored = false;
};

/// Mirrors GPA's KeyStatus (key_keeper/key.rs, 1.0.13 … 1.0.47): protocol 2.0 only when
/// `version` is exactly "2.0"; rejects, as GPA's serde and validate() do, a body with neither
/// secureChannelState nor secureChannelEnabled, a state other than Disabled/Wireserver/
/// WireserverAndImds (any case), version "1.0" without a state, version "2.0" without
/// secureChannelEnabled, keyIncarnationId that is not a u32, an authorizationScheme,
/// keyDeliveryMethod or version that is missing, null or not a string, a rule item whose mode or
/// defaultAccess is, wrong types, non-JSON, and JSON nested deeper than 64 levels. An unknown v2
/// mode reads as disabled, and any authorizationScheme string passes (GPA rejects neither). A rule
/// item without `id` is tolerated: GPA 1.0.13.1's AuthorizationItem has no `id`.
Parsed<SecureChannelStatus> parse_secure_channel_status(std::string_view body);

/// Summary for reports: {"version","enabled","keyGuid","keyIncarnationId","modes":{...}}.
void to_json(nlohmann::json& j, const SecureChannelStatus& s);

}  // namespace latchwatch::probes
