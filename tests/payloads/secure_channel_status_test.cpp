// WireServer GET /secure-channel/status, protocol 1.0 and 2.0 (domain brief §2).

#include "probes/payloads/secure_channel_status.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"

namespace latchwatch::probes {
namespace {

using json = nlohmann::json;

std::string fixture(const std::string& name) {
  return testing::read_file(std::string(LATCHWATCH_FIXTURES_DIR) + "/gpa/" + name);
}

SecureChannelStatus parse_ok(const std::string& body) {
  auto s = parse_secure_channel_status(body);
  EXPECT_TRUE(s) << body << " -> " << s.error;
  return s ? *s.value : SecureChannelStatus{};
}

/// The body with KeyStatus's required strings added where a test leaves them out, as WireServer
/// sends them: authorizationScheme and keyDeliveryMethod, and version "2.0" when the body carries
/// secureChannelEnabled, else "1.0". Tests of a missing required field build their body whole.
std::string complete(const std::string& body) {
  json j = json::parse(body);
  j.emplace("authorizationScheme", "Azure-HMAC-SHA256");
  j.emplace("keyDeliveryMethod", "http");
  if (!j.contains("version")) j["version"] = j.contains("secureChannelEnabled") ? "2.0" : "1.0";
  return j.dump();
}

/// A complete protocol 2.0 body, as status-v2-enforce.json without the access-control rules.
json full_v2() {
  auto item = [](const char* mode) {
    return json{{"defaultAccess", "allow"}, {"mode", mode}, {"id", "sigid"}};
  };
  return json{{"authorizationScheme", "Azure-HMAC-SHA256"},
              {"keyDeliveryMethod", "http"},
              {"keyGuid", nullptr},
              {"requiredClaimsHeaderPairs", nullptr},
              {"secureChannelEnabled", true},
              {"version", "2.0"},
              {"authorizationRules", {{"wireserver", item("enforce")}, {"imds", item("audit")}}}};
}

/// The error text for a body that must be refused.
std::string parse_error(const std::string& body) {
  auto s = parse_secure_channel_status(body);
  EXPECT_FALSE(s) << body;
  return s.error;
}

struct Modes {
  Mode wireserver, imds, hostga;
};

void expect_modes(const SecureChannelStatus& s, Modes m) {
  EXPECT_EQ(s.wireserver, m.wireserver) << to_string(s.wireserver);
  EXPECT_EQ(s.imds, m.imds) << to_string(s.imds);
  EXPECT_EQ(s.hostga, m.hostga) << to_string(s.hostga);
}

constexpr Modes kAllDisabled{Mode::disabled, Mode::disabled, Mode::disabled};
constexpr Modes kAllEnforce{Mode::enforce, Mode::enforce, Mode::enforce};

// ---- fixtures ----

TEST(SecureChannelStatusTest, EveryFixtureGivesItsDerivedModes) {
  auto v1_disabled = parse_ok(fixture("status-v1-disabled.json"));
  EXPECT_EQ(v1_disabled.protocol_version, "1.0");
  EXPECT_FALSE(v1_disabled.enabled);
  EXPECT_EQ(v1_disabled.state, "Disabled");
  EXPECT_TRUE(v1_disabled.key_guid.empty());
  EXPECT_FALSE(v1_disabled.key_incarnation_id) << "absent in protocol 1.0";
  expect_modes(v1_disabled, kAllDisabled);

  auto v1_wireserver = parse_ok(fixture("status-v1-wireserver.json"));
  EXPECT_TRUE(v1_wireserver.enabled);
  expect_modes(v1_wireserver, {Mode::enforce, Mode::audit, Mode::enforce});

  auto v1_mock = parse_ok(fixture("status-v1-mock-wireserver.json"));
  EXPECT_TRUE(v1_mock.enabled) << "state is compared case-insensitively";
  EXPECT_EQ(v1_mock.state, "wireserver") << "kept as sent";
  EXPECT_TRUE(v1_mock.key_guid.empty()) << "keyGuid \"\" means no key latched";
  expect_modes(v1_mock, {Mode::enforce, Mode::audit, Mode::enforce});

  auto v2_disabled = parse_ok(fixture("status-v2-disabled.json"));
  EXPECT_EQ(v2_disabled.protocol_version, "2.0");
  EXPECT_FALSE(v2_disabled.enabled);
  EXPECT_TRUE(v2_disabled.state.empty());
  EXPECT_FALSE(v2_disabled.key_incarnation_id) << "null";
  expect_modes(v2_disabled, kAllDisabled);

  auto v2_enforce = parse_ok(fixture("status-v2-enforce.json"));
  EXPECT_TRUE(v2_enforce.enabled);
  expect_modes(v2_enforce, kAllEnforce);
}

TEST(SecureChannelStatusTest, EveryTruncationOfAFixtureIsRefusedWithoutThrowing) {
  const std::string full = fixture("status-v2-enforce.json");
  // Every cut that ends before the closing brace is incomplete JSON.
  const std::size_t last_brace = full.rfind('}');
  for (std::size_t cut = 0; cut < last_brace; cut += 7) {
    Parsed<SecureChannelStatus> s;
    EXPECT_NO_THROW(s = parse_secure_channel_status(full.substr(0, cut)));
    EXPECT_FALSE(s) << cut;
    EXPECT_EQ(s.error.rfind("not JSON", 0), 0u) << cut << ": " << s.error;
  }
}

// ---- protocol 1.0 ----

TEST(SecureChannelStatusTest, V1StatesInAnyCase) {
  expect_modes(parse_ok(complete(R"({"secureChannelState":"DISABLED"})")), kAllDisabled);
  auto ws = parse_ok(complete(R"({"secureChannelState":"WireServer"})"));
  EXPECT_TRUE(ws.enabled);
  expect_modes(ws, {Mode::enforce, Mode::audit, Mode::enforce});
  auto both = parse_ok(complete(R"({"secureChannelState":"wireserverANDimds"})"));
  EXPECT_TRUE(both.enabled);
  expect_modes(both, kAllEnforce);
}

TEST(SecureChannelStatusTest, V1UnknownStateIsRefusedNamingIt) {
  auto error = parse_error(complete(R"({"secureChannelState":"Sometimes"})"));
  EXPECT_NE(error.find("/secureChannelState"), std::string::npos) << error;
  EXPECT_NE(error.find("Sometimes"), std::string::npos) << error;
  EXPECT_NE(parse_error(complete(R"({"secureChannelState":""})")).find("/secureChannelState"),
            std::string::npos);
  EXPECT_EQ(parse_error(complete(R"({"secureChannelState":3})")),
            "/secureChannelState must be a string");
}

// ---- protocol 2.0 ----

TEST(SecureChannelStatusTest, V2PerRuleModesInAnyCase) {
  auto s = parse_ok(complete(R"({"version":"2.0","secureChannelEnabled":true,"authorizationRules":{
      "wireserver":{"mode":"ENFORCE","defaultAccess":"deny"},
      "imds":{"mode":"Audit","defaultAccess":"allow"},
      "hostga":{"mode":"disabled","defaultAccess":"allow"}}})"));
  EXPECT_TRUE(s.enabled);
  // GPA ignores the hostga item: HostGAPlugin follows WireServer (key.rs get_hostga_mode).
  expect_modes(s, {Mode::enforce, Mode::audit, Mode::enforce});
  EXPECT_TRUE(s.hostga_item_ignored);
}

TEST(SecureChannelStatusTest, V2MissingImdsIsDisabledAndMissingHostGaFollowsWireServer) {
  auto s = parse_ok(complete(R"({"version":"2.0","secureChannelEnabled":true,
      "authorizationRules":{"wireserver":{"mode":"audit","defaultAccess":"allow"}}})"));
  EXPECT_TRUE(s.enabled);
  expect_modes(s, {Mode::audit, Mode::disabled, Mode::audit});
  auto null_items = parse_ok(complete(R"({"version":"2.0","secureChannelEnabled":true,
      "authorizationRules":{"wireserver":{"mode":"enforce","defaultAccess":"allow"},"imds":null,
      "hostga":null}})"));
  expect_modes(null_items, {Mode::enforce, Mode::disabled, Mode::enforce});
}

TEST(SecureChannelStatusTest, V2NotEnabledOrNoRulesMeansAllDisabled) {
  auto off = parse_ok(complete(R"({"secureChannelEnabled":false,"authorizationRules":{
      "wireserver":{"mode":"enforce","defaultAccess":"allow"},
      "imds":{"mode":"enforce","defaultAccess":"allow"}}})"));
  EXPECT_FALSE(off.enabled);
  expect_modes(off, kAllDisabled);

