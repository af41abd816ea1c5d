// The parsers of outside data: every fixture, and every way a payload can be wrong.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "probes/base/json_limits.h"
#include "probes/payloads/gpa_status_file.h"
#include "probes/payloads/imds_instance.h"
#include "probes/payloads/provision_reply.h"
#include "probes/payloads/secure_channel_status.h"
#include "tests/support/test_support.h"

namespace latchwatch::probes {
namespace {

std::string fixture(const std::string& name) {
  return testing::read_file(std::string(LATCHWATCH_FIXTURES_DIR) + "/" + name);
}

/// KeyStatus's required strings (non-Option String in GPA's key.rs), as WireServer sends them.
#define REQUIRED_SCHEME_AND_DELIVERY \
  R"("authorizationScheme":"Azure-HMAC-SHA256","keyDeliveryMethod":"http",)"

std::string depth_bomb(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// ---- secure-channel status ----

TEST(SecureChannelStatus, V1FixturesGiveTheDerivedModes) {
  auto disabled = parse_secure_channel_status(fixture("gpa/status-v1-disabled.json"));
  ASSERT_TRUE(disabled) << disabled.error;
  EXPECT_FALSE(disabled.value->enabled);
  EXPECT_TRUE(disabled.value->key_guid.empty());

  auto wireserver = parse_secure_channel_status(fixture("gpa/status-v1-wireserver.json"));
  ASSERT_TRUE(wireserver);
  EXPECT_TRUE(wireserver.value->enabled);
  EXPECT_EQ(wireserver.value->wireserver, Mode::enforce);
  EXPECT_EQ(wireserver.value->imds, Mode::audit);
  EXPECT_EQ(wireserver.value->hostga, Mode::enforce);

  // Lower-case state and keyGuid "" (GPA's WireServer mock).
  auto mock = parse_secure_channel_status(fixture("gpa/status-v1-mock-wireserver.json"));
  ASSERT_TRUE(mock) << mock.error;
  EXPECT_TRUE(mock.value->enabled);
  EXPECT_TRUE(mock.value->key_guid.empty());
}

TEST(SecureChannelStatus, V2FixturesGiveTheDerivedModes) {
  auto disabled = parse_secure_channel_status(fixture("gpa/status-v2-disabled.json"));
  ASSERT_TRUE(disabled) << disabled.error;
  EXPECT_FALSE(disabled.value->enabled);
  EXPECT_EQ(disabled.value->imds, Mode::disabled);
  EXPECT_FALSE(disabled.value->key_incarnation_id);

  auto enforce = parse_secure_channel_status(fixture("gpa/status-v2-enforce.json"));
  ASSERT_TRUE(enforce) << enforce.error;
  EXPECT_TRUE(enforce.value->enabled);
  EXPECT_EQ(enforce.value->wireserver, Mode::enforce);
  EXPECT_EQ(enforce.value->imds, Mode::enforce);
  EXPECT_EQ(enforce.value->hostga, Mode::enforce);
}

TEST(SecureChannelStatus, V2MissingImdsRuleIsDisabledAndHostGaFollowsWireServer) {
  auto s = parse_secure_channel_status(
      "{" REQUIRED_SCHEME_AND_DELIVERY
      R"("version":"2.0","secureChannelEnabled":true,"keyGuid":"E3882F98-DA8D-4410-8394-06C23462781C",
          "keyIncarnationId":7,"authorizationRules":{"wireserver":{"mode":"Audit","defaultAccess":"allow"}},
          "extra":1})");
  ASSERT_TRUE(s) << s.error;
  EXPECT_EQ(s.value->wireserver, Mode::audit);
  EXPECT_EQ(s.value->hostga, Mode::audit);
  EXPECT_EQ(s.value->imds, Mode::disabled);
  EXPECT_EQ(s.value->key_guid, "e3882f98-da8d-4410-8394-06c23462781c");
  EXPECT_EQ(s.value->key_incarnation_id, 7);
}

TEST(SecureChannelStatus, RejectsWhatGpaRejectsWithANamedReason) {
  struct Case {
    const char* body;
    const char* reason;
  };
  for (const auto& c :
       {Case{"{" REQUIRED_SCHEME_AND_DELIVERY R"("version":"1.0"})", "neither"},
        Case{"{" REQUIRED_SCHEME_AND_DELIVERY
             R"("version":"1.0","secureChannelState":"Sometimes"})",
             "secureChannelState"},
        Case{"{" REQUIRED_SCHEME_AND_DELIVERY
             R"("version":"2.0","secureChannelState":"Wireserver"})",
             "secureChannelEnabled"},
        Case{"{" REQUIRED_SCHEME_AND_DELIVERY
             R"("version":"1.0","secureChannelState":"Disabled","keyGuid":42})",
             "/keyGuid"},
        Case{"{" REQUIRED_SCHEME_AND_DELIVERY
             R"("version":"1.0","secureChannelState":"Disabled","keyIncarnationId":"x"})",
             "/keyIncarnationId"},
        Case{R"({"secureChannelState":"Disabled","version":"1.0","keyDeliveryMethod":"http"})",
             "/authorizationScheme"},
        Case{"{" REQUIRED_SCHEME_AND_DELIVERY R"("secureChannelState":"Disabled"})", "/version"},
        Case{R"([1,2])", "object"},
        Case{R"({"secureChannelState": "Wireserver", "keyGuid": )", "JSON"}, Case{"", "JSON"}}) {
    auto s = parse_secure_channel_status(c.body);
    EXPECT_FALSE(s) << c.body;
    EXPECT_NE(s.error.find(c.reason), std::string::npos) << c.body << " -> " << s.error;
  }
}

TEST(SecureChannelStatus, DepthBombAndInvalidUtf8AreRefusedOrSanitised) {
  auto bomb = parse_secure_channel_status(depth_bomb(100000));
  EXPECT_FALSE(bomb);
  EXPECT_NE(bomb.error.find("deeper"), std::string::npos);
  // Invalid UTF-8 inside a string: the JSON parser refuses it; never a crash.
  EXPECT_FALSE(parse_secure_channel_status("{\"secureChannelState\":\"Dis\xff\xfe\"}"));
}

TEST(SecureChannelStatus, DuplicateKeysKeepOneValueAndNeverCrash) {
  // RFC 8259 leaves duplicates undefined; nlohmann keeps the last. Either way a valid value.
  auto s = parse_secure_channel_status(
      "{" REQUIRED_SCHEME_AND_DELIVERY
      R"("version":"1.0","secureChannelState":"Disabled","secureChannelState":"WireserverAndImds",
          "keyGuid":null})");
  ASSERT_TRUE(s) << s.error;
  EXPECT_TRUE(s.value->enabled);
}

// ---- IMDS ----

TEST(ImdsInstance, ReadsTheWrappedAndTheBareComputeObject) {
  auto old = parse_imds_instance(fixture("peers/WALinuxAgent_valid.json"));
  ASSERT_TRUE(old) << old.error;
  EXPECT_EQ(old.value->vm_id, "e7fdbfc4-2deb-4a4e-8615-ea6aaf50162e");
  EXPECT_EQ(old.value->subscription_id, "21b2dc34-bce6-4e63-9449-d2a8d1c2339e");
  EXPECT_TRUE(old.value->resource_id.empty()) << "the old api-version has no resourceId";

  auto cvm = parse_imds_instance(fixture("peers/WALinuxAgent_cvm_metadata.json"));
  ASSERT_TRUE(cvm) << cvm.error;
  EXPECT_EQ(cvm.value->security_type, "ConfidentialVM");
  EXPECT_FALSE(cvm.value->vm_scale_set_name.empty());
  EXPECT_FALSE(cvm.value->resource_id.empty());

  auto trusted = parse_imds_instance(fixture("peers/WALinuxAgent_trusted_vm_metadata.json"));
  ASSERT_TRUE(trusted) << trusted.error;
  EXPECT_EQ(trusted.value->security_type, "TrustedLaunch");
}

TEST(ImdsInstance, InvalidUtf8NeverReachesAReport) {
  // Escaped invalid UTF-16 is legal JSON syntax; the parsed text is sanitised before it is kept.
  auto c = parse_imds_instance(R"({"compute":{"vmId":"x","name":"vm\ud800-\u0001"}})");
  if (c) {
    nlohmann::json j = *c.value;
    EXPECT_NO_THROW((void)j.dump());
  }
  EXPECT_FALSE(parse_imds_instance("{\"compute\":{\"name\":\"\xc3\x28\"}}"));
}

TEST(ImdsInstance, EphemeralOsDiskIsRead) {
  auto c = parse_imds_instance(
      R"({"compute":{"vmId":"x","storageProfile":{"osDisk":{"diffDiskSettings":{"option":"Local"}}}}})");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c.value->ephemeral_os_disk);
}

