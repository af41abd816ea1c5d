#include "probes/payloads/azure_names.h"

#include <arpa/inet.h>

#include <cctype>

#include "probes/payloads/json_limits.h"

namespace latchwatch::probes {
namespace {

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
         c == '(' || c == ')';
}

}  // namespace

bool is_azure_name(std::string_view text) {
  if (text.empty() || text.size() > 256) return false;
  for (char c : text)
    if (!is_name_char(c)) return false;
  return true;
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

bool is_guid_text(std::string_view text) { return is_guid(text); }

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
  std::string copy(text);
  unsigned char buffer[16];
  return ::inet_pton(AF_INET, copy.c_str(), buffer) == 1 ||
         ::inet_pton(AF_INET6, copy.c_str(), buffer) == 1;
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
