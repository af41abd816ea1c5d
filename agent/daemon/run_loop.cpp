#include "agent/daemon/run_loop.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/ip/host_name.hpp>
#include <condition_variable>
#include <mutex>
#include <random>

#include "agent/daemon/check_cycle.h"
#include "agent/daemon/cycle_trigger.h"
#include "agent/daemon/debounce.h"
#include "agent/daemon/instance_lock.h"
#include "agent/daemon/resident_pages.h"
#include "agent/daemon/schedule.h"
#include "agent/daemon/sink_list.h"
#include "agent/daemon/stop_signals.h"
#include "probes/os/atomic_file.h"
#include "probes/os/bounded_file.h"
#include "reporting/sinks/dispatcher.h"
#include "reporting/sinks/metrics_server.h"

namespace latchwatch::agent {
namespace {

using SteadyClock = std::chrono::steady_clock;
/// SIGTERM to exit: the sinks get this long to finish, inside the one-second promise.
constexpr auto kShutdownBudget = std::chrono::milliseconds(500);
/// Sinks replaced by a reload finish what they hold in the background for at most this long.
constexpr auto kRetireBudget = std::chrono::seconds(5);

/// Why the loop woke up.
enum class Wake { stop, reload, cycle_now, timer };

/// Everything that wakes the loop between cycles. Stop and reload requests arrive on a thread of
/// their own (StopSignals: signals on POSIX, console and service control events on Windows); the
/// loop waits on a condition variable, never on a sink. `request_cycle()` is the place for other
/// triggers (a file watch) to start a cycle at once.
class Wakeups {
 public:
  /// Built before any other thread starts (POSIX: every thread inherits the blocked signals).
  Wakeups() : signals_([this](ControlRequest request) { on_request(request); }) {}

  /// Waits until `deadline` (real steady time) or a wake-up, and says which; a stop wins over
  /// a reload, a reload over a requested cycle.
  Wake wait_until(SteadyClock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_until(lock, deadline, [this] { return stop_.load() || reload_ || cycle_now_; });
    if (stop_) return Wake::stop;
    if (reload_) {
      reload_ = false;
      return Wake::reload;
    }
    if (cycle_now_) {
      cycle_now_ = false;
      return Wake::cycle_now;
    }
    return Wake::timer;
  }
  /// Starts the next cycle at once (from any thread).
  void request_cycle() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      cycle_now_ = true;
    }
    cv_.notify_all();
  }
  const std::atomic<bool>& stop_flag() const { return stop_; }

 private:
  void on_request(ControlRequest request) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (request == ControlRequest::reload)
        reload_ = true;
      else
        stop_ = true;
    }
    cv_.notify_all();
  }

  std::atomic<bool> stop_{false};
  bool reload_ = false;
  bool cycle_now_ = false;
  std::mutex mutex_;
  std::condition_variable cv_;
  StopSignals signals_;  ///< last: may deliver a request as soon as it is built
};

std::string debounce_path(const std::string& state_dir) { return state_dir + "/debounce.json"; }

DebounceState load_debounce(const std::string& state_dir) {
  auto file = probes::read_bounded_file(debounce_path(state_dir), 64 * 1024);
  if (file.state == probes::ReadState::missing) return {};
  auto parsed = parse_debounce_state(file.content);
  if (!parsed) {
    spdlog::warn("debounce state ignored ({}): {}", debounce_path(state_dir),
                 file.state == probes::ReadState::ok ? parsed.error : file.error);
    return {};
  }
  return *parsed.value;
}

std::string host_name() {
  boost::system::error_code ignored;  // no name is an empty one, as gethostname's failure was
  return boost::asio::ip::host_name(ignored);
}

/// The sinks and the metrics endpoint for one configuration.
struct Outputs {
  std::shared_ptr<reporting::MetricsText> metrics_text = std::make_shared<reporting::MetricsText>();
  std::shared_ptr<reporting::HealthAnswer> health = std::make_shared<reporting::HealthAnswer>();
  std::unique_ptr<reporting::MetricsServer> metrics_server;
  std::string metrics_listen;  ///< what `metrics_server` was built for
  std::unique_ptr<reporting::Dispatcher> dispatcher;

  /// `previous` (a reload): its metrics endpoint is kept when the address did not change, so a
  /// reload never drops a scrape or fails to re-bind its own port.
  Outputs(const Config& config, std::unique_ptr<Outputs> previous) {
    if (previous) {
      metrics_text = previous->metrics_text;  // the text and the cycle count
      health = previous->health;              // the last cycle's answer
    }
    std::vector<latchwatch::VerdictCode> counted;
    std::string verdicts_error;
    if (!reporting::parse_health_verdicts(config.health_verdicts, counted, verdicts_error))
      counted = reporting::default_health_verdicts();  // checked at load; never reached
    health->configure(config.health_enabled, std::move(counted));
    if (previous && previous->metrics_server && config.metrics_enabled &&
        previous->metrics_listen == config.metrics_listen) {
      metrics_server = std::move(previous->metrics_server);
      metrics_listen = previous->metrics_listen;
    }
    if (previous) previous->metrics_server.reset();  // frees the port before binding it again
    if (config.metrics_enabled && !metrics_server) {
      net::Endpoint listen;
      std::string error;
      if (!net::parse_endpoint(config.metrics_listen, listen, error, true)) {
        spdlog::error("metrics endpoint off: sinks.metrics.listen {}", error);
      } else {
        try {
          metrics_server = std::make_unique<reporting::MetricsServer>(listen, metrics_text, health);
          metrics_listen = config.metrics_listen;
          spdlog::info("metrics on http://{}/metrics", metrics_server->endpoint().to_string());
        } catch (const std::exception& e) {
          spdlog::error("metrics endpoint off: {}", e.what());  // degraded, not fatal
        }
      }
    }
    reporting::DispatcherOptions options;
    options.stall_after = stall_bound(config);
    dispatcher =
        std::make_unique<reporting::Dispatcher>(build_sinks(config, metrics_text), options);
  }
};

