#include <iostream>

#include "agent/cli/cli.h"
#include "agent/cli/service_command.h"

namespace latchwatch::agent {

int service_command(const std::vector<std::string>&) {
  std::cerr << "latchwatch: 'service' is Windows-only; on Linux the package's systemd unit "
               "(latchwatch.service) runs 'latchwatch run'\n";
  return kExitUsage;
}

int run_service(const ConfigLoader&) {
  std::cerr << "latchwatch: 'run --service' is Windows-only (for the Windows service manager); "
               "on Linux run 'latchwatch run' (systemd: latchwatch.service)\n";
  return kExitUsage;
}

}  // namespace latchwatch::agent
