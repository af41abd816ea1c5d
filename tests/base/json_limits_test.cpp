// The shared guard for JSON from outside: depth limit, no throw, named errors, safe text.

#include "probes/base/json_limits.h"

#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <string>

namespace latchwatch::probes {
namespace {

using json = nlohmann::json;

constexpr const char* kKeyHex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

std::string nested_arrays(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

std::string nested_objects(int depth) {
  std::string text;
  for (int i = 0; i < depth; ++i) text += "{\"a\":";
  text += "1";
  return text + std::string(depth, '}');
}

// ---- parse_untrusted_json: depth ----

TEST(JsonLimitsTest, SixtyFourLevelsParseAndSixtyFiveAreRefused) {
  std::string error;
  EXPECT_FALSE(parse_untrusted_json(nested_arrays(kMaxJsonDepth), error).is_discarded()) << error;
  EXPECT_FALSE(parse_untrusted_json(nested_objects(kMaxJsonDepth), error).is_discarded()) << error;

  error.clear();
  EXPECT_TRUE(parse_untrusted_json(nested_arrays(kMaxJsonDepth + 1), error).is_discarded());
  EXPECT_EQ(error, "nested deeper than 64 levels");
  error.clear();
  EXPECT_TRUE(parse_untrusted_json(nested_objects(kMaxJsonDepth + 1), error).is_discarded());
  EXPECT_EQ(error, "nested deeper than 64 levels");
}

TEST(JsonLimitsTest, AMillionLevelDepthBombIsRefusedBeforeParsing) {
  std::string error;
  EXPECT_TRUE(parse_untrusted_json(nested_arrays(1000000), error).is_discarded());
  EXPECT_NE(error.find("deeper"), std::string::npos);
  // Unclosed: the scan does not need the closers to find the depth.
  EXPECT_TRUE(parse_untrusted_json(std::string(1000000, '{'), error).is_discarded());
  EXPECT_NE(error.find("deeper"), std::string::npos);
}

TEST(JsonLimitsTest, BracketsInsideStringsDoNotCountIncludingAfterEscapedQuotes) {
  std::string error;
  std::string brackets(1000, '[');
  auto doc = parse_untrusted_json(R"({"a":"\")" + brackets + R"(","b":"\\"})", error);
  ASSERT_FALSE(doc.is_discarded()) << error;
  EXPECT_EQ(doc["a"].get<std::string>(), "\"" + brackets);
  EXPECT_EQ(doc["b"].get<std::string>(), "\\");
}

TEST(JsonLimitsTest, LeadingClosersDoNotBuyExtraDepth) {
  // "]]]" first must not let 67 openers pass as 64 levels.
  std::string error;
  EXPECT_TRUE(parse_untrusted_json("]]]" + nested_arrays(kMaxJsonDepth + 3), error).is_discarded());
  EXPECT_NE(error.find("deeper"), std::string::npos);
}

// ---- parse_untrusted_json: named errors ----

TEST(JsonLimitsTest, MalformedInputGivesANotJsonMessageWithAPosition) {
  for (const char* text : {"", "   ", "{", R"({"a":)", "[1,2", "<html>", "{} trailing", "nul",
                           R"({"a":1,})", "1e400"}) {
    std::string error;
    auto doc = parse_untrusted_json(text, error);
    EXPECT_TRUE(doc.is_discarded()) << text;
    EXPECT_EQ(error.rfind("not JSON: ", 0), 0u) << text << " -> " << error;
    EXPECT_GT(error.size(), std::string("not JSON: ").size()) << text;
    EXPECT_EQ(error.find("[json.exception"), std::string::npos) << error;
  }
  std::string error;
  parse_untrusted_json("{\n\"a\": 1,\n\"b\": ?}", error);
  EXPECT_NE(error.find("line 3, column 6"), std::string::npos) << error;
}

TEST(JsonLimitsTest, ErrorMessageNeverEchoesTheInput) {
  // nlohmann's message ends with "last read: '<token>'": that would copy key hex into a report.
  for (std::string text : {std::string("{\"key\": ") + kKeyHex + "}",
                           std::string("{\"key\": \"") + kKeyHex,  // unterminated string
                           std::string("[\"") + kKeyHex + "\x01\"]"}) {
    std::string error;
    EXPECT_TRUE(parse_untrusted_json(text, error).is_discarded());
    EXPECT_EQ(error.find("9f86d081"), std::string::npos) << error;
  }
}

TEST(JsonLimitsTest, InvalidUtf8IsAParseErrorWhoseMessageCanBeDumped) {
  for (std::string text : {std::string("{\"a\":\"\xff\xfe\"}"), std::string("{\"a\":\"\xc3\x28\"}"),
                           std::string("{\"a\":\"\xed\xa0\x80\"}"),  // encoded surrogate
                           std::string("{\"a\":\"\\ud800\"}"),       // lone escaped surrogate
                           std::string("\xff")}) {
    std::string error;
    json doc;
    EXPECT_NO_THROW(doc = parse_untrusted_json(text, error));
    EXPECT_TRUE(doc.is_discarded()) << text;
    EXPECT_NO_THROW((void)json(error).dump()) << "error text must be valid UTF-8";
  }
}

TEST(JsonLimitsTest, ValidDocumentsParseWithUnicodeAndLeaveTheErrorAlone) {
  std::string error = "untouched";
  auto doc = parse_untrusted_json(R"({"name":"caf\u00e9 ✓","n":[1,2.5,null,true]})", error);
  ASSERT_FALSE(doc.is_discarded());
  EXPECT_EQ(doc["name"].get<std::string>(), "café ✓");
  EXPECT_EQ(error, "untouched");
}

// ---- json_int64 ----

TEST(JsonLimitsTest, JsonInt64AcceptsIntegersAndDigitStringsOnly) {
  EXPECT_EQ(json_int64(json(7)), 7);
  EXPECT_EQ(json_int64(json(-3)), -3);
  EXPECT_EQ(json_int64(json("10")), 10);
  EXPECT_EQ(json_int64(json("000123")), 123);
  EXPECT_EQ(json_int64(json(std::numeric_limits<std::int64_t>::max())),
            std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(json_int64(json("999999999999999999")), 999999999999999999LL);

  EXPECT_FALSE(json_int64(json(std::numeric_limits<std::uint64_t>::max())))
      << "an unsigned beyond int64 must not wrap to -1";
  EXPECT_FALSE(json_int64(json("1234567890123456789"))) << "19 digits could overflow";
  EXPECT_FALSE(json_int64(json("")));
  EXPECT_FALSE(json_int64(json("-1")));
  EXPECT_FALSE(json_int64(json("12a")));
  EXPECT_FALSE(json_int64(json(" 12")));
  EXPECT_FALSE(json_int64(json(1.5)));
  EXPECT_FALSE(json_int64(json(true)));
  EXPECT_FALSE(json_int64(json(nullptr)));
  EXPECT_FALSE(json_int64(json::array({1})));
}

// ---- sanitize_text ----

TEST(JsonLimitsTest, SanitizeKeepsValidUtf8AndLineBreaks) {
  EXPECT_EQ(sanitize_text("ok é ✓ 😀"), "ok é ✓ 😀");
  EXPECT_EQ(sanitize_text("line1\r\nline2\tend"), "line1\r\nline2\tend");
}

TEST(JsonLimitsTest, SanitizeReplacesInvalidUtf8AndControlCharacters) {
  EXPECT_EQ(sanitize_text("bad\xff\x01here"), "bad??here");
  EXPECT_EQ(sanitize_text(std::string("nul\0x", 5)), "nul?x");
  EXPECT_EQ(sanitize_text("esc\x1b[31mred"), "esc?[31mred");
  EXPECT_EQ(sanitize_text("del\x7f"), "del?");
  EXPECT_EQ(sanitize_text("c1\xc2\x85next"), "c1?next") << "U+0085 is a C1 control";
  EXPECT_EQ(sanitize_text("nbsp\xc2\xa0ok"), "nbsp\xc2\xa0ok") << "U+00A0 is not a control";
  EXPECT_EQ(sanitize_text("over\xc0\xaflong"), "over??long");
  EXPECT_EQ(sanitize_text("sur\xed\xa0\x80x"), "sur???x");
  EXPECT_EQ(sanitize_text("cut\xe2\x9c"), "cut??") << "a truncated sequence at the end";
  EXPECT_EQ(sanitize_text("big\xf4\x90\x80\x80"), "big????") << "beyond U+10FFFF";
}

TEST(JsonLimitsTest, SanitizeCutsOnACharacterBoundary) {
  EXPECT_EQ(sanitize_text(std::string(600, 'a'), 10), "aaaaaaaaaa...");
  EXPECT_EQ(sanitize_text("abc", 3), "abc");
  EXPECT_EQ(sanitize_text("\xc3\xa9\xc3\xa9\xc3\xa9", 3), "\xc3\xa9...") << "never half of é";
  EXPECT_EQ(sanitize_text("abc", 0), "...");
}

TEST(JsonLimitsTest, SanitizedTextOfEveryByteCanBeDumped) {
  std::string all;
  for (int round = 0; round < 3; ++round)
    for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  std::string clean = sanitize_text(all, 4096);
  EXPECT_NO_THROW((void)json(clean).dump());
  for (unsigned char c : clean)
    EXPECT_TRUE(c >= 0x20 || c == '\t' || c == '\n' || c == '\r') << static_cast<int>(c);
}

// ---- times, case, guids ----

TEST(JsonLimitsTest, UnixSecondsAreClampedToWhatTheClockHolds) {
  using std::chrono::system_clock;
  EXPECT_EQ(system_clock::to_time_t(time_from_unix_seconds(1784715342)), 1784715342);
  EXPECT_EQ(system_clock::to_time_t(time_from_unix_seconds(-5)), 0);
  EXPECT_EQ(system_clock::to_time_t(time_from_unix_seconds(253402300799LL)), 1LL << 33)
      << "year 9999 clamps to 2242";
  EXPECT_EQ(system_clock::to_time_t(time_from_unix_seconds(std::numeric_limits<long long>::max())),
            1LL << 33);
}

TEST(JsonLimitsTest, FormatUtcWithAndWithoutMilliseconds) {
  auto t = time_from_unix_seconds(1784715342) + std::chrono::milliseconds(7);
  EXPECT_EQ(format_utc(t, false), "2026-07-22T10:15:42Z");
  EXPECT_EQ(format_utc(t, true), "2026-07-22T10:15:42.007Z");
  EXPECT_EQ(format_utc(time_from_unix_seconds(0), true), "1970-01-01T00:00:00.000Z");
}

TEST(JsonLimitsTest, AsciiLowerAndGuidShape) {
  EXPECT_EQ(ascii_lower("E3882F98-DA8D é"), "e3882f98-da8d é");
  EXPECT_TRUE(is_guid("e3882f98-da8d-4410-8394-06c23462781c"));
  EXPECT_TRUE(is_guid("E3882F98-DA8D-4410-8394-06C23462781C"));
  EXPECT_FALSE(is_guid("e3882f98da8d-4410-8394-06c23462781c0")) << "dash misplaced";
  EXPECT_FALSE(is_guid("g3882f98-da8d-4410-8394-06c23462781c")) << "not hex";
  EXPECT_FALSE(is_guid("e3882f98-da8d-4410-8394-06c23462781"));
  EXPECT_FALSE(is_guid("e3882f98-da8d-4410-8394-06c23462781cc"));
  EXPECT_FALSE(is_guid("{e3882f98-da8d-4410-8394-06c23462781c}"));
  EXPECT_FALSE(is_guid(""));
}

}  // namespace
}  // namespace latchwatch::probes
