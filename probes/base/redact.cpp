#include "probes/base/redact.h"

#include <cstring>
#include <vector>

namespace latchwatch::probes {
namespace {

constexpr const char* kRedacted = "<redacted>";
constexpr std::size_t kMinHexDigits = 32;
constexpr std::size_t kMinBase64 = 43;  // 32 bytes, unpadded

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_separator(char c) { return c != '\0' && std::strchr(" :-_,.;|", c) != nullptr; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool word_char(char c) { return is_upper(c) || is_lower(c) || is_digit(c); }
bool is_base64(char c, bool url) {
  return is_upper(c) || is_lower(c) || is_digit(c) ||
         (url ? (c == '-' || c == '_') : (c == '+' || c == '/'));
}

/// Length of a hex group at `i` ("0x" prefix allowed), and its digit count; 0 when none.
std::size_t hex_group(std::string_view t, std::size_t i, std::size_t& digits) {
  std::size_t start = i;
  if (i + 2 < t.size() && t[i] == '0' && (t[i + 1] == 'x' || t[i + 1] == 'X') && is_hex(t[i + 2]))
    i += 2;
  std::size_t first = i;
  while (i < t.size() && is_hex(t[i])) ++i;
  digits = i - first;
  // A group is a whole word: "08 failed" must not take "fa" from "failed".
  if (i < t.size() && word_char(t[i])) digits = 0;
  return digits == 0 ? 0 : i - start;
}

/// End of a grouped-hex secret starting at `i`, or `i` when there is none.
std::size_t grouped_hex_end(std::string_view t, std::size_t i) {
  std::size_t digits = 0;
  std::size_t length = hex_group(t, i, digits);
  if (length == 0) return i;
  const std::size_t size = digits;
  std::size_t total = digits, groups = 1, end = i + length;
  for (;;) {
    std::size_t sep = 0;
    while (sep < 2 && end + sep < t.size() && is_separator(t[end + sep])) ++sep;
    if (sep == 0) break;
    std::size_t next_digits = 0;
    std::size_t next = hex_group(t, end + sep, next_digits);
    if (next == 0 || next_digits > size) break;
    total += next_digits;
    ++groups;
    end += sep + next;
    if (next_digits < size) break;  // a shorter group can only be the last
  }
  return groups >= 2 && total >= kMinHexDigits ? end : i;
}

/// End of a key-length base64 run starting at `i`, or `i`.
std::size_t base64_end(std::string_view t, std::size_t i) {
  for (bool url : {false, true}) {
    std::size_t end = i;
    bool upper = false, lower = false, digit = false;
    while (end < t.size() && is_base64(t[end], url)) {
      upper |= is_upper(t[end]);
      lower |= is_lower(t[end]);
      digit |= is_digit(t[end]);
      ++end;
    }
    if (end - i >= kMinBase64 && upper && lower && digit) {
      while (end < t.size() && t[end] == '=' && end - i < 1024) ++end;
      return end;
    }
  }
  return i;
}

}  // namespace

std::string redact_key_material(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    // Only at the start of a word: never from the middle of one.
    const bool word_start = i == 0 || !word_char(text[i - 1]);
    if (word_start) {
      std::size_t run = 0;
      while (i + run < text.size() && is_hex(text[i + run])) ++run;
      std::size_t end = run >= kMinHexDigits ? i + run : i;
      end = std::max(end, grouped_hex_end(text, i));
      end = std::max(end, base64_end(text, i));
      if (end > i) {
        out += kRedacted;
        i = end;
        continue;
      }
    }
    // A long hex run inside a word ("key=9f86...") is still a key.
    if (is_hex(text[i])) {
      std::size_t run = 0;
      while (i + run < text.size() && is_hex(text[i + run])) ++run;
      if (run >= kMinHexDigits) {
        out += kRedacted;
        i += run;
        continue;
      }
      out.append(text.substr(i, run));
      i += run;
      continue;
    }
    out += text[i++];
  }
  return out;
}

}  // namespace latchwatch::probes
