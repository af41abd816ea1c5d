// The portable calendar (probes/base/utc_time.h) against the C library it replaced: timegm,
// gmtime_r and strptime give the same answers over the clock's whole range.
#include <gtest/gtest.h>

#include <ctime>

#include "probes/base/utc_time.h"

namespace latchwatch::probes {
namespace {

TEST(UtcTimePosix, MatchesTimegmAndGmtimeOverTheWholeRange) {
  // Every 9973 minutes (a prime step, so every hour, weekday and month end is hit) to 2242.
  for (long long s = -86400LL * 366; s <= (1LL << 33); s += 9973 * 60 + 17) {
    std::time_t tt = static_cast<std::time_t>(s);
    std::tm tm{};
    ASSERT_NE(::gmtime_r(&tt, &tm), nullptr);
    CivilTime c = civil_from_unix_seconds(s);
    ASSERT_EQ(c.year, tm.tm_year + 1900) << s;
    ASSERT_EQ(c.month, tm.tm_mon + 1) << s;
    ASSERT_EQ(c.day, tm.tm_mday) << s;
    ASSERT_EQ(c.hour, tm.tm_hour) << s;
    ASSERT_EQ(c.minute, tm.tm_min) << s;
    ASSERT_EQ(c.second, tm.tm_sec) << s;
    ASSERT_EQ(weekday_from_unix_seconds(s), tm.tm_wday) << s;
    ASSERT_EQ(unix_seconds_from_civil(c), static_cast<long long>(::timegm(&tm))) << s;
    char http[64];
    std::strftime(http, sizeof http, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    auto t = std::chrono::system_clock::time_point(std::chrono::seconds(s));
    ASSERT_EQ(format_http_date(t), http) << s;
    if (s >= 0) {
      ASSERT_EQ(parse_http_date_seconds(http), s) << http;
    }
  }
}

TEST(UtcTimePosix, RollOverMatchesTimegm) {
  for (int month = 1; month <= 12; ++month)
    for (int day : {29, 30, 31}) {
      std::tm tm{};
      tm.tm_year = 2023 - 1900;
      tm.tm_mon = month - 1;
      tm.tm_mday = day;
      tm.tm_hour = 23;
      tm.tm_min = 59;
      tm.tm_sec = 60;
      EXPECT_EQ(unix_seconds_from_civil({2023, month, day, 23, 59, 60}),
                static_cast<long long>(::timegm(&tm)));
    }
}

TEST(UtcTimePosix, HttpDatesStrptimeAcceptsAreAcceptedAlike) {
  for (const char* text : {"Sun, 06 Nov 1994 08:49:37 GMT", "sunday, 6 november 1994 08:49:37",
                           "Mon,  1 Jan 2024 00:00:00", "Tue, 31 Feb 2026 10:00:61 GMT",
                           "Wed, 1 Jan 99 1:2:3", "Thu, 06 Nov 1994 8:49:37"}) {
    std::tm tm{};
    ASSERT_NE(::strptime(text, "%a, %d %b %Y %H:%M:%S", &tm), nullptr) << text;
    EXPECT_EQ(parse_http_date_seconds(text), static_cast<long long>(::timegm(&tm))) << text;
  }
  for (const char* text : {"Sun 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08-49-37",
                           "Sun, 00 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:60:00"}) {
    std::tm tm{};
    EXPECT_EQ(::strptime(text, "%a, %d %b %Y %H:%M:%S", &tm), nullptr) << text;
    EXPECT_FALSE(parse_http_date_seconds(text)) << text;
  }
}

}  // namespace
}  // namespace latchwatch::probes
