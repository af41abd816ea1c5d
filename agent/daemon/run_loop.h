#pragma once
/// `latchwatch run`: the daemon. An immediate cycle, then one every interval (plus jitter);
/// debounced transitions to the sinks; SIGTERM/SIGINT stop within a second, flushing sinks;
/// SIGHUP reloads the configuration (a bad one is logged and the old one kept). One instance per
/// state folder (STATE/latchwatch.lock). On Windows, console Ctrl+C/Ctrl+Break/close and the
/// service's STOP/SHUTDOWN stop as SIGTERM does, PARAMCHANGE reloads as SIGHUP does
/// (stop_signals.h, instance_lock.h).

#include <functional>
#include <string>

#include "agent/config/config.h"

namespace latchwatch::agent {

/// Rebuilds the configuration from the original command line (config file and flags).
using ConfigLoader = std::function<std::string(Config&)>;

int run_daemon(const ConfigLoader& load);

}  // namespace latchwatch::agent
