#pragma once
/// Logging through spdlog to stderr (journald picks it up under systemd), optionally syslog.

#include "agent/config.h"

namespace latchwatch::agent {

void setup_logging(const Config& config);

}  // namespace latchwatch::agent