TEST(ImdsInstance, RejectsWhatIsNotAnInstanceDocument) {
  EXPECT_FALSE(parse_imds_instance(R"({"network":{}})"));
  EXPECT_FALSE(parse_imds_instance(R"({"compute":"x"})"));
  EXPECT_FALSE(parse_imds_instance("<html>"));
  EXPECT_FALSE(parse_imds_instance(depth_bomb(65)));
  // Wrong types inside are tolerated (left empty), never a crash.
  auto odd = parse_imds_instance(R"({"compute":{"vmId":7,"name":["a"],"securityProfile":3}})");
  ASSERT_TRUE(odd);
  EXPECT_TRUE(odd.value->vm_id.empty());
}

// ---- /provision ----

TEST(ProvisionReply, ListsUnreadyModulesAndRedactsHex) {
  auto r = parse_provision_reply(
      R"({"finished":false,"errorMessage":"keyLatchStatus - Failed to acquire key details\r\nebpfProgramStatus - not started\r\n"})");
  ASSERT_TRUE(r) << r.error;
  EXPECT_FALSE(r.value->finished);
  EXPECT_EQ(r.value->unready_modules,
            (std::vector<std::string>{"keyLatchStatus", "ebpfProgramStatus"}));
  auto hex = parse_provision_reply(
      std::string(R"({"finished":"true","errorMessage":"bad key )") +
      "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" + R"("})");
  ASSERT_TRUE(hex);
  EXPECT_TRUE(hex.value->finished);
  EXPECT_EQ(hex.value->error_message, "bad key <redacted>");
  EXPECT_FALSE(parse_provision_reply(R"({"errorMessage":""})"));
  EXPECT_FALSE(parse_provision_reply(R"({"finished":1})"));
}

