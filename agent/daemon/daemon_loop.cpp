#include "agent/daemon/daemon_loop.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <utility>

#include "agent/daemon/schedule.h"

namespace latchwatch::agent {

DaemonLoop::DaemonLoop(const Config& config, DebounceState state, LoopPorts ports)
    : config_(config), state_(state), ports_(std::move(ports)) {}

bool DaemonLoop::run_cycle() {
  // Probe, diagnose, debounce, hand over to the sinks (never waiting on one).
  cycle_start_ = ports_.clock->steady_now();
  ports_.cycle_started();
  reporting::CycleReport cycle;
  cycle.started = ports_.clock->system_now();
  try {
    cycle.report = ports_.check(config_, cycle.started);
  } catch (const std::exception& e) {
    // Out of descriptors or threads (a local user holding connections): this cycle is lost, the
    // process is not; the next one runs at its time.
    spdlog::error("cycle failed, retrying at the next interval: {}", e.what());
    ports_.cycle_finished(false);
    return !ports_.stopping();
  }
  cycle.finished = ports_.clock->system_now();
  if (ports_.stopping()) return false;  // an interrupted cycle is not reported

  const DebounceState before = state_;
  Step step = debounce(state_, cycle.report.verdict.code, config_.debounce_cycles);
  ports_.cycle_finished(step.pending);
  // Kept (durably) when the decision changes, not every cycle: the cycle counter alone may lag
  // after a restart, the debounce never does.
  if (state_.reported != before.reported || state_.has_reported != before.has_reported ||
      state_.candidate != before.candidate || state_.candidate_cycles != before.candidate_cycles)
    ports_.keep_state(state_);
  static_cast<reporting::Decision&>(cycle) = step;
  cycle.cycle = state_.cycle;
  ports_.publish(cycle);
  return true;
}

void DaemonLoop::run(const std::function<void()>& on_reload) {
  for (;;) {
    if (!run_cycle()) return;
    const auto next = next_cycle_at(cycle_start_, ports_.clock->steady_now(),
                                    cycle_interval(config_), max_jitter(config_), ports_.draw);
    const Wake wake = ports_.wait_until(next);
    if (wake == Wake::stop) return;
    // A reload starts a cycle at once, so the new sinks converge without waiting an interval.
    if (wake == Wake::reload) on_reload();
  }
}

}  // namespace latchwatch::agent
