#pragma once
/// One check: collect evidence, diagnose, keep the identity cache. Shared by `check` and `run`.

#include <chrono>

#include "agent/config/config.h"
#include "reporting/report/report.h"

namespace latchwatch::agent {

latchwatch::Report run_check_cycle(const Config& config, std::chrono::system_clock::time_point now);

}  // namespace latchwatch::agent
