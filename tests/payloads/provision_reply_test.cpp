// GPA's local listener GET /provision: {"finished":bool,"errorMessage":"..."} (domain brief §1).

#include "probes/payloads/provision_reply.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace latchwatch::probes {
namespace {

using json = nlohmann::json;
using Modules = std::vector<std::string>;

constexpr const char* kKeyHex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

ProvisionReply parse_ok(const std::string& body) {
  auto r = parse_provision_reply(body);
  EXPECT_TRUE(r) << body << " -> " << r.error;
  return r ? *r.value : ProvisionReply{};
}

std::string reply_with_message(const std::string& message, const char* finished = "false") {
  return std::string(R"({"finished":)") + finished + R"(,"errorMessage":)" + json(message).dump() +
         "}";
}

TEST(ProvisionReplyTest, ListsEveryUnreadyModuleInGpasFormat) {
  // GPA writes one "<module> - <message>\r\n" line per unready module, in this order.
  auto r = parse_ok(reply_with_message(
      "ebpfProgramStatus - Failed to start redirector - 12\r\n"
      "keyLatchStatus - Failed to acquire key details: Key(KeyResponse(\"acquire\", 403))\r\n"
      "proxyListenerStatus - Proxy listener is not started yet.\r\n"));
  EXPECT_FALSE(r.finished);
  EXPECT_EQ(r.unready_modules,
            (Modules{"ebpfProgramStatus", "keyLatchStatus", "proxyListenerStatus"}));
  EXPECT_NE(r.error_message.find("KeyResponse(\"acquire\", 403)"), std::string::npos);
}

TEST(ProvisionReplyTest, PlainLineFeedsAndBlankLinesWork) {
  auto r = parse_ok(reply_with_message("\n\nkeyLatchStatus - x\n\n  ebpfProgramStatus - y  \n"));
  EXPECT_EQ(r.unready_modules, (Modules{"keyLatchStatus", "ebpfProgramStatus"}));
}

TEST(ProvisionReplyTest, ContinuationLinesOfAMessageAreNotModules) {
  // A module's message can span lines and contain " - " itself.
  auto r =
      parse_ok(reply_with_message("keyLatchStatus - Failed to get key status - first line\r\n"
                                  "caused by: Failed to get key status - connection refused\r\n"
                                  "no dash here\r\n"
                                  " - leading dash\r\n"));
  EXPECT_EQ(r.unready_modules, Modules{"keyLatchStatus"});
}

TEST(ProvisionReplyTest, FinishedWithNoErrorMeansReady) {
  auto r = parse_ok(R"({"finished":true,"errorMessage":""})");
  EXPECT_TRUE(r.finished);
  EXPECT_TRUE(r.error_message.empty());
  EXPECT_TRUE(r.unready_modules.empty());
  EXPECT_TRUE(parse_ok(R"({"finished":true})").error_message.empty()) << "absent errorMessage";
  EXPECT_TRUE(parse_ok(R"({"finished":true,"errorMessage":null})").error_message.empty());
}

TEST(ProvisionReplyTest, FinishedAsAStringIsTolerated) {
  EXPECT_TRUE(parse_ok(R"({"finished":"true"})").finished);
  EXPECT_TRUE(parse_ok(R"({"finished":"True"})").finished);
  EXPECT_FALSE(parse_ok(R"({"finished":"false"})").finished);
  EXPECT_FALSE(parse_ok(R"({"finished":"FALSE"})").finished);
}

TEST(ProvisionReplyTest, WrongShapesAreRefusedNamingTheField) {
  struct Case {
    const char* body;
    const char* error_part;
  };
  for (const auto& c :
       {Case{R"({"errorMessage":""})", "/finished is missing"},
        Case{R"({"finished":1})", "/finished must be true or false"},
        Case{R"({"finished":"yes"})", "/finished must be true or false"},
        Case{R"({"finished":null})", "/finished must be true or false"},
        Case{R"({"finished":true,"errorMessage":5})", "/errorMessage must be a string"},
        Case{R"([true])", "not a JSON object"}, Case{"", "not JSON"},
        Case{R"({"finished":tr)", "not JSON"}, Case{"Bad Request", "not JSON"}}) {
    auto r = parse_provision_reply(c.body);
    EXPECT_FALSE(r) << c.body;
    EXPECT_NE(r.error.find(c.error_part), std::string::npos) << c.body << " -> " << r.error;
  }
  auto bomb = parse_provision_reply(std::string(1000, '{'));
  EXPECT_FALSE(bomb);
  EXPECT_NE(bomb.error.find("deeper"), std::string::npos);
}

TEST(ProvisionReplyTest, KeyHexIsRedacted) {
  auto r =
      parse_ok(reply_with_message(std::string("keyLatchStatus - bad key ") + kKeyHex + "\r\n"));
  EXPECT_EQ(r.error_message, "keyLatchStatus - bad key <redacted>\r\n");
  EXPECT_EQ(r.unready_modules, Modules{"keyLatchStatus"});
  EXPECT_EQ(json(r).dump().find("9f86d081"), std::string::npos);
}

TEST(ProvisionReplyTest, HexCutByTheLengthLimitLeavesNoPieceBehind) {
  // The message is bounded (2 KiB); redaction must run first, or the cut would leave a short,
  // unredacted head of the key at the end.
  for (std::size_t pad : {2000u, 2020u, 2040u, 2047u}) {
    auto r = parse_ok(reply_with_message(std::string(pad, 'x') + kKeyHex));
    EXPECT_EQ(r.error_message.find("9f86d0"), std::string::npos) << pad;
    EXPECT_LE(r.error_message.size(), 2048u + 3u);
  }
}

TEST(ProvisionReplyTest, ControlCharactersAndInvalidTextNeverReachTheSummary) {
  auto r = parse_ok(reply_with_message("keyLatchStatus - \x1b[31mred\x07\r\n"));
  EXPECT_EQ(r.error_message, "keyLatchStatus - ?[31mred?\r\n");
  EXPECT_NO_THROW((void)json(r).dump());
}

TEST(ProvisionReplyTest, SummaryShape) {
  json j = parse_ok(reply_with_message("keyLatchStatus - waiting\r\n"));
  EXPECT_EQ(j, (json{{"finished", false},
                     {"errorMessage", "keyLatchStatus - waiting\r\n"},
                     {"unreadyModules", {"keyLatchStatus"}}}));
  json ready = parse_ok(R"({"finished":true,"errorMessage":""})");
  EXPECT_TRUE(ready["unreadyModules"].is_array());
  EXPECT_TRUE(ready["unreadyModules"].empty());
}

}  // namespace
}  // namespace latchwatch::probes