// ---- status.json ----

TEST(GpaStatusFile, HealthyFixture) {
  auto s = parse_gpa_status_file(fixture("gpa/aggregate-status-synthesized-healthy.json"));
  ASSERT_TRUE(s) << s.error;
  const auto& v = *s.value;
  EXPECT_EQ(v.key_latch_class, KeyLatchMessage::ready);
  EXPECT_EQ(v.states_key_guid, "e3882f98-da8d-4410-8394-06c23462781c");
  EXPECT_EQ(v.states_key_incarnation_id, 10) << "a numeric string";
  EXPECT_TRUE(v.states_modes_known) << "two spaces before IMDS";
  EXPECT_EQ(v.states_imds, Mode::enforce);
  EXPECT_EQ(v.ebpf_status, "RUNNING");
  EXPECT_EQ(v.unauthorized_count, 0);
  ASSERT_TRUE(v.timestamp);
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*v.timestamp),
            1784715342);  // 2026-07-22T10:15:42Z
}

TEST(GpaStatusFile, KeyLostFixtureShowsOnlyInTheMessageAndTheMissingKeyGuid) {
  auto s = parse_gpa_status_file(fixture("gpa/aggregate-status-synthesized-key-lost.json"));
  ASSERT_TRUE(s) << s.error;
  EXPECT_EQ(s.value->overall_status, "SUCCESS");
  EXPECT_EQ(s.value->key_latch_status, "RUNNING");
  EXPECT_EQ(s.value->key_latch_class, KeyLatchMessage::acquire_refused);
  EXPECT_TRUE(s.value->states_key_guid.empty());
  EXPECT_EQ(s.value->unauthorized_count, 3);
}

TEST(GpaStatusFile, MockFixtureWithZuluTimestamp) {
  auto s = parse_gpa_status_file(fixture("gpa/aggregate-status-mock.json"));
  ASSERT_TRUE(s) << s.error;
  ASSERT_TRUE(s.value->timestamp);
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*s.value->timestamp), 1672531200);
  EXPECT_EQ(s.value->key_latch_class, KeyLatchMessage::other);
}

TEST(GpaStatusFile, TimestampBeyondWhatTheClockHoldsIsIgnored) {
  auto s =
      parse_gpa_status_file(R"({"timestamp":"9999-12-31T23:59:59.999","proxyAgentStatus":{}})");
  ASSERT_TRUE(s) << s.error;
  EXPECT_FALSE(s.value->timestamp);
}

