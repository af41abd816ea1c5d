// GPA's aggregate status file, status.json (domain brief §4).

#include "probes/payloads/gpa_status_file.h"

#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "tests/support/test_support.h"

namespace latchwatch::probes {
namespace {

using json = nlohmann::json;
using std::chrono::system_clock;

constexpr const char* kKeyHex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
constexpr const char* kGuid = "e3882f98-da8d-4410-8394-06c23462781c";

std::string fixture(const std::string& name) {
  return testing::read_file(std::string(LATCHWATCH_FIXTURES_DIR) + "/gpa/" + name);
}

GpaStatusFile parse_ok(const std::string& body) {
  auto s = parse_gpa_status_file(body);
  EXPECT_TRUE(s) << s.error;
  return s ? *s.value : GpaStatusFile{};
}

/// A status file with `key_latch` as proxyAgentStatus.keyLatchStatus.
std::string with_key_latch(const json& key_latch) {
  return json{{"timestamp", "2026-07-22T10:15:42.123"},
              {"proxyAgentStatus", {{"status", "SUCCESS"}, {"keyLatchStatus", key_latch}}}}
      .dump();
}

std::string with_states(const json& states) {
  return with_key_latch({{"status", "RUNNING"}, {"message", "x"}, {"states", states}});
}

std::string with_timestamp(const json& timestamp) {
  return json{{"timestamp", timestamp}, {"proxyAgentStatus", json::object()}}.dump();
}

std::string with_summary(const json& summary) {
  return json{{"proxyAgentStatus", json::object()}, {"proxyConnectionSummary", summary}}.dump();
}

long long unix_millis(system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// ---- fixtures ----

TEST(GpaStatusFileTest, HealthyFixture) {
  auto s = parse_ok(fixture("aggregate-status-synthesized-healthy.json"));
  EXPECT_EQ(s.timestamp_text, "2026-07-22T10:15:42.123");
  ASSERT_TRUE(s.timestamp);
  EXPECT_EQ(unix_millis(*s.timestamp), 1784715342123LL) << "UTC, with milliseconds";
  EXPECT_EQ(s.agent_version, "1.0.48");
  EXPECT_EQ(s.overall_status, "SUCCESS");
  EXPECT_EQ(s.key_latch_status, "RUNNING");
  EXPECT_EQ(s.key_latch_message, "Found key details from local and ready to use. - 122");
  EXPECT_EQ(s.key_latch_class, KeyLatchMessage::ready);
  EXPECT_EQ(s.ebpf_status, "RUNNING");
  EXPECT_EQ(s.ebpf_message, "Started Redirector with eBPF maps - 143");
  EXPECT_EQ(s.states_secure_channel_state, "WireServer Enforce -  IMDS Enforce - HostGA Enforce");
  EXPECT_TRUE(s.states_modes_known);
  EXPECT_EQ(s.states_wireserver, Mode::enforce);
  EXPECT_EQ(s.states_imds, Mode::enforce);
  EXPECT_EQ(s.states_hostga, Mode::enforce);
  EXPECT_EQ(s.states_key_guid, kGuid);
  EXPECT_EQ(s.states_key_incarnation_id, 10) << "sent as the string \"10\"";
  EXPECT_EQ(s.unauthorized_count, 0);
}

TEST(GpaStatusFileTest, KeyLostFixtureLooksHealthyExceptForMessageAndMissingKeyGuid) {
  auto s = parse_ok(fixture("aggregate-status-synthesized-key-lost.json"));
  EXPECT_EQ(s.overall_status, "SUCCESS");
  EXPECT_EQ(s.key_latch_status, "RUNNING");
  EXPECT_EQ(s.key_latch_class, KeyLatchMessage::acquire_refused);
  EXPECT_TRUE(s.states_modes_known);
  EXPECT_TRUE(s.states_key_guid.empty());
  EXPECT_FALSE(s.states_key_incarnation_id);
  EXPECT_EQ(s.unauthorized_count, 3);
}

TEST(GpaStatusFileTest, MockFixtureWithZuluTimestampAndNoStates) {
  auto s = parse_ok(fixture("aggregate-status-mock.json"));
  ASSERT_TRUE(s.timestamp);
  EXPECT_EQ(system_clock::to_time_t(*s.timestamp), 1672531200);
  EXPECT_EQ(s.key_latch_class, KeyLatchMessage::other);
  EXPECT_FALSE(s.states_modes_known);
  EXPECT_TRUE(s.states_key_guid.empty());
}

TEST(GpaStatusFileTest, EveryTruncationOfEveryFixtureIsANamedErrorNeverAThrow) {
  for (const char* name :
       {"aggregate-status-synthesized-healthy.json", "aggregate-status-synthesized-key-lost.json",
        "aggregate-status-mock.json"}) {
    const auto full = fixture(name);
    const std::size_t last_brace = full.rfind('}');
    for (std::size_t cut = 0; cut < last_brace; cut += 11) {
      Parsed<GpaStatusFile> s;
      EXPECT_NO_THROW(s = parse_gpa_status_file(full.substr(0, cut)));
      EXPECT_FALSE(s) << name << " cut at " << cut;
      EXPECT_EQ(s.error.rfind("not JSON", 0), 0u) << s.error;
    }
  }
}

// ---- timestamp ----

TEST(GpaStatusFileTest, TimestampFormatsAreReadAsUtc) {
  struct Case {
    const char* text;
    long long millis;
  };
  for (const auto& c :
       {Case{"2026-07-22T10:15:42.123", 1784715342123LL},
        Case{"2026-07-22T10:15:42", 1784715342000LL}, Case{"2026-07-22T10:15:42Z", 1784715342000LL},
        Case{"2026-07-22T10:15:42.5Z", 1784715342500LL},
        Case{"2026-07-22T10:15:42.123456789", 1784715342123LL},
        Case{"2023-01-01T00:00:00Z", 1672531200000LL},
        Case{"2024-02-29T23:59:59", 1709251199000LL}}) {
    auto s = parse_ok(with_timestamp(c.text));
    EXPECT_EQ(s.timestamp_text, c.text);
    ASSERT_TRUE(s.timestamp) << c.text;
    EXPECT_EQ(unix_millis(*s.timestamp), c.millis) << c.text;
  }
}

TEST(GpaStatusFileTest, MalformedOrOutOfRangeTimestampsAreLeftUnparsed) {
  for (const char* text :
       {"", "x", "2026-07-22", "2026-07-22 10:15:42", " 2026-07-22T10:15:42",
        "2026-07-22T10:15:42 ", "2026-07-22T10:15:42.", "2026-07-22T10:15:42+02:00",
        "2026-13-01T00:00:00", "2026-07-22T24:00:00", "2026-7-22T10:15:42", "1969-12-31T23:59:59",
        "9999-12-31T23:59:59.999", "2026-07-22T10:15:42ZZ"}) {
    auto s = parse_ok(with_timestamp(text));
    EXPECT_FALSE(s.timestamp) << text;
  }
  EXPECT_FALSE(parse_ok(with_timestamp(12)).timestamp) << "not a string";
  EXPECT_FALSE(parse_ok(R"({"proxyAgentStatus":{}})").timestamp) << "absent";
}

// ---- states ----

TEST(GpaStatusFileTest, StatesModesAreSplitOnDashesTrimmedAndCaseInsensitive) {
  auto two_spaces = parse_ok(
      with_states({{"secureChannelState", "WireServer Enforce -  IMDS Enforce - HostGA Enforce"}}));
  EXPECT_TRUE(two_spaces.states_modes_known);

  auto mixed = parse_ok(
      with_states({{"secureChannelState", "wireserver AUDIT-imds disabled -   HostGA   Audit  "}}));
  EXPECT_TRUE(mixed.states_modes_known);
  EXPECT_EQ(mixed.states_wireserver, Mode::audit);
  EXPECT_EQ(mixed.states_imds, Mode::disabled);
  EXPECT_EQ(mixed.states_hostga, Mode::audit);

  auto reordered = parse_ok(
      with_states({{"secureChannelState", "IMDS Audit - HostGA Enforce - WireServer Enforce"}}));
  EXPECT_TRUE(reordered.states_modes_known);
  EXPECT_EQ(reordered.states_imds, Mode::audit);
}

TEST(GpaStatusFileTest, StatesModesUnknownUnlessEachServiceIsNamedOnceWithAKnownMode) {
  for (const char* text : {"", "WireServer Enforce", "IMDS Enforce - HostGA Enforce",
                           "WireServer Enforce - WireServer Audit - IMDS Enforce",
                           "WireServer Enforce - IMDS Maybe - HostGA Enforce",
                           "WireServer Enforce - Storage Enforce - IMDS Enforce - HostGA Enforce",
                           "WireServer Enforce - IMDS Enforce - HostGA Enforce - ",
                           "Enforce - IMDS Enforce - HostGA Enforce", "Unknown", "wireserverish"}) {
    auto s = parse_ok(with_states({{"secureChannelState", text}}));
    EXPECT_FALSE(s.states_modes_known) << text;
    EXPECT_EQ(s.states_wireserver, Mode::disabled) << text << ": nothing half-parsed is kept";
    EXPECT_EQ(s.states_secure_channel_state, text);
  }
}

TEST(GpaStatusFileTest, UpTo1025TheStateHasTwoPartsAndHostGaFollowsWireServer) {
  // key.rs get_secure_channel_state before 1.0.26: "WireServer X -  IMDS Y".
  auto s = parse_ok(with_states({{"secureChannelState", "WireServer Audit -  IMDS Enforce"}}));
  EXPECT_TRUE(s.states_modes_known);
  EXPECT_EQ(s.states_wireserver, Mode::audit);
  EXPECT_EQ(s.states_imds, Mode::enforce);
  EXPECT_EQ(s.states_hostga, Mode::audit);
}

TEST(GpaStatusFileTest, OlderBuildsWriteTheV1StateItself) {
  struct Case {
    const char* text;
    Mode wireserver, imds, hostga;
  };
  for (const auto& c : {Case{"disabled", Mode::disabled, Mode::disabled, Mode::disabled},
                        Case{"wireserver", Mode::enforce, Mode::audit, Mode::enforce},
                        Case{" WireserverAndImds ", Mode::enforce, Mode::enforce, Mode::enforce}}) {
    auto s = parse_ok(with_states({{"secureChannelState", c.text}}));
    EXPECT_TRUE(s.states_modes_known) << c.text;
    EXPECT_EQ(s.states_wireserver, c.wireserver) << c.text;
    EXPECT_EQ(s.states_imds, c.imds) << c.text;
    EXPECT_EQ(s.states_hostga, c.hostga) << c.text;
  }
  // Older builds also write keyGuid "" when no key is held.
  EXPECT_TRUE(parse_ok(with_states({{"keyGuid", ""}})).states_key_guid.empty());
}

TEST(GpaStatusFileTest, StatesKeyFieldsAreReadOnlyWhenPresent) {
  auto s = parse_ok(
      with_states({{"keyGuid", "E3882F98-DA8D-4410-8394-06C23462781C"}, {"keyIncarnationId", 4}}));
  EXPECT_EQ(s.states_key_guid, kGuid) << "lower-cased";
  EXPECT_EQ(s.states_key_incarnation_id, 4);

  EXPECT_EQ(parse_ok(with_states({{"keyIncarnationId", "4"}})).states_key_incarnation_id, 4);
  for (const json& bad : {json("four"), json(4.5), json(nullptr), json::array(),
                          json(std::numeric_limits<std::uint64_t>::max())})
    EXPECT_FALSE(parse_ok(with_states({{"keyIncarnationId", bad}})).states_key_incarnation_id)
        << bad.dump();
  EXPECT_TRUE(parse_ok(with_states({{"keyGuid", 12}})).states_key_guid.empty());
  EXPECT_TRUE(parse_ok(with_states(json::array())).states_key_guid.empty());
}

// ---- keyLatchStatus.message ----

TEST(GpaStatusFileTest, ClassifiesEveryMessageOfTheDomainBrief) {
  struct Case {
    const char* message;
    KeyLatchMessage expected;
  };
  for (const auto& c :
       {Case{"Found key details from local and ready to use. - 122", KeyLatchMessage::ready},
        Case{"Successfully attest the key and ready to use. - 9", KeyLatchMessage::ready},
        Case{"Customer has not enforce the secure channel state.", KeyLatchMessage::disabled},
        Case{R"(Failed to acquire key details: Key(KeyResponse("acquire", 403)))",
             KeyLatchMessage::acquire_refused},
        Case{R"(Failed to acquire key details: Key(KeyResponse("acquire", 404)))",
             KeyLatchMessage::acquire_refused},
        Case{R"(Failed to acquire key details: Key(KeyResponse("acquire", 500)))",
             KeyLatchMessage::acquire_host_error},
        Case{R"(Failed to acquire key details: Key(KeyResponse("acquire", 4001)))",
             KeyLatchMessage::other},
        Case{R"(Failed to acquire key details: Key(KeyResponse("acquire", 4)))",
             KeyLatchMessage::other},
        Case{R"(Failed to acquire key details: Key(KeyResponse("attest", 403)))",
             KeyLatchMessage::other},
        Case{R"(Failed to acquire key details: Key(SendKeyRequest("timed out")))",
             KeyLatchMessage::acquire_network},
        Case{"Failed to get key status - connection refused", KeyLatchMessage::status_failed},
        Case{"Failed to save key details to file: No space left",
             KeyLatchMessage::store_unwritable},
        Case{"Failed to check the key", KeyLatchMessage::store_unwritable},
        Case{"Failed to attest the key: 401", KeyLatchMessage::attest_failed},
        Case{" \t\r\n Failed to check the key", KeyLatchMessage::store_unwritable},
        Case{"failed to attest the key", KeyLatchMessage::other},
        Case{"Key latch is running", KeyLatchMessage::other}, Case{"", KeyLatchMessage::other},
        Case{"   ", KeyLatchMessage::other}}) {
    EXPECT_EQ(classify_key_latch_message(c.message), c.expected) << c.message;
  }
}

TEST(GpaStatusFileTest, ClassNamesAreDistinct) {
  std::set<std::string> names;
  for (auto m :
       {KeyLatchMessage::ready, KeyLatchMessage::disabled, KeyLatchMessage::acquire_refused,
        KeyLatchMessage::acquire_network, KeyLatchMessage::status_failed,
        KeyLatchMessage::store_unwritable, KeyLatchMessage::attest_failed, KeyLatchMessage::other})
    names.insert(to_string(m));
  EXPECT_EQ(names.size(), 8u);
  EXPECT_STREQ(to_string(KeyLatchMessage::acquire_refused), "acquire_refused");
}

TEST(GpaStatusFileTest, ClassificationSeesTheMessageBeforeRedaction) {
  auto s = parse_ok(
      with_key_latch({{"message", std::string("Failed to attest the key ") + kKeyHex + " - 5"}}));
  EXPECT_EQ(s.key_latch_class, KeyLatchMessage::attest_failed);
  EXPECT_EQ(s.key_latch_message, "Failed to attest the key <redacted> - 5");
}

// ---- redaction ----

TEST(GpaStatusFileTest, RedactHexReplacesRunsOf32OrMoreHexDigits) {
  EXPECT_EQ(redact_hex(kKeyHex), "<redacted>");
  EXPECT_EQ(redact_hex(std::string(32, 'a')), "<redacted>");
  EXPECT_EQ(redact_hex(std::string(31, 'a')), std::string(31, 'a'));
  EXPECT_EQ(redact_hex("key=" + std::string(40, 'F') + ";"), "key=<redacted>;");
  EXPECT_EQ(redact_hex(std::string(40, '1') + " and " + std::string(33, 'b')),
            "<redacted> and <redacted>");
  EXPECT_EQ(redact_hex(std::string("guid ") + kGuid + " stays"),
            std::string("guid ") + kGuid + " stays");
  EXPECT_EQ(redact_hex(""), "");
  EXPECT_EQ(redact_hex("ready - 122"), "ready - 122");
}

TEST(GpaStatusFileTest, NoKeyHexReachesAnyTextField) {
  const std::string hex = kKeyHex;
  auto body =
      json{{"timestamp", hex},
           {"proxyAgentStatus",
            {{"version", hex},
             {"status", hex},
             {"keyLatchStatus",
              {{"status", hex},
               {"message", std::string(1000, 'x') + hex},  // straddles the 1 KiB bound
               {"states", {{"secureChannelState", hex}, {"keyGuid", hex}}}}},
             {"ebpfProgramStatus", {{"status", hex}, {"message", std::string(500, 'x') + hex}}}}}};
  auto s = parse_ok(body.dump());
  EXPECT_EQ(json(s).dump().find("9f86d0"), std::string::npos) << json(s).dump(2);
}

// ---- proxyConnectionSummary ----

TEST(GpaStatusFileTest, UnauthorizedCountSumsThe401Entries) {
  auto s = parse_ok(with_summary(json::array({
      {{"responseStatus", "401 Unauthorized"}, {"count", 3}},
      {{"responseStatus", "401"}, {"count", "2"}},
      {{"responseStatus", "403 Forbidden"}, {"count", 50}},
      {{"responseStatus", "200 OK"}, {"count", 590}},
      {{"responseStatus", "4010"}, {"count", 1}},  // starts with 401: counted, as documented
      {{"responseStatus", 401}, {"count", 7}},     // not a string
      {{"responseStatus", "401 Unauthorized"}, {"count", -4}},
      {{"responseStatus", "401 Unauthorized"}, {"count", 1.5}},
      {{"responseStatus", "401 Unauthorized"}},
      json(3),
  })));
  EXPECT_EQ(s.unauthorized_count, 3 + 2 + 1);
}

TEST(GpaStatusFileTest, UnauthorizedCountSaturatesInsteadOfOverflowing) {
  const auto max = std::numeric_limits<std::int64_t>::max();
  auto s = parse_ok(with_summary(json::array({
      {{"responseStatus", "401 Unauthorized"}, {"count", max}},
      {{"responseStatus", "401 Unauthorized"}, {"count", max}},
      {{"responseStatus", "401 Unauthorized"},
       {"count", std::numeric_limits<std::uint64_t>::max()}},
  })));
  EXPECT_EQ(s.unauthorized_count, max);
  EXPECT_EQ(parse_ok(with_summary("x")).unauthorized_count, 0);
}

// ---- shape and hostile input ----

TEST(GpaStatusFileTest, MissingPartsAreToleratedButProxyAgentStatusIsRequired) {
  auto bare = parse_ok(R"({"proxyAgentStatus":{},"unknown":[1,{"a":null}]})");
  EXPECT_TRUE(bare.overall_status.empty());
  EXPECT_TRUE(bare.ebpf_status.empty());
  EXPECT_EQ(bare.key_latch_class, KeyLatchMessage::other);

  for (const char* body : {R"({"timestamp":"2026-07-22T10:15:42"})", R"({"proxyAgentStatus":[]})",
                           R"({"proxyAgentStatus":"SUCCESS"})"}) {
    auto s = parse_gpa_status_file(body);
    EXPECT_FALSE(s) << body;
    EXPECT_NE(s.error.find("/proxyAgentStatus"), std::string::npos) << s.error;
  }
  EXPECT_EQ(parse_gpa_status_file("[]").error, "not a JSON object");
}

TEST(GpaStatusFileTest, WrongTypesInsideAreTolerated) {
  auto s = parse_ok(R"({"timestamp":12,"proxyAgentStatus":{"version":1,"status":[],
      "keyLatchStatus":{"message":7,"states":"none"},"ebpfProgramStatus":"RUNNING"},
      "proxyConnectionSummary":{"count":3}})");
  EXPECT_FALSE(s.timestamp);
  EXPECT_TRUE(s.agent_version.empty());
  EXPECT_TRUE(s.key_latch_message.empty());
  EXPECT_TRUE(s.ebpf_status.empty());
  EXPECT_FALSE(s.states_modes_known);
  EXPECT_EQ(s.unauthorized_count, 0);
}

TEST(GpaStatusFileTest, DepthBombsInvalidUtf8AndHugeNumbersAreNamedErrors) {
  struct Case {
    std::string body;
    const char* error_part;
  };
  for (const auto& c :
       {Case{std::string(65, '[') + std::string(65, ']'), "deeper than 64"},
        Case{R"({"proxyAgentStatus":)" + std::string(200000, '{'), "deeper than 64"},
        Case{"{\"proxyAgentStatus\":{\"status\":\"SUCC\xff\"}}", "not JSON"},
        Case{R"({"proxyAgentStatus":{"x":1e400}})", "not JSON"},
        Case{std::string("\0\0\0", 3), "not JSON"}}) {
    auto s = parse_gpa_status_file(c.body);
    EXPECT_FALSE(s) << c.body.substr(0, 40);
    EXPECT_NE(s.error.find(c.error_part), std::string::npos) << s.error;
  }
}

TEST(GpaStatusFileTest, HugeFieldsAreBoundedAndControlCharactersReplaced) {
  auto s = parse_ok(with_key_latch(
      {{"status", std::string(100000, 'R')},
       {"message", "Found key details from local\u001b[2J" + std::string(300000, 'm')}}));
  EXPECT_LE(s.key_latch_status.size(), 64u + 3u);
  EXPECT_LE(s.key_latch_message.size(), 1024u + 3u);
  EXPECT_EQ(s.key_latch_message.find('\x1b'), std::string::npos);
  EXPECT_NO_THROW((void)json(s).dump());
}

TEST(GpaStatusFileTest, SummaryShape) {
  json j = parse_ok(fixture("aggregate-status-synthesized-healthy.json"));
  EXPECT_EQ(j["timestamp"], "2026-07-22T10:15:42.123");
  EXPECT_EQ(j["status"], "SUCCESS");
  EXPECT_EQ(j["keyLatchStatus"]["class"], "ready");
  EXPECT_EQ(j["keyLatchStatus"]["keyGuid"], kGuid);
  EXPECT_EQ(j["keyLatchStatus"]["keyIncarnationId"], 10);
  EXPECT_EQ(j["ebpfProgramStatus"]["status"], "RUNNING");
  EXPECT_EQ(j["unauthorizedCount"], 0);

  json lost = parse_ok(fixture("aggregate-status-synthesized-key-lost.json"));
  EXPECT_TRUE(lost["keyLatchStatus"]["keyGuid"].is_null());
  EXPECT_TRUE(lost["keyLatchStatus"]["keyIncarnationId"].is_null());
  EXPECT_EQ(lost["keyLatchStatus"]["class"], "acquire_refused");
  EXPECT_EQ(lost["unauthorizedCount"], 3);
}

}  // namespace
}  // namespace latchwatch::probes
