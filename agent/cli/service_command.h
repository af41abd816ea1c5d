#pragma once
/// The daemon as a Windows service, from the command line:
///   latchwatch service install [--config FILE]   register the service "latchwatch" (auto start,
///                                                 restart on failure) and its event-log source
///   latchwatch service uninstall                  stop it if running, remove both
///   latchwatch run --service                      what the service manager starts
/// Everywhere else these say that they are Windows-only and return the usage exit code (systemd
/// runs `latchwatch run` on Linux).

#include <string>
#include <vector>

#include "agent/daemon/run_loop.h"

namespace latchwatch::agent {

/// `args` follow the word "service".
int service_command(const std::vector<std::string>& args);

/// `run --service`: run_daemon under the service manager.
int run_service(const ConfigLoader& load);

}  // namespace latchwatch::agent
