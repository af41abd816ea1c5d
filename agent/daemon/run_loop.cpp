#include "agent/daemon/run_loop.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>

#include <spdlog/spdlog.h>

#include "agent/check_cycle.h"
#include "agent/daemon/cycle_trigger.h"
#include "agent/daemon/resident_pages.h"
#include "agent/daemon/debounce.h"
#include "agent/daemon/sink_list.h"
#include "agent/diagnosis/atomic_file.h"
#include "probes/local/bounded_file.h"
#include "reporting/dispatcher.h"
#include "reporting/metrics_server.h"

namespace latchwatch::agent {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr auto kShutdownBudget = std::chrono::milliseconds(700);

/// Signals arrive on a thread of their own (sigwait); the loop waits on a condition variable.
class SignalWatch {
 public:
  SignalWatch() {
    sigemptyset(&set_);
    for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&set_, s);
    // Blocked in this thread before any other starts, so every thread inherits the mask.
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    thread_ = std::thread([this] { watch(); });
  }
  ~SignalWatch() {
    done_ = true;
    pthread_kill(thread_.native_handle(), SIGHUP);  // wakes sigwait
    thread_.join();
  }

  /// Waits until `deadline` or a signal. Returns true when a stop was asked.
  bool wait_until(SteadyClock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_until(lock, deadline, [this] { return stop_.load() || reload_ || woken_; });
    woken_ = false;
    return stop_.load();
  }
  /// Ends the current (or next) wait early: a file change asks for a cycle now.
  void wake() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      woken_ = true;
    }
    cv_.notify_all();
  }
  bool take_reload() {
    std::lock_guard<std::mutex> lock(mutex_);
    bool r = reload_;
    reload_ = false;
    return r;
  }
  const std::atomic<bool>& stop_flag() const { return stop_; }

 private:
  void watch() {
    for (;;) {
      int signal = 0;
      if (sigwait(&set_, &signal) != 0) continue;
      if (done_) return;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (signal == SIGHUP)
          reload_ = true;
        else
          stop_ = true;
      }
      cv_.notify_all();
    }
  }

  sigset_t set_;
  std::atomic<bool> done_{false};
  std::atomic<bool> stop_{false};
  bool reload_ = false;
  bool woken_ = false;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::thread thread_;
};

/// flock on STATE/latchwatch.lock, held for the life of the process.
int take_instance_lock(const std::string& state_dir, std::string& error) {
  if (auto e = diagnosis::ensure_directory(state_dir); !e.empty()) {
    error = e;
    return -1;
  }
  std::string path = state_dir + "/latchwatch.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
  if (fd < 0) {
    error = path + ": " + std::strerror(errno);
    return -1;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    error = "another latchwatch run already uses " + state_dir + " (" + path + " is locked)";
    ::close(fd);
    return -1;
  }
  return fd;
}

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
  char buffer[256] = {};
  ::gethostname(buffer, sizeof buffer - 1);
  return buffer;
}

/// The sinks and the metrics endpoint for one configuration.
struct Outputs {
  std::shared_ptr<reporting::MetricsText> metrics_text = std::make_shared<reporting::MetricsText>();
  std::unique_ptr<reporting::MetricsServer> metrics_server;
  std::unique_ptr<reporting::Dispatcher> dispatcher;

  explicit Outputs(const Config& config) {
    if (config.metrics_enabled) {
      net::Endpoint listen;
      std::string error;
      if (!net::parse_endpoint(config.metrics_listen, listen, error, true)) {
        spdlog::error("metrics endpoint off: sinks.metrics.listen {}", error);
      } else {
        try {
          metrics_server = std::make_unique<reporting::MetricsServer>(listen, metrics_text);
          spdlog::info("metrics on http://{}/metrics", metrics_server->endpoint().to_string());
        } catch (const std::exception& e) {
          spdlog::error("metrics endpoint off: {}", e.what());  // degraded, not fatal
        }
      }
    }
    dispatcher = std::make_unique<reporting::Dispatcher>(build_sinks(config, metrics_text));
  }
  void stop(SteadyClock::time_point deadline) {
    dispatcher->stop(deadline);
    metrics_server.reset();
  }
};

}  // namespace

