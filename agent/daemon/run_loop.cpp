#include "agent/daemon/run_loop.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/ip/host_name.hpp>
#include <condition_variable>
#include <mutex>
#include <random>

#include "agent/daemon/check_cycle.h"
#include "agent/daemon/cycle_trigger.h"
#include "agent/daemon/daemon_loop.h"
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
    if (previous && previous->dispatcher) {
      // A reload reuses the sink threads (one per kind of sink): however many reloads come
      // while a receiver hangs, threads never grow (issue 26).
      dispatcher = std::move(previous->dispatcher);
      dispatcher->replace_sinks(build_sinks(config, metrics_text),
                                SteadyClock::now() + kRetireBudget, options);
    } else {
      dispatcher =
          std::make_unique<reporting::Dispatcher>(build_sinks(config, metrics_text), options);
    }
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
  LoopPorts ports;
  ports.check = [&wakeups](const Config& running, std::chrono::system_clock::time_point now) {
    Config cycle_config = running;
    cycle_config.sources.probes.cancel = &wakeups.stop_flag();
    return run_check_cycle(cycle_config, now);
  };
  ports.publish = [&](reporting::CycleReport& cycle) {
    cycle.host = host;
    cycle.sinks_health = outputs->dispatcher->health();
    outputs->health->update(cycle);  // /health answers from the debounced verdict at once
    outputs->dispatcher->submit(cycle);
    // Start-up is over once a cycle has run: from here on the resident set is the cycle's own.
    if (!startup_pages_released) {
      startup_pages_released = true;
      release_startup_pages();
    }
  };
  ports.wait_until = [&wakeups](SteadyClock::time_point deadline) {
    return wakeups.wait_until(deadline);
  };
  ports.cycle_started = [&trigger] { trigger.cycle_started(); };
  ports.cycle_finished = [&trigger](bool pending) { trigger.cycle_finished(pending); };
  ports.keep_state = [&config](const DebounceState& kept) {
    keep_debounce_state(config.sources.state_dir, kept);
  };
  ports.stopping = [&wakeups] { return wakeups.stop_flag().load(); };
  ports.draw = draw;

  DaemonLoop loop(config, load_debounce_state(config.sources.state_dir), std::move(ports));
  loop.run([&] {
    Config fresh;
    if (auto error = load(fresh); !error.empty()) {
      spdlog::error("config reload failed, keeping the running config: {}", error);
    } else if (fresh.sources.state_dir != config.sources.state_dir) {
      spdlog::error("config reload: paths.state_dir cannot change while running; kept {}",
                    config.sources.state_dir);
    } else {
      // The old sinks finish in the background (bounded), on the threads the new ones reuse;
      // probing goes on at once with the new.
      config = fresh;
      apply_log_level(config);
      outputs = std::make_unique<Outputs>(config, std::move(outputs));
      trigger.reconfigure(config);
      loop.reconfigure(config);
      spdlog::info("config reloaded");
    }
  });
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
