#pragma once
/// The daemon's event trigger: a thread that watches GPA's key folder and status file
/// (GpaFileWatch), feeds TriggerPolicy, and calls `wake` when the policy says a cycle is due,
/// which ends the run loop's wait so a cycle starts at once. The timer keeps running as before;
/// a triggered cycle simply comes first and the timer restarts from it.
///
/// The run loop tells it when each cycle starts and ends (whether a key verdict is pending);
/// `cycle_started` also re-tries watches that could not be set (the folder did not exist yet).
/// With `daemon.trigger.enabled` false, or without inotify, every call does nothing and the
/// timer alone drives cycles.
///
/// Thread-safety: the public calls are made from the run loop's thread; the watcher thread and
/// those calls share one mutex. `wake` is called from the watcher thread.

#include <functional>
#include <memory>
#include <mutex>
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
  ~CycleTrigger();
  CycleTrigger(const CycleTrigger&) = delete;
  CycleTrigger& operator=(const CycleTrigger&) = delete;

  void cycle_started();
  void cycle_finished(bool key_verdict_pending);
  /// After a configuration reload: new paths and limits (the watch starts over).
  void reconfigure(const Config& config);

 private:
  void start(const Config& config);
  void stop();
  void watch_loop();
  void nudge();
  void observe_armed(GpaFileWatch::Armed armed, TriggerPolicy::Time now);
  void log_watch_state();

  std::function<void()> wake_;
  const Clock* clock_;
  std::mutex mutex_;
  std::unique_ptr<GpaFileWatch> watch_;
  std::unique_ptr<TriggerPolicy> policy_;
  bool fired_ = false;  ///< wake called; reset when the cycle starts
  bool stopping_ = false;
  std::string logged_state_;  ///< last watch state logged, so each change is logged once
  bool logged_ = false;
  int nudge_fd_ = -1;  ///< eventfd: stop, or re-read the policy's deadline
  std::thread thread_;
};

}  // namespace latchwatch::agent