int run_daemon(const ConfigLoader& load) {
  Config config;
  if (auto error = load(config); !error.empty()) {
    spdlog::error("{}", error);
    return 3;
  }
  SignalWatch signals;
  std::string lock_error;
  int lock_fd = take_instance_lock(config.sources.state_dir, lock_error);
  if (lock_fd < 0) {
    spdlog::error("{}", lock_error);
    return 3;
  }
  auto outputs = std::make_unique<Outputs>(config);
  DebounceState state = load_debounce(config.sources.state_dir);
  std::mt19937 random(std::random_device{}());
  const std::string host = host_name();
  spdlog::info("latchwatch {} running: every {} s (+ up to {} s jitter), state in {}",
               LATCHWATCH_VERSION, config.interval_s, config.jitter_s, config.sources.state_dir);

  CycleTrigger trigger(config, [&signals] { signals.wake(); });
  bool startup_pages_released = false;
  for (;;) {
    const auto cycle_start = SteadyClock::now();
    trigger.cycle_started();
    Config cycle_config = config;
    cycle_config.sources.probes.cancel = &signals.stop_flag();
    reporting::CycleReport cycle;
    cycle.started = std::chrono::system_clock::now();
    cycle.report = run_check_cycle(cycle_config, cycle.started);
    cycle.finished = std::chrono::system_clock::now();
    if (signals.stop_flag()) break;  // an interrupted cycle is not reported

    const DebounceState before = state;
    Step step = debounce(state, cycle.report.verdict.code, config.debounce_cycles);
    trigger.cycle_finished(step.pending);
    // Saved (durably) when the decision changes, not every cycle: the cycle counter alone may
    // lag after a restart, the debounce never does.
    if (state.reported != before.reported || state.has_reported != before.has_reported ||
        state.candidate != before.candidate || state.candidate_cycles != before.candidate_cycles) {
      if (auto error = diagnosis::write_file_atomically(debounce_path(config.sources.state_dir),
                                                        nlohmann::json(state).dump() + "\n", 0640);
          !error.empty())
        spdlog::warn("debounce state not saved: {}", error);
    }
    cycle.cycle = state.cycle;
    cycle.transition = to_string(step.transition);
    cycle.has_confirmed = step.has_confirmed;
    cycle.confirmed = step.confirmed;
    cycle.has_previous = step.has_previous;
    cycle.previous = step.previous;
    cycle.pending = step.pending;
    cycle.host = host;
    cycle.sinks_health = reporting::to_json(outputs->dispatcher->health());
    outputs->dispatcher->submit(std::move(cycle));
    // Start-up is over once a cycle has run: from here on the resident set is the cycle's own.
    if (!startup_pages_released) {
      startup_pages_released = true;
      release_startup_pages();
    }

    auto jitter = std::chrono::milliseconds(
        config.jitter_s > 0 ? std::uniform_int_distribution<long>(0, config.jitter_s * 1000L)(random) : 0);
    const auto interval = config.interval_ms > 0 ? std::chrono::milliseconds(config.interval_ms)
                                                  : std::chrono::milliseconds(config.interval_s * 1000L);
    if (signals.wait_until(cycle_start + interval + jitter)) break;
    if (signals.take_reload()) {
      Config fresh;
      if (auto error = load(fresh); !error.empty()) {
        spdlog::error("config reload failed, keeping the running config: {}", error);
      } else if (fresh.sources.state_dir != config.sources.state_dir) {
        spdlog::error("config reload: paths.state_dir cannot change while running; kept {}",
                      config.sources.state_dir);
      } else {
        spdlog::info("config reloaded");
        outputs->stop(SteadyClock::now() + kShutdownBudget);
        config = fresh;
        outputs = std::make_unique<Outputs>(config);
        trigger.reconfigure(config);
      }
    }
  }
  spdlog::info("stopping: flushing sinks");
  if (!outputs->dispatcher->drain(SteadyClock::now() + kShutdownBudget)) {
    // A sink is stuck in a delivery: leave now rather than overrun the stop budget. Nothing is
    // lost: undelivered webhook reports stay in the spool, and Alertmanager alerts are re-sent.
    spdlog::warn("a sink is still delivering; exiting without waiting for it");
    spdlog::shutdown();
    ::_exit(0);
  }
  outputs->stop(SteadyClock::now() + kShutdownBudget);
  ::close(lock_fd);
  return 0;
}

}  // namespace latchwatch::agent
