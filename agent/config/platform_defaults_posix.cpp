#include "agent/config/config.h"
#include "agent/config/platform_defaults.h"

namespace latchwatch::agent {

const PlatformDefaults& platform_defaults() {
  // EvidenceSources' own member defaults are Linux's paths.
  static const PlatformDefaults defaults{diagnosis::EvidenceSources{},
                                         "/etc/latchwatch/config.json",
                                         "/var/lib/hyperv/.kvp_pool_1", "/dev/ttyS0"};
  return defaults;
}

const char* const kDefaultConfigPath = "/etc/latchwatch/config.json";

bool is_absolute_path(const std::string& path) { return !path.empty() && path[0] == '/'; }

bool is_absolute_location(const std::string& location) { return is_absolute_path(location); }

const char* other_locations_text() { return ""; }

}  // namespace latchwatch::agent
