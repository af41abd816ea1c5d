#pragma once
/// The Windows service manager's side of the daemon (Windows only): install and uninstall the
/// service and its event-log source, and run the daemon under StartServiceCtrlDispatcherW,
/// reporting START_PENDING, RUNNING, STOP_PENDING and STOPPED. STOP and SHUTDOWN stop the daemon
/// as SIGTERM does, PARAMCHANGE reloads it as SIGHUP does (through stop_signals.h).
///
/// Errors: nothing throws; install/uninstall return an empty string or what failed, with the
/// system's text.

#include <string>

#include "agent/daemon/run_loop.h"

namespace latchwatch::agent {

inline constexpr const char* kServiceName = "latchwatch";

struct ServiceSpec {
  std::string name = kServiceName;  ///< service name, and the event-log source's
  std::string display_name = "latchwatch (Azure GPA latched-key diagnosis)";
  std::string exe;          ///< absolute path of latchwatch.exe; empty: this process's own
  std::string config_file;  ///< absolute; empty: the service runs without --config
};

/// The command line the service manager starts: "EXE" run --service [--config "FILE"].
std::string service_command_line(const ServiceSpec& spec);

/// CreateServiceW (own process, automatic start, LocalSystem), its description, restart on
/// failure, and HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\NAME with
/// EventMessageFile = the exe.
std::string install_service(const ServiceSpec& spec);

/// Stops the service if it runs (waiting up to `stop_wait_ms` for STOPPED), deletes it and its
/// event-log source. `not_installed` is set when there was no such service (not an error).
std::string uninstall_service(const std::string& name, bool& not_installed,
                              unsigned stop_wait_ms = 15000);

/// Runs `run_daemon(load)` as the service; returns the daemon's exit code, or kExitUsage when
/// the process was not started by the service manager (saying so on stderr).
int run_as_windows_service(const ConfigLoader& load);

}  // namespace latchwatch::agent
