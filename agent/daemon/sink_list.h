#pragma once
/// The explicit list of sinks a config enables (no static self-registration).

#include <memory>
#include <vector>

#include "agent/config.h"
#include "reporting/sink.h"
#include "reporting/sinks/metrics_sink.h"

namespace latchwatch::agent {

std::vector<std::unique_ptr<reporting::Sink>> build_sinks(
    const Config& config, const std::shared_ptr<reporting::MetricsText>& metrics_text);

}  // namespace latchwatch::agent
