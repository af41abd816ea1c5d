#pragma once
/// One check: collect evidence, diagnose, keep the identity cache. Shared by `check` and `run`.

#include <chrono>
#include <vector>

#include "agent/config/config.h"
#include "reporting/report/report.h"

namespace latchwatch::agent {

/// The outward channels this configuration has (for the report's blast radius).
std::vector<latchwatch::Channel> configured_channels(const Config& config);

latchwatch::Report run_check_cycle(const Config& config, std::chrono::system_clock::time_point now);

}  // namespace latchwatch::agent
