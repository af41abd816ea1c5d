#pragma once
/// WireServer `GET /secure-channel/status` (protocol 1.0 and 2.0), domain brief §2.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "probes/parsed.h"

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
  Mode hostga = Mode::disabled;  ///< follows WireServer in v1 and when v2 omits it
};

/// Tolerates unknown fields, any case of the v1 state, keyIncarnationId as number or numeric
/// string. Rejects (as GPA does) a body with neither secureChannelState nor secureChannelEnabled,
/// an unknown state or mode, non-JSON, and JSON nested deeper than 64 levels.
Parsed<SecureChannelStatus> parse_secure_channel_status(std::string_view body);

/// Summary for reports: {"version","enabled","keyGuid","keyIncarnationId","modes":{...}}.
void to_json(nlohmann::json& j, const SecureChannelStatus& s);

}  // namespace latchwatch::probes
