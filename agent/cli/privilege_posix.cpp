#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/cli/privilege.h"

namespace latchwatch::agent {
namespace {

/// The errno of listing (read + search) `folder`, 0 when allowed or when it does not exist.
int denied(const std::string& folder) {
  if (folder.empty()) return 0;
  if (::access(folder.c_str(), R_OK | X_OK) == 0) return 0;
  return errno == EACCES || errno == EPERM ? errno : 0;
}

}  // namespace

std::string missing_privilege(const Config& config) {
  if (::geteuid() == 0) return {};
  std::string what;
  if (int e = denied(config.sources.key_dir))
    what = "GPA's key folder " + config.sources.key_dir + " (" + std::strerror(e) + ")";
  else if (int e = denied(config.sources.state_dir))
    what = "the state folder " + config.sources.state_dir + " (" + std::strerror(e) + ")";
  if (what.empty()) return {};
  return "latchwatch check needs root: uid " + std::to_string(::geteuid()) + " cannot read " +
         what +
         ", and WireServer and HostGAPlugin answer only root (WALinuxAgent's firewall rule, "
         "GPA's rules); run it as root: sudo latchwatch check";
}

}  // namespace latchwatch::agent
