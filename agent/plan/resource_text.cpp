#include "agent/plan/resource_text.h"

#include <cctype>

#include "agent/plan/json_cursor.h"
#include "probes/payloads/json_limits.h"

namespace latchwatch::plan {
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
    std::string_view segment =
        rest.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!is_azure_name(segment)) return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

bool is_guid_text(std::string_view text) { return probes::is_guid(text); }

bool is_key_url(std::string_view text) {
  constexpr std::string_view kScheme = "https://";
  if (text.size() > 1024 || text.substr(0, kScheme.size()) != kScheme) return false;
  for (char c : text.substr(kScheme.size()))
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '/' ||
          c == ':'))
      return false;
  return text.find("/keys/") != std::string_view::npos;
}

ScaleSetInstance split_scale_set_instance(const std::string& resource_id) {
  std::string lower = ascii_lower(resource_id);
  auto set = lower.find("/virtualmachinescalesets/");
  auto vm = lower.rfind("/virtualmachines/");
  if (set == std::string::npos || vm == std::string::npos || vm < set) return {};
  return {resource_id.substr(0, vm), resource_id.substr(vm + 17)};
}

std::string last_segment(const std::string& text) {
  std::string trimmed = text;
  while (!trimmed.empty() && trimmed.back() == '/') trimmed.pop_back();
  auto slash = trimmed.rfind('/');
  return slash == std::string::npos ? trimmed : trimmed.substr(slash + 1);
}

KeyUrlParts split_key_url(const std::string& url) {
  KeyUrlParts parts;
  auto host_start = url.find("://");
  if (host_start == std::string::npos) return parts;
  host_start += 3;
  auto host_end = url.find('/', host_start);
  std::string host = url.substr(host_start, host_end - host_start);
  parts.vault = host.substr(0, host.find('.'));
  auto keys = url.find("/keys/");
  if (keys == std::string::npos) return parts;
  std::string rest = url.substr(keys + 6);
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  auto slash = rest.find('/');
  parts.key = rest.substr(0, slash);
  if (slash != std::string::npos) parts.version = rest.substr(slash + 1);
  return parts;
}

}  // namespace latchwatch::plan
