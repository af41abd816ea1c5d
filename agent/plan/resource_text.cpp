#include "agent/plan/resource_text.h"

#include "agent/plan/json_cursor.h"
#include "probes/base/json_limits.h"

namespace latchwatch::plan {

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
