#pragma once
/// One check: collect evidence, diagnose, keep the identity cache. Shared by `check` and `run`.

#include <chrono>

#include "agent/config.h"
#include "agent/diagnosis/report.h"

namespace latchwatch::agent {

diagnosis::Report run_check_cycle(const Config& config, std::chrono::system_clock::time_point now);

}  // namespace latchwatch::agent
