#include "probes/base/utc_time.h"

#include <gtest/gtest.h>

#include "probes/base/json_limits.h"

namespace latchwatch::probes {
namespace {

TEST(UtcTime, KnownDatesBothWays) {
  EXPECT_EQ(unix_seconds_from_civil({1970, 1, 1, 0, 0, 0}), 0);
  EXPECT_EQ(unix_seconds_from_civil({1994, 11, 6, 8, 49, 37}), 784111777);
  EXPECT_EQ(unix_seconds_from_civil({2000, 2, 29, 0, 0, 0}), 951782400);  // leap day of a 400 year
  EXPECT_EQ(unix_seconds_from_civil({2026, 9, 21, 14, 13, 20}), 1790000000);
  EXPECT_EQ(unix_seconds_from_civil({2242, 3, 16, 12, 56, 32}), 1LL << 33);
  CivilTime c = civil_from_unix_seconds(1790000000);
  EXPECT_EQ(c.year, 2026);
  EXPECT_EQ(c.month, 9);
  EXPECT_EQ(c.day, 21);
  EXPECT_EQ(c.hour, 14);
  EXPECT_EQ(c.minute, 13);
  EXPECT_EQ(c.second, 20);
  CivilTime before = civil_from_unix_seconds(-1);
  EXPECT_EQ(before.year, 1969);
  EXPECT_EQ(before.month, 12);
  EXPECT_EQ(before.day, 31);
  EXPECT_EQ(before.second, 59);
}

TEST(UtcTime, OutOfRangeFieldsRollOverLikeTimegm) {
  EXPECT_EQ(unix_seconds_from_civil({2023, 2, 31, 0, 0, 0}),
            unix_seconds_from_civil({2023, 3, 3, 0, 0, 0}));
  EXPECT_EQ(unix_seconds_from_civil({2023, 12, 31, 23, 59, 60}),
            unix_seconds_from_civil({2024, 1, 1, 0, 0, 0}));
}

TEST(UtcTime, WeekdaysAndHttpDates) {
  EXPECT_EQ(weekday_from_unix_seconds(0), 4);          // Thursday
  EXPECT_EQ(weekday_from_unix_seconds(784111777), 0);  // Sunday
  auto t = std::chrono::system_clock::time_point(std::chrono::seconds(784111777));
  EXPECT_EQ(format_http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(parse_http_date_seconds("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_EQ(parse_http_date_seconds("sunday, 6 november 1994 08:49:37"), 784111777);
  EXPECT_EQ(parse_http_date_seconds("Sun,06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_FALSE(parse_http_date_seconds(""));
  EXPECT_FALSE(parse_http_date_seconds("Sun 06 Nov 1994 08:49:37 GMT"));   // no comma
  EXPECT_FALSE(parse_http_date_seconds("Sun, 32 Nov 1994 08:49:37 GMT"));  // day
  EXPECT_FALSE(parse_http_date_seconds("Sun, 06 Nop 1994 08:49:37 GMT"));  // month
  EXPECT_FALSE(parse_http_date_seconds("Sun, 06 Nov 1994 24:49:37 GMT"));  // hour
  EXPECT_FALSE(parse_http_date_seconds("Sun, 06 Nov 1994 08:49 GMT"));     // no seconds
  EXPECT_FALSE(parse_http_date_seconds("2026-09-21T14:13:20Z"));
}

TEST(UtcTime, FormatUtcUsesTheSameCalendar) {
  auto t = std::chrono::system_clock::time_point(std::chrono::seconds(1790000000)) +
           std::chrono::milliseconds(7);
  EXPECT_EQ(format_utc(t, false), "2026-09-21T14:13:20Z");
  EXPECT_EQ(format_utc(t, true), "2026-09-21T14:13:20.007Z");
}

}  // namespace
}  // namespace latchwatch::probes