/// Applies what a reload may change in the running process besides the sinks.
void apply_log_level(const Config& config) {
  auto level = spdlog::level::from_str(config.log_level);
  if (auto logger = spdlog::default_logger()) logger->set_level(level);
}

}  // namespace

int run_daemon(const ConfigLoader& load) {
  Config config;
  if (auto error = load(config); !error.empty()) {
    spdlog::error("{}", error);
    return 3;
  }
  Wakeups wakeups;
  InstanceLock instance_lock(config.sources.state_dir);
  if (!instance_lock.held()) {
    spdlog::error("{}", instance_lock.error());
    return 3;
  }
  auto outputs = std::make_unique<Outputs>(config, nullptr);
  DebounceState state = load_debounce(config.sources.state_dir);
  std::mt19937 random(std::random_device{}());
  auto draw = [&random](std::int64_t bound) {
    return std::uniform_int_distribution<std::int64_t>(0, bound)(random);
  };
  const std::string host = host_name();
  spdlog::info("latchwatch {} running: every {} (+ up to {} s jitter), state in {}",
               LATCHWATCH_VERSION,
               config.interval_ms > 0 ? std::to_string(config.interval_ms) + " ms"
                                      : std::to_string(config.interval_s) + " s",
               config.jitter_s, config.sources.state_dir);

  CycleTrigger trigger(config, [&wakeups] { wakeups.request_cycle(); });
  bool startup_pages_released = false;
  for (;;) {
    // 1. One cycle: probe, diagnose, debounce, hand over to the sinks (never waiting on one).
    const auto cycle_start = SteadyClock::now();
    trigger.cycle_started();
    Config cycle_config = config;
    cycle_config.sources.probes.cancel = &wakeups.stop_flag();
    reporting::CycleReport cycle;
    cycle.started = std::chrono::system_clock::now();
    cycle.report = run_check_cycle(cycle_config, cycle.started);
    cycle.finished = std::chrono::system_clock::now();
    if (wakeups.stop_flag()) break;  // an interrupted cycle is not reported

    const DebounceState before = state;
    Step step = debounce(state, cycle.report.verdict.code, config.debounce_cycles);
    trigger.cycle_finished(step.pending);
    // Saved (durably) when the decision changes, not every cycle: the cycle counter alone may
    // lag after a restart, the debounce never does.
    if (state.reported != before.reported || state.has_reported != before.has_reported ||
        state.candidate != before.candidate || state.candidate_cycles != before.candidate_cycles) {
      if (auto error = latchwatch::probes::write_file_atomically(
              debounce_path(config.sources.state_dir),
              nlohmann::json(state).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
                  "\n",
              0640);
          !error.empty())
        spdlog::warn("debounce state not saved: {}", error);
    }
    cycle.cycle = state.cycle;
    cycle.transition = step.transition;
    cycle.has_confirmed = step.has_confirmed;
    cycle.confirmed = step.confirmed;
    cycle.has_previous = step.has_previous;
    cycle.previous = step.previous;
    cycle.pending = step.pending;
    cycle.host = host;
    cycle.sinks_health = reporting::to_json(outputs->dispatcher->health());
    outputs->health->update(cycle);  // /health answers from the debounced verdict at once
    outputs->dispatcher->submit(cycle);
    // Start-up is over once a cycle has run: from here on the resident set is the cycle's own.
    if (!startup_pages_released) {
      startup_pages_released = true;
      release_startup_pages();
    }

    // 2. Wait for the next cycle, a signal, or a request to start one now.
    const auto next = next_cycle_at(cycle_start, SteadyClock::now(), cycle_interval(config),
                                    max_jitter(config), draw);
    Wake wake = wakeups.wait_until(next);
    if (wake == Wake::stop) break;
    if (wake == Wake::reload) {
      Config fresh;
      if (auto error = load(fresh); !error.empty()) {
        spdlog::error("config reload failed, keeping the running config: {}", error);
      } else if (fresh.sources.state_dir != config.sources.state_dir) {
        spdlog::error("config reload: paths.state_dir cannot change while running; kept {}",
                      config.sources.state_dir);
      } else {
        // The old sinks finish in the background (bounded); probing goes on at once with the new.
        outputs->dispatcher->retire(SteadyClock::now() + kRetireBudget);
        config = fresh;
        apply_log_level(config);
        outputs = std::make_unique<Outputs>(config, std::move(outputs));
        trigger.reconfigure(config);
        spdlog::info("config reloaded");
      }
      // A reload starts a cycle at once, so the new sinks converge without waiting an interval.
    }
  }
  spdlog::info("stopping: flushing sinks");
  // What was accepted is already kept (the webhook spooled it in submit); the sinks get the
  // rest of the budget to finish, then the process leaves without waiting for a stuck one.
  const auto deadline = SteadyClock::now() + kShutdownBudget;
  outputs->dispatcher->drain(deadline);
  outputs->dispatcher->retire(deadline);
  if (!reporting::Dispatcher::wait_all_ended(deadline + std::chrono::milliseconds(50))) {
    // A sink is stuck in a delivery: leave now rather than overrun the stop budget. Nothing is
    // lost: undelivered webhook reports stay in the spool, and mirrored state is re-sent.
    spdlog::warn("a sink is still delivering; exiting without waiting for it");
    spdlog::shutdown();
    leave_now(0);
  }
  outputs.reset();
  return 0;
}

}  // namespace latchwatch::agent