  for (const char* body : {R"({"secureChannelEnabled":true,"authorizationRules":null})",
                           R"({"secureChannelEnabled":true})"}) {
    auto no_rules = parse_ok(complete(body));
    EXPECT_FALSE(no_rules.enabled) << body << ": nothing is enforced without rules";
    expect_modes(no_rules, kAllDisabled);
  }
}

TEST(SecureChannelStatusTest, V2BadShapesAreRefusedNamingThePointer) {
  EXPECT_EQ(parse_error(complete(R"({"secureChannelEnabled":"true"})")),
            "/secureChannelEnabled must be true or false");
  EXPECT_EQ(parse_error(complete(
                R"({"version":"2.0","secureChannelEnabled":true,"authorizationRules":[]})")),
            "/authorizationRules must be an object or null");
  EXPECT_EQ(
      parse_error(complete(
          R"({"version":"2.0","secureChannelEnabled":true,"authorizationRules":{"imds":"enforce"}})")),
      "/authorizationRules/imds must be an object");
  EXPECT_NE(
      parse_error(
          complete(
              R"({"version":"2.0","secureChannelEnabled":true,"authorizationRules":{"wireserver":{}}})"))
          .find("/authorizationRules/wireserver/mode"),
      std::string::npos);
  // GPA does not reject an unknown mode: it reads as disabled.
  auto unknown = parse_ok(complete(
      R"({"version":"2.0","secureChannelEnabled":true,"authorizationRules":{
          "wireserver":{"mode":"maybe","defaultAccess":"allow"}}})"));
  EXPECT_EQ(unknown.wireserver, Mode::disabled);
}

