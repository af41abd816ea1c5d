#pragma once
/// The daemon's event trigger: a thread that watches GPA's key folder and status file
/// (GpaFileWatch), feeds TriggerPolicy, and calls `wake` when the policy says a cycle is due,
/// which ends the run loop's wait so a cycle starts at once. The timer keeps running as before;
/// a triggered cycle simply comes first and the timer restarts from it.
///
/// The run loop tells it when each cycle starts and ends (whether a key verdict is pending);
/// `cycle_started` also re-tries, on the clock's backoff (watch_retry_delay in trigger_feed.h),
/// inotify itself when it was unavailable (EMFILE, ...) and watches that could not be set (the
/// folder did not exist yet, ENOSPC). With `daemon.trigger.enabled` false every call does
/// nothing; until inotify works the timer alone drives cycles, and `state()` says why.
///
/// Thread-safety: the public calls are made from the run loop's thread; the watcher thread and
/// those calls share one mutex. `wake` is called from the watcher thread.

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "agent/config/config.h"
#include "agent/daemon/gpa_file_watch.h"
#include "agent/daemon/trigger_policy.h"
#include "probes/base/clock.h"

namespace latchwatch::agent {

TriggerSettings trigger_settings(const Config& config);

class CycleTrigger {
 public:
  /// `clock`: the steady time the policy is fed (the daemon's clock; tests pass a manual one).
  CycleTrigger(const Config& config, std::function<void()> wake, const Clock& clock = real_clock());
  /// The same, with inotify's calls through `calls` (Linux tests make attempts fail; Windows
  /// ignores them).
  CycleTrigger(const Config& config, std::function<void()> wake, const Clock& clock,
               InotifyCalls calls);
  ~CycleTrigger();
  CycleTrigger(const CycleTrigger&) = delete;
  CycleTrigger& operator=(const CycleTrigger&) = delete;

  void cycle_started();
  void cycle_finished(bool key_verdict_pending);
  /// After a configuration reload: new paths and limits (the watch starts over).
  void reconfigure(const Config& config);
  /// What the trigger does now, as logged: "watching ...", "not watching (why)", "unavailable
  /// (why)" or "off (...)".
  std::string state() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return state_;
  }

 private:
  /// One turn of the watcher thread, decided under the mutex: stop, fire now, or wait (for at
  /// most `wait`, or until an event or a nudge when empty).
  struct Step {
    bool stop = false;
    bool fire = false;
    TriggerReason reason = TriggerReason::none;
    std::optional<std::chrono::milliseconds> wait;
  };
  /// Upper bound of one wait, so a clock oddity can never park the watcher for long.
  static constexpr std::chrono::milliseconds kMaxWait{60 * 1000};

  void start(const Config& config);
  void stop();
  Step next_step();
  void fire(TriggerReason reason);
  void take_events();                            ///< an event is ready: feed it to the policy
  void stopped_waiting(const std::string& why);  ///< the wait itself failed: the timer alone
  // The platform halves (cycle_trigger_posix.cpp, cycle_trigger_windows.cpp):
  void watch_loop();
  std::string open_nudge();  ///< an error sentence, or empty
  void close_nudge();
  void nudge();
  /// Whether a watch that could not be set is re-tried at every cycle (Windows: nothing watches
  /// the parent for the folder's return, and a retry is one CreateFile) rather than on the backoff
  /// (Linux: the parent's watch re-arms it the moment the folder is back).
  static bool rearm_each_cycle();
  void log_watch_state();
  bool open_watch(TriggerPolicy::Time now);
  void note_watch_attempt(TriggerPolicy::Time now);

  std::function<void()> wake_;
  const Clock* clock_;
  mutable std::mutex mutex_;
  InotifyCalls calls_;
  std::string state_;       ///< see state(); each change is logged once
  int watch_failures_ = 0;  ///< failed attempts in a row (inotify or a watch)
  TriggerPolicy::Time retry_at_{};
  std::unique_ptr<GpaFileWatch> watch_;
  std::unique_ptr<TriggerPolicy> policy_;
  bool fired_ = false;  ///< wake called; reset when the cycle starts
  bool stopping_ = false;
  bool logged_ = false;
  int nudge_fd_ = -1;  ///< eventfd: stop, or re-read the policy's deadline
  std::thread thread_;
};

}  // namespace latchwatch::agent
