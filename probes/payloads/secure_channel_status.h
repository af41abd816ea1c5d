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
  /// WireServer's mode, as GPA 1.0.28 on does (get_hostga_mode). GPA 1.0.26 – 1.0.27 take it
  /// from the `hostga` item instead: see hostga_mode_for (gpa_era.h).
  Mode hostga = Mode::disabled;
  /// v2 carried a `hostga` rule item whose mode differs from WireServer's; GPA 1.0.28 on ignore
  /// it.
  bool hostga_item_ignored = false;
  /// The v2 `hostga` item's mode, when there is one (what GPA 1.0.26 – 1.0.27 use).
  std::optional<Mode> hostga_item_mode;
  /// The v2 rule items (wireserver, imds, hostga) that have no `id`. GPA 1.0.15 on reads `id` as
  /// a required String and rejects the whole body; 1.0.13.1 and 1.0.14 have no such field.
  std::string items_without_id;  ///< e.g. "imds, hostga"; empty when every item has one
};

/// HostGAPlugin's mode as a GPA of `hostga_from_item` behaviour reads `s` (true: 1.0.26 – 1.0.27,
/// the `hostga` item's mode, disabled without one; false: WireServer's).
Mode hostga_mode_for(const SecureChannelStatus& s, bool hostga_from_item);

/// Mirrors GPA's KeyStatus (key_keeper/key.rs, 1.0.13 … 1.0.47): protocol 2.0 only when
/// `version` is exactly "2.0"; rejects, as GPA's serde and validate() do, a body with neither
/// secureChannelState nor secureChannelEnabled, a state other than Disabled/Wireserver/
/// WireserverAndImds (any case), version "1.0" without a state, version "2.0" without
/// secureChannelEnabled, keyIncarnationId that is not a u32, an authorizationScheme,
/// keyDeliveryMethod or version that is missing, null or not a string, a rule item whose mode or
/// defaultAccess is, wrong types, non-JSON, and JSON nested deeper than 64 levels. An unknown v2
/// mode reads as disabled, and any authorizationScheme string passes (GPA rejects neither). A rule
/// item without `id` is parsed and named in `items_without_id`: whether GPA accepts it depends on
/// its era (1.0.15 on reject it), so the diagnosis decides.
Parsed<SecureChannelStatus> parse_secure_channel_status(std::string_view body);

/// Summary for reports: {"version","enabled","keyGuid","keyIncarnationId","modes":{...}}.
void to_json(nlohmann::json& j, const SecureChannelStatus& s);

}  // namespace latchwatch::probes
