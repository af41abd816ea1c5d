#include "probes/payloads/secure_channel_status.h"

#include <nlohmann/json.hpp>

#include "probes/base/json_limits.h"

namespace latchwatch::probes {
namespace {

using json = nlohmann::json;
using Result = Parsed<SecureChannelStatus>;

/// keyIncarnationId: GPA reads it as Option<u32> (serde), so only null, absent or an integer
/// 0..4294967295 passes; a numeric string or a negative number makes GPA reject the whole body.
bool read_incarnation(const json& j, std::optional<std::int64_t>& out, std::string& error) {
  auto it = j.find("keyIncarnationId");
  if (it == j.end() || it->is_null()) return true;
  if (it->is_number_unsigned() && it->get<std::uint64_t>() <= 0xFFFFFFFFull) {
    out = static_cast<std::int64_t>(it->get<std::uint64_t>());
    return true;
  }
  if (it->is_number_integer() && !it->is_number_unsigned() && it->get<std::int64_t>() >= 0 &&
      it->get<std::int64_t>() <= 0xFFFFFFFFll) {
    out = it->get<std::int64_t>();
    return true;
  }
  error = "/keyIncarnationId must be an integer from 0 to 4294967295 or null (GPA reads a u32)";
  return false;
}

/// GPA's three v1 states (key_keeper.rs DISABLE_STATE, MUST_SIG_WIRESERVER,
/// MUST_SIG_WIRESERVER_IMDS), compared lower-cased; GPA's validate() rejects any other value,
/// in either protocol version.
bool known_v1_state(const std::string& lowered) {
  return lowered == "disabled" || lowered == "wireserver" || lowered == "wireserverandimds";
}

void apply_v1_state(const std::string& lowered, SecureChannelStatus& s) {
  if (lowered == "wireserver") {
    s.enabled = true;
    s.wireserver = Mode::enforce;
    s.imds = Mode::audit;  // GPA get_imds_mode: "wireserver" gives IMDS audit
  } else if (lowered == "wireserverandimds") {
    s.enabled = true;
    s.wireserver = s.imds = Mode::enforce;
  } else {
    s.enabled = false;
  }
}

/// GPA's mode reading (key.rs get_secure_channel_state): lower-cased "enforce" or "audit", and
/// anything else counts as disabled; GPA does not reject an unknown mode.
Mode mode_of(const std::string& text) {
  auto lowered = ascii_lower(text);
  if (lowered == "enforce") return Mode::enforce;
  if (lowered == "audit") return Mode::audit;
  return Mode::disabled;
}

/// A field GPA's serde reads as a non-Option `String`: absent, null or any other type makes
/// serde fail, and GPA rejects the whole body. Only the type is checked: GPA's validate() merely
/// logs an authorizationScheme other than Azure-HMAC-SHA256, so any string value passes.
bool require_string(const json& object, const std::string& pointer, const char* name,
                    std::string& error) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) {
    error =
        pointer + "/" + name + " is missing or null (GPA requires a string and rejects the body)";
    return false;
  }
  if (!it->is_string()) {
    error = pointer + "/" + name + " must be a string (GPA rejects the body)";
    return false;
  }
  return true;
}

/// One item of authorizationRules (AuthorizationItem): null/absent, or an object whose `mode`
/// and `defaultAccess` are strings (non-Option String at every GPA tag, 1.0.13.1 to 1.0.47: serde
/// rejects the body otherwise). `id` is a required String from 1.0.15 on (1.0.13.1 and 1.0.14
/// have no such field, so they accept a body without one): missing, it is recorded in
/// `missing_id` for the diagnosis to judge by GPA's era; present, it must be a string.
bool read_rule_item(const json& rules, const char* name, std::optional<Mode>& out,
                    std::string& missing_id, std::string& error) {
  auto it = rules.find(name);
  if (it == rules.end() || it->is_null()) return true;
  const std::string pointer = std::string("/authorizationRules/") + name;
  if (!it->is_object()) {
    error = pointer + " must be an object";
    return false;
  }
  auto mode = it->find("mode");
  if (mode == it->end() || !mode->is_string()) {
    error = pointer + "/mode must be a string (disabled, audit or enforce)";
    return false;
  }
  if (!require_string(*it, pointer, "defaultAccess", error)) return false;
  auto id = it->find("id");
  if (id != it->end() && !id->is_null() && !id->is_string()) {
    error = pointer + "/id must be a string";
    return false;
  }
  if (id == it->end() || id->is_null())
    missing_id += (missing_id.empty() ? "" : ", ") + std::string(name);
  out = mode_of(it->at("mode").get_ref<const std::string&>());
  return true;
}