// ---- both, neither ----

TEST(SecureChannelStatusTest, BothFieldsPresentTheVersionDecides) {
  const char* both = R"("secureChannelState":"WireserverAndImds","secureChannelEnabled":false)";
  auto v2 = parse_ok(complete(std::string(R"({"version":"2.0",)") + both + "}"));
  EXPECT_FALSE(v2.enabled) << "2.x reads secureChannelEnabled";
  expect_modes(v2, kAllDisabled);
  for (const char* version : {R"("version":"1.0",)", R"("version":"3.0",)"}) {
    auto v1 = parse_ok(complete(std::string("{") + version + both + "}"));
    EXPECT_TRUE(v1.enabled) << version << ": otherwise secureChannelState";
    expect_modes(v1, kAllEnforce);
  }
  // A null field counts as absent, and GPA rejects version 1.0 without a state.
  EXPECT_NE(parse_error(complete(R"({"version":"1.0","secureChannelState":null,
          "secureChannelEnabled":true,
          "authorizationRules":{"wireserver":{"mode":"enforce","defaultAccess":"allow"}}})"))
                .find("/secureChannelState is missing"),
            std::string::npos);
}

TEST(SecureChannelStatusTest, NeitherFieldIsRefusedAsGpaDoes) {
  for (const char* body : {R"({"version":"1.0","keyGuid":null})", "{}",
                           R"({"secureChannelState":null,"secureChannelEnabled":null})"}) {
    EXPECT_NE(
        parse_error(complete(body)).find("neither secureChannelState nor secureChannelEnabled"),
        std::string::npos)
        << body;
  }
}

// ---- keyGuid, keyIncarnationId ----

TEST(SecureChannelStatusTest, KeyGuidIsLowerCasedAndNullOrEmptyMeansNone) {
  auto s = parse_ok(complete(
      R"({"secureChannelState":"Wireserver","keyGuid":"E3882F98-DA8D-4410-8394-06C23462781C"})"));
  EXPECT_EQ(s.key_guid, "e3882f98-da8d-4410-8394-06c23462781c");
  EXPECT_TRUE(
      parse_ok(complete(R"({"secureChannelState":"Wireserver","keyGuid":null})")).key_guid.empty());
  EXPECT_TRUE(
      parse_ok(complete(R"({"secureChannelState":"Wireserver","keyGuid":""})")).key_guid.empty());
  EXPECT_TRUE(parse_ok(complete(R"({"secureChannelState":"Wireserver"})")).key_guid.empty());
  for (const char* bad : {"42", "true", "[]", "{}"})
    EXPECT_EQ(parse_error(complete(std::string(R"({"secureChannelState":"Disabled","keyGuid":)") +
                                   bad + "}")),
              "/keyGuid must be a string or null")
        << bad;
}

