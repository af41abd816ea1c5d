#include "probes/base/azure_names.h"

#include <algorithm>
#include <cctype>

#include "probes/base/json_limits.h"

namespace latchwatch::probes {
namespace {

/// Dotted decimal as inet_pton(AF_INET) takes it: four parts of 0..255, no leading zeros.
bool is_ipv4_text(std::string_view text) {
  int parts = 0;
  std::size_t pos = 0;
  while (true) {
    std::size_t start = pos;
    int value = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && pos - start < 3)
      value = value * 10 + (text[pos++] - '0');
    std::size_t digits = pos - start;
    if (digits == 0 || value > 255 || (digits > 1 && text[start] == '0')) return false;
    ++parts;
    if (pos == text.size()) return parts == 4;
    if (text[pos] != '.' || parts == 4) return false;
    ++pos;
  }
}

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/// RFC 4291 text as inet_pton(AF_INET6) takes it: up to eight groups of 1 to 4 hex digits, one
/// "::" for a run of zero groups, optionally ending in dotted IPv4 (two groups); no zone.
bool is_ipv6_text(std::string_view text) {
  int groups = 0;  // 16-bit groups written
  bool compressed = false;
  std::size_t pos = 0;
  if (text.substr(0, 2) == "::") {
    compressed = true;
    pos = 2;
    if (pos == text.size()) return true;
  } else if (!text.empty() && text[0] == ':') {
    return false;
  }
  while (pos < text.size()) {
    std::size_t start = pos;
    while (pos < text.size() && is_hex_digit(text[pos]) && pos - start < 5) ++pos;
    std::size_t digits = pos - start;
    if (pos < text.size() && text[pos] == '.') {  // the dotted IPv4 tail
      if (groups + 2 > 8 || !is_ipv4_text(text.substr(start))) return false;
      groups += 2;
      pos = text.size();
      break;
    }
    if (digits == 0 || digits > 4) return false;
    if (++groups > 8) return false;
    if (pos == text.size()) break;
    if (text[pos] != ':') return false;
    ++pos;
    if (pos < text.size() && text[pos] == ':') {
      if (compressed) return false;
      compressed = true;
      ++pos;
      if (pos == text.size()) break;
    } else if (pos == text.size()) {
      return false;  // a single trailing ':'
    }
  }
  return compressed ? groups < 8 : groups == 8;
}

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
         c == '(' || c == ')';
}

}  // namespace

bool is_azure_name(std::string_view text) {
  if (text.empty() || text.size() > 256) return false;
  for (char c : text)
    if (!is_name_char(c)) return false;
  return text.back() != '.';  // ARM: no name ends in '.'; so never "." or ".."
}

bool is_azure_resource_id(std::string_view text) {
  constexpr std::string_view kPrefix = "/subscriptions/";
  if (text.size() > 1024 || ascii_lower(text.substr(0, kPrefix.size())) != kPrefix) return false;
  std::string_view rest = text.substr(kPrefix.size());
  if (rest.empty() || rest.back() == '/') return false;
  std::size_t start = 0;
  while (start <= rest.size()) {
    std::size_t slash = rest.find('/', start);
    std::string_view segment = rest.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!is_azure_name(segment)) return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

bool is_vm_resource_id(std::string_view text) {
  if (!is_azure_resource_id(text)) return false;
  std::vector<std::string_view> s;  // subscriptions, S, resourceGroups, RG, providers, ...
  std::size_t start = 1;
  while (start <= text.size()) {
    std::size_t slash = text.find('/', start);
    if (slash == std::string_view::npos) slash = text.size();
    s.push_back(text.substr(start, slash - start));
    start = slash + 1;
  }
  auto is = [](std::string_view a, std::string_view b) { return ascii_lower(a) == b; };
  if (s.size() < 8 || !is(s[2], "resourcegroups") || !is(s[4], "providers") ||
      !is(s[5], "microsoft.compute"))
    return false;
  if (s.size() == 8) return is(s[6], "virtualmachines");
  return s.size() == 10 && is(s[6], "virtualmachinescalesets") && is(s[8], "virtualmachines") &&
         s[9].size() <= 10 &&
         std::all_of(s[9].begin(), s[9].end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_guid_text(std::string_view text) { return is_guid(text); }

bool is_cloud_name(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  for (char c : text)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

bool is_key_url(std::string_view text) {
  constexpr std::string_view kScheme = "https://";
  if (text.size() > 1024 || text.substr(0, kScheme.size()) != kScheme) return false;
  for (char c : text.substr(kScheme.size()))
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '/' ||
          c == ':'))
      return false;
  return text.find("/keys/") != std::string_view::npos;
}

bool is_host_name(std::string_view text) {
  if (text.empty() || text.size() > 253 || text.front() == '-' || text.front() == '.') return false;
  for (char c : text)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) return false;
  return true;
}

bool is_ip_address(std::string_view text) {
  if (text.empty() || text.size() > 45) return false;
  return is_ipv4_text(text) || is_ipv6_text(text);
}

void keep_if_valid(std::string& value, bool (*valid)(std::string_view), const char* field,
                   const char* expected, std::vector<RejectedField>& rejected) {
  if (value.empty() || valid(value)) return;
  rejected.push_back({field, expected, one_line(value, 60)});
  value.clear();
}

std::string one_line(std::string_view text, std::size_t max_len) {
  static const char* const kHex = "0123456789abcdef";
  std::string out;
  out.reserve(std::min(text.size(), max_len) + 3);
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    std::string piece;
    if (c == '\\')
      piece = "\\\\";
    else if (c == '\n')
      piece = "\\n";
    else if (c == '\r')
      piece = "\\r";
    else if (c == '\t')
      piece = "\\t";
    else if (c >= 0x20 && c < 0x7f)
      piece = std::string(1, ch);
    else
      piece = {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
    if (out.size() + piece.size() > max_len) return out + "...";
    out += piece;
  }
  return out;
}

}  // namespace latchwatch::probes
