#include "probes/base/json_limits.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <exception>
#include <limits>

#include "probes/base/utc_time.h"

namespace latchwatch::probes {
namespace {

using json = nlohmann::json;

/// Deepest nesting of arrays and objects outside strings; stops counting past the limit.
/// Unbalanced closers never drive the count below zero (the parser rejects such text anyway).
int max_depth(std::string_view text) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > deepest) deepest = depth;
      if (deepest > kMaxJsonDepth) return deepest;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

/// Receives SAX events only to capture the parser's error message (run after a failed parse).
class ErrorCapture final : public json::json_sax_t {
 public:
  std::string message;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    message = ex.what();
    return false;
  }
};

/// nlohmann's message without its "[json.exception.parse_error.101] " tag and without the
/// "; last read: '...'" tail, which echoes input bytes (possibly key hex or invalid UTF-8).
std::string describe_parse_error(std::string_view text) {
  ErrorCapture capture;
  try {
    json::sax_parse(text.begin(), text.end(), &capture);
  } catch (const std::exception&) {
    // sax_parse reports through parse_error; nothing else is expected to throw.
  }
  return parse_error_text(capture.message);
}

/// Length of the valid UTF-8 sequence starting at `s[i]`, or 0 when invalid.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  std::size_t n = c < 0x80           ? 1
                  : (c >> 5) == 0x6  ? 2
                  : (c >> 4) == 0xE  ? 3
                  : (c >> 3) == 0x1E ? 4
                                     : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  if (n == 2 && c < 0xC2) return 0;                                          // overlong
  if (n == 3 && c == 0xE0 && byte(i + 1) < 0xA0) return 0;                   // overlong
  if (n == 3 && c == 0xED && byte(i + 1) >= 0xA0) return 0;                  // surrogate
  if (n == 4 && c == 0xF0 && byte(i + 1) < 0x90) return 0;                   // overlong
  if (n == 4 && (c > 0xF4 || (c == 0xF4 && byte(i + 1) >= 0x90))) return 0;  // > U+10FFFF
  return n;
}

/// C0 controls (but tab, CR, LF), DEL, and the C1 controls U+0080..U+009F (0xC2 0x80..0x9F).
bool is_control(std::string_view s, std::size_t i, std::size_t n) {
  auto c = static_cast<unsigned char>(s[i]);
  if (n == 1) return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F;
  return n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0;
}

}  // namespace

nlohmann::json parse_untrusted_json(std::string_view text, std::string& error,
                                    const nlohmann::json::parser_callback_t& keep) {
  if (max_depth(text) > kMaxJsonDepth) {
    error = "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
    return json(json::value_t::discarded);
  }
  try {
    auto document = json::parse(text.begin(), text.end(), keep, false);
    if (document.is_discarded()) error = describe_parse_error(text);
    return document;
  } catch (const std::exception& e) {
    // allow_exceptions=false covers parse errors; this only guards the promise of no throw.
    error = std::string("not JSON: ") + sanitize_text(e.what(), 200);
    return json(json::value_t::discarded);
  }
}

std::optional<std::int64_t> json_int64(const nlohmann::json& value) {
  if (value.is_number_unsigned()) {
    auto u = value.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    std::int64_t n = 0;
    for (char c : s) n = n * 10 + (c - '0');  // at most 18 digits: cannot overflow
    return n;
  }
  return std::nullopt;
}

std::string sanitize_text(std::string_view text, std::size_t max_len) {
  std::string out;
  out.reserve(std::min(text.size(), max_len) + 3);
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t n = utf8_length(text, i);
    bool replace = n == 0 || is_control(text, i, n);
    std::size_t out_len = replace ? 1 : n;
    if (out.size() + out_len > max_len) {
      out += "...";
      break;
    }
    if (replace)
      out += '?';
    else
      out.append(text.substr(i, n));
    i += n == 0 ? 1 : n;
  }
  return out;
}

std::chrono::system_clock::time_point time_from_unix_seconds(long long seconds) {
  constexpr long long kLatest = 1LL << 33;  // year 2242
  if (seconds < 0) seconds = 0;
  if (seconds > kLatest) seconds = kLatest;
  return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

std::string format_utc(std::chrono::system_clock::time_point t, bool millis) {
  auto seconds = std::chrono::time_point_cast<std::chrono::seconds>(t);
  if (seconds > t) seconds -= std::chrono::seconds(1);  // floor, for times before 1970 too
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - seconds).count();
  CivilTime c = civil_from_unix_seconds(seconds.time_since_epoch().count());
  char out[64];
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  std::string text = out;
  if (millis) {
    std::snprintf(out, sizeof out, ".%03d", static_cast<int>(ms));
    text += out;
  }
  return text + "Z";
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_guid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

std::string parse_error_text(std::string message) {
  if (auto tag_end = message.find("] ");
      message.rfind("[json.exception", 0) == 0 && tag_end != std::string::npos)
    message.erase(0, tag_end + 2);
  if (auto last_read = message.find("; last read:"); last_read != std::string::npos)
    message.erase(last_read);
  if (message.empty()) message = "malformed or truncated";
  return "not JSON: " + sanitize_text(message, 200);
}

}  // namespace latchwatch::probes