TEST(SecureChannelStatusTest, KeyIncarnationIdIsAU32OrNothingAsGpaReadsIt) {
  auto with = [](const char* value) {
    return complete(std::string(R"({"secureChannelEnabled":false,"keyIncarnationId":)") + value +
                    "}");
  };
  EXPECT_EQ(parse_ok(with("3")).key_incarnation_id, 3);
  EXPECT_FALSE(parse_secure_channel_status(with(R"("12")"))) << "GPA's serde wants a u32";
  EXPECT_FALSE(parse_ok(with("null")).key_incarnation_id);
  EXPECT_FALSE(parse_ok(complete(R"({"secureChannelEnabled":false})")).key_incarnation_id);
  for (const char* bad :
       {R"("x")", R"("")", "1.5", "true", "[1]", R"("-1")", "18446744073709551615"}) {
    EXPECT_NE(parse_error(with(bad)).find("/keyIncarnationId"), std::string::npos) << bad;
  }
}

// ---- hostile input ----

TEST(SecureChannelStatusTest, NonObjectsDepthBombsAndInvalidUtf8AreRefused) {
  EXPECT_EQ(parse_error("[1,2]"), "not a JSON object");
  EXPECT_EQ(parse_error(R"("Disabled")"), "not a JSON object");
  EXPECT_EQ(parse_error(std::string(100000, '[') + std::string(100000, ']')),
            "nested deeper than 64 levels");
  EXPECT_EQ(parse_error("{\"secureChannelState\":\"Dis\xff\xfe\"}").rfind("not JSON", 0), 0u);
  EXPECT_EQ(parse_error("<html><body>502 Bad Gateway</body></html>").rfind("not JSON", 0), 0u);
}

