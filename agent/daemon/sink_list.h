#pragma once
/// The explicit list of sinks a config enables (no static self-registration).

#include <memory>
#include <vector>

#include "agent/config/config.h"
#include "probes/base/clock.h"
#include "reporting/sinks/metrics_sink.h"
#include "reporting/sinks/sink.h"

namespace latchwatch::agent {

/// Sinks that mirror state keep what they last sent under `config.sources.state_dir`
/// (STATE/alertmanager.json; the webhook's STATE/spool), so it survives restarts and reloads.
std::vector<std::unique_ptr<reporting::Sink>> build_sinks(
    const Config& config, const std::shared_ptr<reporting::MetricsText>& metrics_text,
    const latchwatch::Clock& clock = latchwatch::real_clock());

}  // namespace latchwatch::agent
