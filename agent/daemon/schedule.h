#pragma once
/// When the next cycle starts: pure arithmetic on the injected clock's steady time, so interval
/// and jitter are tested without sleeping.

#include <chrono>
#include <cstdint>
#include <functional>

#include "agent/config/config.h"

namespace latchwatch::agent {

/// The cycle interval a config asks for (`interval_ms` wins when set, for soak tests).
std::chrono::milliseconds cycle_interval(const Config& config);

/// The longest jitter added to each interval.
std::chrono::milliseconds max_jitter(const Config& config);

/// Start of the next cycle: `cycle_start` + interval + a jitter in [0, max_jitter] drawn from
/// `draw` (given the bound in ms, returns a value in [0, bound]). A cycle that overran its
/// interval starts the next one at once (`now`), never in a burst to catch up.
std::chrono::steady_clock::time_point next_cycle_at(
    std::chrono::steady_clock::time_point cycle_start, std::chrono::steady_clock::time_point now,
    std::chrono::milliseconds interval, std::chrono::milliseconds max_jitter,
    const std::function<std::int64_t(std::int64_t)>& draw);

/// How long a sink's delivery may run before it shows as stalled: one interval, at least 5 s.
std::chrono::milliseconds stall_bound(const Config& config);

}  // namespace latchwatch::agent