TEST(SecureChannelStatusTest, ErrorsAndSummariesCarryOnlySanitisedText) {
  auto error = parse_error(complete(R"({"secureChannelState":"Dis\u0007\u001b[2Jabled"})"));
  EXPECT_EQ(error.find('\x1b'), std::string::npos) << "no terminal escapes into a report";
  EXPECT_EQ(error.find('\x07'), std::string::npos);
  EXPECT_NO_THROW((void)json(error).dump());

  auto s = parse_ok(complete(R"({"secureChannelState":"Disabled","version":"1.0\u0000\u0085",
                        "keyGuid":"A\u0001B"})"));
  EXPECT_EQ(s.protocol_version, "1.0??");
  EXPECT_EQ(s.key_guid, "a?b");
  EXPECT_NO_THROW((void)json(s).dump());
}

TEST(SecureChannelStatusTest, UnknownFieldsAreIgnored) {
  auto s = parse_ok(complete(R"({"secureChannelState":"Wireserver","future":{"x":[1,2,3]},
                                 "requiredClaimsHeaderPairs":["isRoot"]})"));
  EXPECT_TRUE(s.enabled);
}

// ---- KeyStatus's required strings (non-Option String at every GPA tag, 1.0.13.1 … 1.0.47) ----

TEST(SecureChannelStatusTest, AWrongTypedAuthorizationSchemeIsRejectedAsGpaSerdeDoes) {
  json body = full_v2();
  body["authorizationScheme"] = 7;
  EXPECT_EQ(parse_error(body.dump()),
            "/authorizationScheme must be a string (GPA rejects the body)");
}

TEST(SecureChannelStatusTest, AMissingAuthorizationSchemeIsRejected) {
  json body = full_v2();
  body.erase("authorizationScheme");
  EXPECT_EQ(parse_error(body.dump()),
            "/authorizationScheme is missing or null (GPA requires a string and rejects the body)");
}

TEST(SecureChannelStatusTest, AMissingKeyDeliveryMethodIsRejected) {
  json body = full_v2();
  body.erase("keyDeliveryMethod");
  EXPECT_EQ(parse_error(body.dump()),
            "/keyDeliveryMethod is missing or null (GPA requires a string and rejects the body)");
}

TEST(SecureChannelStatusTest, ANullVersionIsRejected) {
  json body = full_v2();
  body["version"] = nullptr;
  EXPECT_EQ(parse_error(body.dump()),
            "/version is missing or null (GPA requires a string and rejects the body)");
}

TEST(SecureChannelStatusTest, EveryRequiredStringMissingNullOrOfAnotherTypeIsRejected) {
  ASSERT_TRUE(parse_secure_channel_status(full_v2().dump())) << "the complete body passes";
  for (const char* field : {"authorizationScheme", "keyDeliveryMethod", "version"}) {
    json missing = full_v2();
    missing.erase(field);
    EXPECT_NE(parse_error(missing.dump()).find(std::string("/") + field + " is missing"),
              std::string::npos)
        << field;
    for (const json& other : {json(nullptr), json(7), json(true), json::array(), json::object()}) {
      json body = full_v2();
      body[field] = other;
      EXPECT_NE(parse_error(body.dump()).find(std::string("/") + field), std::string::npos)
          << field << " = " << other.dump();
    }
  }
}

TEST(SecureChannelStatusTest, AnyAuthorizationSchemeStringPassesAsGpaOnlyLogsIt) {
  // GPA's validate() writes a message for a scheme other than Azure-HMAC-SHA256, and goes on.
  json body = full_v2();
  body["authorizationScheme"] = "Azure-HMAC-SHA512";
  body["keyDeliveryMethod"] = "";
  auto s = parse_ok(body.dump());
  EXPECT_TRUE(s.enabled);
  expect_modes(s, {Mode::enforce, Mode::audit, Mode::enforce});
}

TEST(SecureChannelStatusTest, ARuleItemWithoutDefaultAccessIsRejected) {
  json body = full_v2();
  body["authorizationRules"]["imds"].erase("defaultAccess");
  EXPECT_EQ(parse_error(body.dump()),
            "/authorizationRules/imds/defaultAccess is missing or null (GPA requires a string and "
            "rejects the body)");
  for (const json& other : {json(nullptr), json(0), json::array()}) {
    json wrong = full_v2();
    wrong["authorizationRules"]["wireserver"]["defaultAccess"] = other;
    EXPECT_NE(parse_error(wrong.dump()).find("/authorizationRules/wireserver/defaultAccess"),
              std::string::npos)
        << other.dump();
  }
}

TEST(SecureChannelStatusTest, ARuleItemWithoutIdPassesAsGpa1013ReadsNone) {
  // AuthorizationItem has no id at 1.0.13.1 (a String from 1.0.17): only the shared rule holds.
  json body = full_v2();
  body["authorizationRules"]["wireserver"].erase("id");
  EXPECT_EQ(parse_ok(body.dump()).wireserver, Mode::enforce);
  body["authorizationRules"]["wireserver"]["id"] = 5;
  EXPECT_EQ(parse_error(body.dump()), "/authorizationRules/wireserver/id must be a string");
}

// ---- summary ----

TEST(SecureChannelStatusTest, SummaryHasTheDocumentedShape) {
  json latched = parse_ok(complete(R"({"version":"2.0","secureChannelEnabled":true,
      "keyGuid":"E3882F98-DA8D-4410-8394-06C23462781C","keyIncarnationId":7,
      "authorizationRules":{"wireserver":{"mode":"enforce","defaultAccess":"allow"},
                            "imds":{"mode":"audit","defaultAccess":"allow"}}})"));
  EXPECT_EQ(latched["version"], "2.0");
  EXPECT_EQ(latched["enabled"], true);
  EXPECT_EQ(latched["keyGuid"], "e3882f98-da8d-4410-8394-06c23462781c");
  EXPECT_EQ(latched["keyIncarnationId"], 7);
  EXPECT_EQ(latched["modes"],
            (json{{"wireserver", "enforce"}, {"imds", "audit"}, {"hostga", "enforce"}}));

  json none = parse_ok(fixture("status-v1-disabled.json"));
  EXPECT_TRUE(none["keyGuid"].is_null());
  EXPECT_TRUE(none["keyIncarnationId"].is_null());
  EXPECT_EQ(none["enabled"], false);
  EXPECT_EQ(none["modes"]["imds"], "disabled");
}

TEST(SecureChannelStatusTest, ModeNames) {
  EXPECT_STREQ(to_string(Mode::disabled), "disabled");
  EXPECT_STREQ(to_string(Mode::audit), "audit");
  EXPECT_STREQ(to_string(Mode::enforce), "enforce");
}

}  // namespace
}  // namespace latchwatch::probes
