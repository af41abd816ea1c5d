#include "probes/payloads/secure_channel_status.h"

#include <nlohmann/json.hpp>

#include "probes/payloads/json_limits.h"

namespace latchwatch::probes {
namespace {

using json = nlohmann::json;
using Result = Parsed<SecureChannelStatus>;

bool parse_mode(const std::string& text, Mode& out) {
  auto lowered = ascii_lower(text);
  if (lowered == "disabled") out = Mode::disabled;
  else if (lowered == "audit") out = Mode::audit;
  else if (lowered == "enforce") out = Mode::enforce;
  else return false;
  return true;
}

/// keyIncarnationId: an integer, a numeric string, null or absent.
bool read_incarnation(const json& j, std::optional<std::int64_t>& out, std::string& error) {
  auto it = j.find("keyIncarnationId");
  if (it == j.end() || it->is_null()) return true;
  out = json_int64(*it);
  if (out) return true;
  error = "/keyIncarnationId must be an integer, a numeric string or null";
  return false;
}

bool apply_v1_state(const std::string& state, SecureChannelStatus& s, std::string& error) {
  auto lowered = ascii_lower(state);
  if (lowered == "disabled") {
    s.enabled = false;
  } else if (lowered == "wireserver") {
    s.enabled = true;
    s.wireserver = Mode::enforce;
    s.imds = Mode::audit;
  } else if (lowered == "wireserverandimds") {
    s.enabled = true;
    s.wireserver = s.imds = Mode::enforce;
  } else {
    error = "/secureChannelState has an unknown value '" + sanitize_text(state, 64) + "'";
    return false;
  }
  s.hostga = s.wireserver;
  return true;
}

/// One item of authorizationRules: {"mode": ...}; a missing item means disabled.
bool read_rule_mode(const json& rules, const char* name, Mode& out, bool& present,
                    std::string& error) {
  present = false;
  auto it = rules.find(name);
  if (it == rules.end() || it->is_null()) return true;
  if (!it->is_object()) {
    error = std::string("/authorizationRules/") + name + " must be an object";
    return false;
  }
  const std::string pointer = std::string("/authorizationRules/") + name + "/mode";
  auto mode = it->find("mode");
  if (mode == it->end() || !mode->is_string()) {
    error = pointer + " must be disabled, audit or enforce";
    return false;
  }
  if (!parse_mode(mode->get_ref<const std::string&>(), out)) {
    error = pointer + " has an unknown value '" +
            sanitize_text(mode->get_ref<const std::string&>(), 64) +
            "' (expected disabled, audit or enforce)";
    return false;
  }
  present = true;
  return true;
}

/// Protocol 2.0. secureChannelEnabled true with authorizationRules null (or absent) enforces
/// nothing, so it is reported as not enabled: the modes are all disabled either way (§2).
bool apply_v2(const json& j, SecureChannelStatus& s, std::string& error) {
  auto enabled = j.find("secureChannelEnabled");
  if (enabled == j.end() || !enabled->is_boolean()) {
    error = "/secureChannelEnabled must be true or false";
    return false;
  }
  s.enabled = enabled->get<bool>();
  auto rules = j.find("authorizationRules");
  if (!s.enabled || rules == j.end() || rules->is_null()) {
    s.enabled = false;
    return true;
  }
  if (!rules->is_object()) {
    error = "/authorizationRules must be an object or null";
    return false;
  }
  bool ws = false, imds = false, hostga = false;
  if (!read_rule_mode(*rules, "wireserver", s.wireserver, ws, error) ||
      !read_rule_mode(*rules, "imds", s.imds, imds, error) ||
      !read_rule_mode(*rules, "hostga", s.hostga, hostga, error))
    return false;
  if (!hostga) s.hostga = s.wireserver;  // HostGAPlugin follows WireServer
  return true;
}

}  // namespace

const char* to_string(Mode m) {
  switch (m) {
    case Mode::disabled: return "disabled";
    case Mode::audit: return "audit";
    case Mode::enforce: return "enforce";
  }
  return "disabled";
}

Parsed<SecureChannelStatus> parse_secure_channel_status(std::string_view body) {
  std::string error;
  json j = parse_untrusted_json(body, error);
  if (j.is_discarded()) return Result::fail(error);
  if (!j.is_object()) return Result::fail("not a JSON object");

  SecureChannelStatus s;
  if (auto v = j.find("version"); v != j.end() && v->is_string())
    s.protocol_version = sanitize_text(v->get<std::string>(), 16);

  if (auto g = j.find("keyGuid"); g != j.end() && !g->is_null()) {
    if (!g->is_string()) return Result::fail("/keyGuid must be a string or null");
    s.key_guid = ascii_lower(sanitize_text(g->get<std::string>(), 64));
  }
  if (!read_incarnation(j, s.key_incarnation_id, error)) return Result::fail(error);

  auto state = j.find("secureChannelState");
  auto enabled = j.find("secureChannelEnabled");
  const bool has_state = state != j.end() && !state->is_null();
  const bool has_enabled = enabled != j.end() && !enabled->is_null();
  // Both present: the protocol version decides which one GPA would read.
  const bool prefer_v2 = has_enabled && (!has_state || s.protocol_version.rfind('2', 0) == 0);
  if (prefer_v2) {
    if (!apply_v2(j, s, error)) return Result::fail(error);
  } else if (has_state) {
    if (!state->is_string()) return Result::fail("/secureChannelState must be a string");
    const auto& text = state->get_ref<const std::string&>();
    s.state = sanitize_text(text, 64);
    if (!apply_v1_state(text, s, error)) return Result::fail(error);
  } else {
    return Result::fail("neither secureChannelState nor secureChannelEnabled is present");
  }
  if (!s.enabled) s.wireserver = s.imds = s.hostga = Mode::disabled;
  return Result::ok(std::move(s));
}

void to_json(nlohmann::json& j, const SecureChannelStatus& s) {
  j = {{"version", s.protocol_version},
       {"enabled", s.enabled},
       {"keyGuid", s.key_guid.empty() ? json(nullptr) : json(s.key_guid)},
       {"keyIncarnationId", s.key_incarnation_id ? json(*s.key_incarnation_id) : json(nullptr)},
       {"modes",
        {{"wireserver", to_string(s.wireserver)},
         {"imds", to_string(s.imds)},
         {"hostga", to_string(s.hostga)}}}};
  if (!s.state.empty()) j["state"] = s.state;
}

}  // namespace latchwatch::probes
