#pragma once
/// UTC calendar arithmetic without the C library's time zone functions (timegm, gmtime_r and
/// strptime are POSIX; Windows has none of them): Howard Hinnant's days-from-civil algorithms,
/// valid for every date the clock can hold. Pure functions, same results on every platform.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace latchwatch::probes {

/// A UTC calendar time, month 1..12, day 1..31.
struct CivilTime {
  int year = 1970;
  int month = 1;
  int day = 1;
  int hour = 0;
  int minute = 0;
  int second = 0;
};

/// Seconds since 1970-01-01T00:00:00Z. Fields past their range roll over as timegm does
/// (February 31 is March 3, second 60 the next minute's first); the month must be 1..12.
long long unix_seconds_from_civil(const CivilTime& t);

/// The calendar time of a Unix time (negative seconds count back from 1970).
CivilTime civil_from_unix_seconds(long long seconds);

/// 0 = Sunday ... 6 = Saturday.
int weekday_from_unix_seconds(long long seconds);

/// An RFC 1123 HTTP date, "Sun, 06 Nov 1994 08:49:37 GMT", read as glibc's strptime read it with
/// "%a, %d %b %Y %H:%M:%S": day and month names full or abbreviated in any case, blanks
/// optional around fields, anything after the seconds ignored. Seconds since 1970, or nullopt.
std::optional<long long> parse_http_date_seconds(std::string_view text);

/// "Sun, 06 Nov 1994 08:49:37 GMT".
std::string format_http_date(std::chrono::system_clock::time_point t);

}  // namespace latchwatch::probes
