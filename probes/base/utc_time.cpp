#include "probes/base/utc_time.h"

#include <cstdio>

namespace latchwatch::probes {
namespace {

constexpr const char* kDays[] = {"sunday",   "monday", "tuesday", "wednesday",
                                 "thursday", "friday", "saturday"};
constexpr const char* kMonths[] = {"january",   "february", "march",    "april",
                                   "may",       "june",     "july",     "august",
                                   "september", "october",  "november", "december"};

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

void skip_blanks(std::string_view text, std::size_t& pos) {
  while (pos < text.size() && is_blank(text[pos])) ++pos;
}

/// Matches `name` in full, else its first three letters (case-insensitive), at `pos`.
bool match_name(std::string_view text, std::size_t& pos, std::string_view name) {
  auto matches = [&](std::size_t length) {
    if (pos + length > text.size()) return false;
    for (std::size_t k = 0; k < length; ++k)
      if (lower(text[pos + k]) != name[k]) return false;
    return true;
  };
  if (matches(name.size())) {
    pos += name.size();
    return true;
  }
  if (matches(3)) {
    pos += 3;
    return true;
  }
  return false;
}

/// One of `names` at `pos` (after blanks): its index, or -1.
template <std::size_t N>
int match_one_of(std::string_view text, std::size_t& pos, const char* const (&names)[N]) {
  skip_blanks(text, pos);
  for (std::size_t i = 0; i < N; ++i)
    if (match_name(text, pos, names[i])) return static_cast<int>(i);
  return -1;
}

/// Up to `max_digits` digits after optional blanks, within [low, high].
bool read_number(std::string_view text, std::size_t& pos, int max_digits, int low, int high,
                 int& out) {
  skip_blanks(text, pos);
  int digits = 0;
  out = 0;
  while (digits < max_digits && pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    out = out * 10 + (text[pos++] - '0');
    ++digits;
  }
  return digits > 0 && out >= low && out <= high;
}

/// A literal must follow at once (strptime matches format literals exactly).
bool expect_char(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

long long floor_div(long long a, long long b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

}  // namespace

long long unix_seconds_from_civil(const CivilTime& t) {
  // days_from_civil (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms"): the year starts
  // in March, so February's length only matters at the end of a year.
  long long y = static_cast<long long>(t.year) - (t.month <= 2 ? 1 : 0);
  long long era = floor_div(y, 400);
  long long yoe = y - era * 400;
  long long mp = (t.month + 9) % 12;
  long long doy = (153 * mp + 2) / 5 + t.day - 1;
  long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  long long days = era * 146097 + doe - 719468;
  return ((days * 24 + t.hour) * 60 + t.minute) * 60 + t.second;
}

CivilTime civil_from_unix_seconds(long long seconds) {
  long long days = floor_div(seconds, 86400);
  long long rest = seconds - days * 86400;
  // civil_from_days (same source).
  long long z = days + 719468;
  long long era = floor_div(z, 146097);
  long long doe = z - era * 146097;
  long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long long mp = (5 * doy + 2) / 153;
  CivilTime t;
  t.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  t.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  t.year = static_cast<int>(yoe + era * 400 + (t.month <= 2 ? 1 : 0));
  t.hour = static_cast<int>(rest / 3600);
  t.minute = static_cast<int>(rest / 60 % 60);
  t.second = static_cast<int>(rest % 60);
  return t;
}

int weekday_from_unix_seconds(long long seconds) {
  long long days = floor_div(seconds, 86400);
  return static_cast<int>((days % 7 + 11) % 7);  // 1970-01-01 was a Thursday (4)
}

std::optional<long long> parse_http_date_seconds(std::string_view text) {
  std::size_t pos = 0;
  CivilTime t;
  if (match_one_of(text, pos, kDays) < 0 || !expect_char(text, pos, ',')) return std::nullopt;
  skip_blanks(text, pos);
  if (!read_number(text, pos, 2, 1, 31, t.day)) return std::nullopt;
  int month = match_one_of(text, pos, kMonths);
  if (month < 0) return std::nullopt;
  t.month = month + 1;
  if (!read_number(text, pos, 4, 0, 9999, t.year) || !read_number(text, pos, 2, 0, 23, t.hour) ||
      !expect_char(text, pos, ':') || !read_number(text, pos, 2, 0, 59, t.minute) ||
      !expect_char(text, pos, ':') || !read_number(text, pos, 2, 0, 61, t.second))
    return std::nullopt;
  return unix_seconds_from_civil(t);
}

std::string format_http_date(std::chrono::system_clock::time_point t) {
  static constexpr const char* kDayNames[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonthNames[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  long long seconds = std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
  CivilTime c = civil_from_unix_seconds(seconds);
  char out[64];
  std::snprintf(out, sizeof out, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                kDayNames[weekday_from_unix_seconds(seconds)], c.day, kMonthNames[c.month - 1],
                c.year, c.hour, c.minute, c.second);
  return out;
}

}  // namespace latchwatch::probes