/// Protocol 2.0 (chosen only when version is exactly "2.0", as GPA does). GPA's state is
/// "disabled" when secureChannelEnabled is false or authorizationRules is null; otherwise it
/// acquires the key whatever the modes say, so `enabled` is true then.
bool apply_v2(const json& j, SecureChannelStatus& s, std::string& error) {
  s.enabled = j.at("secureChannelEnabled").get<bool>();
  auto rules = j.find("authorizationRules");
  if (rules != j.end() && !rules->is_null() && !rules->is_object()) {
    error = "/authorizationRules must be an object or null";
    return false;
  }
  std::optional<Mode> ws, imds, hostga;
  if (rules != j.end() && rules->is_object() &&
      (!read_rule_item(*rules, "wireserver", ws, s.items_without_id, error) ||
       !read_rule_item(*rules, "imds", imds, s.items_without_id, error) ||
       !read_rule_item(*rules, "hostga", hostga, s.items_without_id, error)))
    return false;
  if (!s.enabled || rules == j.end() || rules->is_null()) {
    s.enabled = false;
    return true;
  }
  s.wireserver = ws.value_or(Mode::disabled);
  s.imds = imds.value_or(Mode::disabled);
  // HostGAPlugin follows WireServer from GPA 1.0.28 on (get_hostga_mode); 1.0.26 – 1.0.27
  // read the hostga item (hostga_mode_for).
  s.hostga = s.wireserver;
  s.hostga_item_mode = hostga;
  s.hostga_item_ignored = hostga && *hostga != s.wireserver;
  return true;
}

}  // namespace

const char* to_string(Mode m) {
  switch (m) {
    case Mode::disabled:
      return "disabled";
    case Mode::audit:
      return "audit";
    case Mode::enforce:
      return "enforce";
  }
  return "disabled";
}

Parsed<SecureChannelStatus> parse_secure_channel_status(std::string_view body) {
  std::string error;
  json j = parse_untrusted_json(body, error);
  if (j.is_discarded()) return Result::fail(error);
  if (!j.is_object()) return Result::fail("not a JSON object");

  // KeyStatus's non-Option String fields, at every GPA tag from 1.0.13.1 to 1.0.47 (key.rs).
  for (const char* field : {"authorizationScheme", "keyDeliveryMethod", "version"})
    if (!require_string(j, "", field, error)) return Result::fail(error);

  SecureChannelStatus s;
  const std::string version = j.at("version").get<std::string>();
  s.protocol_version = sanitize_text(version, 16);

  if (auto g = j.find("keyGuid"); g != j.end() && !g->is_null()) {
    if (!g->is_string()) return Result::fail("/keyGuid must be a string or null");
    s.key_guid = ascii_lower(sanitize_text(g->get<std::string>(), 64));
  }
  if (!read_incarnation(j, s.key_incarnation_id, error)) return Result::fail(error);
  if (auto pairs = j.find("requiredClaimsHeaderPairs"); pairs != j.end() && !pairs->is_null()) {
    bool ok = pairs->is_array();
    for (std::size_t k = 0; ok && k < pairs->size(); ++k) ok = (*pairs)[k].is_string();
    if (!ok) return Result::fail("/requiredClaimsHeaderPairs must be an array of strings or null");
  }

  // GPA's KeyStatus::validate(), in its order.
  auto state = j.find("secureChannelState");
  auto enabled = j.find("secureChannelEnabled");
  const bool has_state = state != j.end() && !state->is_null();
  const bool has_enabled = enabled != j.end() && !enabled->is_null();
  if (has_enabled && !enabled->is_boolean())
    return Result::fail("/secureChannelEnabled must be true or false");
  if (has_state && !state->is_string()) return Result::fail("/secureChannelState must be a string");
  if (!has_state && !has_enabled)
    return Result::fail("neither secureChannelState nor secureChannelEnabled is present");
  std::string lowered_state;
  if (has_state) {
    const auto& text = state->get_ref<const std::string&>();
    s.state = sanitize_text(text, 64);
    lowered_state = ascii_lower(text);
    if (!known_v1_state(lowered_state))
      return Result::fail("/secureChannelState has an unknown value '" + sanitize_text(text, 64) +
                          "' (GPA accepts Disabled, Wireserver, WireserverAndImds)");
  } else if (version == "1.0") {
    return Result::fail("/secureChannelState is missing in version 1.0 (GPA rejects it)");
  }
  if (!has_enabled && version == "2.0")
    return Result::fail("/secureChannelEnabled is missing in version 2.0 (GPA rejects it)");

  if (version == "2.0") {
    if (!apply_v2(j, s, error)) return Result::fail(error);
  } else {
    // Any other version reads secureChannelState; without one, GPA's state is "disabled".
    apply_v1_state(lowered_state, s);
    s.hostga = s.wireserver;
  }
  if (!s.enabled) s.wireserver = s.imds = s.hostga = Mode::disabled;
  return Result::ok(std::move(s));
}

Mode hostga_mode_for(const SecureChannelStatus& s, bool hostga_from_item) {
  if (!s.enabled) return Mode::disabled;
  if (!hostga_from_item) return s.hostga;
  return s.hostga_item_mode.value_or(Mode::disabled);
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
  if (s.hostga_item_ignored) j["hostgaItemIgnored"] = true;
  if (s.hostga_item_mode) j["hostgaItemMode"] = to_string(*s.hostga_item_mode);
  if (!s.items_without_id.empty()) j["itemsWithoutId"] = s.items_without_id;
}

}  // namespace latchwatch::probes
