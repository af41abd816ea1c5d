#pragma once
/// The daemon's deciding half, apart from its waiting: one cycle is check → debounce → keep the
/// decision → hand it to the sinks, and between cycles the loop asks when the next is due
/// (schedule.h) and waits for it through a port. Everything that waits or reads time is a port,
/// so tests drive many cycles on a manual clock with an evidence source of their own, and the
/// daemon (run_loop.cpp) plugs in the real ones: run_check_cycle, the file trigger, signals,
/// the dispatcher.
///
/// Thread-safety: none; the run loop's thread owns it.

#include <chrono>
#include <cstdint>
#include <functional>

#include "agent/config/config.h"
#include "agent/daemon/debounce.h"
#include "probes/base/clock.h"
#include "reporting/sinks/sink.h"

namespace latchwatch::agent {

/// Why the wait between cycles ended.
enum class Wake { stop, reload, cycle_now, timer };

/// What the loop needs from the world.
struct LoopPorts {
  const Clock* clock = &real_clock();
  /// One probe-and-diagnose cycle (the daemon: run_check_cycle) at the clock's wall time.
  std::function<Report(const Config&, std::chrono::system_clock::time_point)> check;
  /// Hands a decided cycle to the sinks; never waits on one (the daemon: the dispatcher).
  std::function<void(reporting::CycleReport&)> publish;
  /// Waits until `deadline` (the clock's steady time) or a wake-up, and says which.
  std::function<Wake(std::chrono::steady_clock::time_point deadline)> wait_until;
  /// A cycle starts / ended with a key verdict pending or not (the file trigger's bookkeeping).
  std::function<void()> cycle_started = [] {};
  std::function<void(bool key_verdict_pending)> cycle_finished = [](bool) {};
  /// Keeps the debounce state durably (the daemon: STATE/debounce.json), called when it changed.
  std::function<void(const DebounceState&)> keep_state = [](const DebounceState&) {};
  /// True when a stop was asked for while a cycle ran: that cycle is not reported.
  std::function<bool()> stopping = [] { return false; };
  /// Jitter: given the bound in ms, a value in [0, bound].
  std::function<std::int64_t(std::int64_t)> draw = [](std::int64_t) { return 0; };
};

class DaemonLoop {
 public:
  DaemonLoop(const Config& config, DebounceState state, LoopPorts ports);

  /// One cycle; false when a stop arrived during it (nothing was published).
  bool run_cycle();
  /// Cycles until `wait_until` says stop. A reload wake calls `on_reload` (which may call
  /// `reconfigure`) and starts a cycle at once.
  void run(const std::function<void()>& on_reload);
  /// A reloaded configuration for the cycles to come.
  void reconfigure(const Config& config) { config_ = config; }

  const DebounceState& state() const { return state_; }
  const Config& config() const { return config_; }

 private:
  Config config_;
  DebounceState state_;
  LoopPorts ports_;
  std::chrono::steady_clock::time_point cycle_start_{};
};

}  // namespace latchwatch::agent