TEST(GpaStatusFile, ClassifiesEveryMessageOfTheDomainBrief) {
  struct Case {
    const char* message;
    KeyLatchMessage expected;
  };
  for (const auto& c :
       {Case{"Found key details from local and ready to use. - 122", KeyLatchMessage::ready},
        Case{"Successfully attest the key and ready to use.", KeyLatchMessage::ready},
        Case{"Customer has not enforce the secure channel state.", KeyLatchMessage::disabled},
        Case{"Failed to acquire key details: Key(KeyResponse(\"acquire\", 403))",
             KeyLatchMessage::acquire_refused},
        Case{"Failed to acquire key details: Key(KeyResponse(\"acquire\", 500))",
             KeyLatchMessage::acquire_host_error},
        Case{"Failed to acquire key details: Key(SendKeyRequest(\"timed out\"))",
             KeyLatchMessage::acquire_network},
        Case{"Failed to get key status - connection refused", KeyLatchMessage::status_failed},
        Case{"Failed to save key details to file: No space left",
             KeyLatchMessage::store_unwritable},
        Case{"  Failed to check the key", KeyLatchMessage::store_unwritable},
        Case{"Failed to attest the key", KeyLatchMessage::attest_failed},
        Case{"", KeyLatchMessage::other}})
    EXPECT_EQ(classify_key_latch_message(c.message), c.expected) << c.message;
}

TEST(GpaStatusFile, KeyHexInAMessageIsRedacted) {
  std::string hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  auto s = parse_gpa_status_file(
      R"({"proxyAgentStatus":{"keyLatchStatus":{"message":"Failed to attest the key )" + hex +
      R"("}}})");
  ASSERT_TRUE(s);
  EXPECT_EQ(s.value->key_latch_message.find(hex), std::string::npos);
  EXPECT_NE(s.value->key_latch_message.find("<redacted>"), std::string::npos);
  EXPECT_EQ(nlohmann::json(*s.value).dump().find(hex), std::string::npos);
  EXPECT_EQ(redact_hex("guid e3882f98-da8d-4410 stays"), "guid e3882f98-da8d-4410 stays");
}

TEST(GpaStatusFile, MalformedTruncatedAndHostileInputsGiveANamedError) {
  auto full = fixture("gpa/aggregate-status-synthesized-healthy.json");
  for (std::size_t cut : {std::size_t(0), std::size_t(1), full.size() / 2, full.size() - 2}) {
    auto s = parse_gpa_status_file(full.substr(0, cut));
    EXPECT_FALSE(s) << cut;
    EXPECT_FALSE(s.error.empty());
  }
  EXPECT_FALSE(parse_gpa_status_file(R"({"timestamp":"x"})"));  // no proxyAgentStatus
  EXPECT_FALSE(parse_gpa_status_file(depth_bomb(65)));
  // Wrong types and numbers out of range inside are tolerated, never a crash.
  auto odd = parse_gpa_status_file(
      R"({"timestamp":12,"proxyAgentStatus":{"keyLatchStatus":{"message":7,"states":{"keyIncarnationId":99999999999999999999999}}},
          "proxyConnectionSummary":[{"responseStatus":"401 Unauthorized","count":-5},3]})");
  ASSERT_TRUE(odd) << odd.error;
  EXPECT_FALSE(odd.value->timestamp);
  EXPECT_FALSE(odd.value->states_key_incarnation_id);
  EXPECT_EQ(odd.value->unauthorized_count, 0);
  // A number JSON cannot represent is a parse error, named.
  auto huge = parse_gpa_status_file(R"({"proxyAgentStatus":{"x":1e400}})");
  EXPECT_FALSE(huge);
  EXPECT_FALSE(huge.error.empty());
}

// ---- json limits ----

TEST(JsonLimits, DepthIsCountedOutsideStringsOnly) {
  std::string error;
  EXPECT_FALSE(parse_untrusted_json(depth_bomb(64), error).is_discarded()) << error;
  EXPECT_TRUE(parse_untrusted_json(depth_bomb(65), error).is_discarded());
  EXPECT_FALSE(
      parse_untrusted_json("{\"a\":\"" + std::string(1000, '[') + "\"}", error).is_discarded());
}

TEST(JsonLimits, SanitizeTextKeepsValidUtf8AndCutsTheRest) {
  EXPECT_EQ(sanitize_text("ok é ✓"), "ok é ✓");
  EXPECT_EQ(sanitize_text("bad\xff\x01here"), "bad??here");
  EXPECT_EQ(sanitize_text(std::string(600, 'a'), 10), "aaaaaaaaaa...");
  EXPECT_TRUE(is_guid("e3882f98-da8d-4410-8394-06c23462781c"));
  EXPECT_FALSE(is_guid("e3882f98da8d-4410-8394-06c23462781c0"));
}

}  // namespace
}  // namespace latchwatch::probes
