#include "agent/daemon/schedule.h"

#include <algorithm>

namespace latchwatch::agent {

std::chrono::milliseconds cycle_interval(const Config& config) {
  return config.interval_ms > 0 ? std::chrono::milliseconds(config.interval_ms)
                                : std::chrono::milliseconds(config.interval_s * 1000LL);
}

std::chrono::milliseconds max_jitter(const Config& config) {
  return std::chrono::milliseconds(std::max(0, config.jitter_s) * 1000LL);
}

std::chrono::steady_clock::time_point next_cycle_at(
    std::chrono::steady_clock::time_point cycle_start, std::chrono::steady_clock::time_point now,
    std::chrono::milliseconds interval, std::chrono::milliseconds max_jitter,
    const std::function<std::int64_t(std::int64_t)>& draw) {
  std::int64_t jitter = 0;
  if (max_jitter.count() > 0 && draw)
    jitter = std::clamp<std::int64_t>(draw(max_jitter.count()), 0, max_jitter.count());
  auto next = cycle_start + interval + std::chrono::milliseconds(jitter);
  return std::max(next, now);
}

std::chrono::milliseconds stall_bound(const Config& config) {
  return std::max(cycle_interval(config), std::chrono::milliseconds(5000));
}

}  // namespace latchwatch::agent
