// The file trigger's shared half: the watch's lifecycle, the re-tries on the clock's backoff, the
// state it logs, and the watcher's decisions (next_step, take_events). The platform files hold
// only the waits: cycle_trigger_posix.cpp (poll on inotify and an eventfd) and
// cycle_trigger_windows.cpp (WaitForMultipleObjects on the folder reads' event and a nudge event).

#include "agent/daemon/cycle_trigger.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "agent/daemon/trigger_feed.h"

namespace latchwatch::agent {

TriggerSettings trigger_settings(const Config& config) {
  TriggerSettings s;
  s.enabled = config.trigger_enabled;
  s.min_gap = std::chrono::seconds(config.trigger_min_gap_s);
  s.max_per_hour = config.trigger_max_per_hour;
  s.confirm_after = std::chrono::seconds(config.trigger_confirm_after_s);
  s.debounce_cycles = config.debounce_cycles;
  return s;
}

CycleTrigger::CycleTrigger(const Config& config, std::function<void()> wake, const Clock& clock)
    : CycleTrigger(config, std::move(wake), clock, InotifyCalls{}) {}

CycleTrigger::CycleTrigger(const Config& config, std::function<void()> wake, const Clock& clock,
                           InotifyCalls calls)
    : wake_(std::move(wake)), clock_(&clock), calls_(std::move(calls)) {
  start(config);
}

CycleTrigger::~CycleTrigger() { stop(); }

void CycleTrigger::start(const Config& config) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!config.trigger_enabled) {
    state_ = "off (daemon.trigger.enabled false)";
    spdlog::info("file trigger off (daemon.trigger.enabled false): the timer alone starts cycles");
    return;
  }
  const auto now = clock_->steady_now();
  policy_ = std::make_unique<TriggerPolicy>(trigger_settings(config), now);
  watch_ =
      std::make_unique<GpaFileWatch>(config.sources.key_dir, config.sources.status_file, calls_);
  watch_failures_ = 0;
  state_.clear();
  open_watch(now);
}

/// With the watch there (watch_->fd() >= 0: inotify, or on Windows the folder reads' event) and
/// the nudge made: sets the watches, takes their first view as the baseline and starts the
/// watcher thread. Otherwise the trigger is unavailable until the backoff's next attempt. Called
/// with mutex_ held.
bool CycleTrigger::open_watch(TriggerPolicy::Time now) {
  std::string why = watch_->fd() < 0 ? watch_->error() : "";
  if (why.empty() && nudge_fd_ < 0) why = open_nudge();
  if (!why.empty()) {
    ++watch_failures_;
    const auto delay = watch_retry_delay(watch_failures_);
    retry_at_ = now + delay;
    const std::string state = "unavailable (" + why + ")";
    if (state != state_)
      spdlog::warn("file trigger {}: the timer alone starts cycles; re-trying in {} s", state,
                   delay.count());
    state_ = state;
    return false;
  }
  stopping_ = false;
  fired_ = false;
  const auto armed = watch_->arm();
  note_watch_attempt(now);
  settle(*watch_, *policy_, armed, now, true);
  log_watch_state();
  thread_ = std::thread([this] { watch_loop(); });
  return true;
}

void CycleTrigger::stop() {
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    nudge();
    thread_.join();
  }
  close_nudge();
  watch_.reset();
  policy_.reset();
}

void CycleTrigger::reconfigure(const Config& config) {
  stop();
  start(config);
}

/// After arm(): a watch that could not be set (missing folder, ENOSPC) is re-tried at the first
/// cycle after the backoff (and at once when its folder appears). Called with mutex_ held.
void CycleTrigger::note_watch_attempt(TriggerPolicy::Time now) {
  if (watch_->unwatched_reason().empty()) {
    watch_failures_ = 0;
    return;
  }
  ++watch_failures_;
  retry_at_ = now + watch_retry_delay(watch_failures_);
}

/// Logs the watch state when it changed. Called with mutex_ held.
void CycleTrigger::log_watch_state() {
  const std::string reason = watch_->unwatched_reason();
  if (reason.empty()) watch_failures_ = 0;
  const std::string state = reason.empty() ? "watching " + watch_->key_dir() +
                                                 " (names only) and " + watch_->status_file()
                                           : "not watching (" + reason + ")";
  if (state == state_) return;
  state_ = state;
  if (reason.empty())
    spdlog::info("{}: a change starts a cycle at once", state);
  else
    spdlog::info("{}: the timer covers it; re-trying when the folder appears, and at cycles",
                 state);
}

void CycleTrigger::cycle_started() {
  if (!policy_ || !watch_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  const auto now = clock_->steady_now();
  if (!thread_.joinable()) {
    // The watch was unavailable (inotify: EMFILE, ...): a fresh attempt once the backoff ran out.
    if (now >= retry_at_) {
      watch_ = std::make_unique<GpaFileWatch>(watch_->key_dir(), watch_->status_file(), calls_);
      open_watch(now);
    }
  } else {
    GpaFileWatch::Armed armed;
    if (!watch_->unwatched_reason().empty() && (now >= retry_at_ || rearm_each_cycle())) {
      armed = watch_->arm();
      note_watch_attempt(now);
    }
    settle(*watch_, *policy_, armed, now, true);
    log_watch_state();
  }
  policy_->cycle_started(now);
  fired_ = false;
  nudge();
}

void CycleTrigger::cycle_finished(bool key_verdict_pending) {
  if (!policy_ || !watch_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  policy_->cycle_finished(clock_->steady_now(), key_verdict_pending);
  nudge();
}

CycleTrigger::Step CycleTrigger::next_step() {
  std::lock_guard<std::mutex> lock(mutex_);
  Step step;
  if (stopping_) {
    step.stop = true;
    return step;
  }
  const auto now = clock_->steady_now();
  // A touched key folder is listed here, once, when its listing is due: never per event.
  settle(*watch_, *policy_, {}, now, false);
  if (auto due = policy_->due(); due && !fired_ && *due <= now) {
    step.fire = true;
    fired_ = true;
    step.reason = policy_->due_reason();
  } else if (auto next = next_look(*policy_, fired_)) {
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(*next - now).count();
    step.wait = std::chrono::milliseconds(std::clamp<long long>(ms, 0, kMaxWait.count()));
  }
  return step;
}

void CycleTrigger::fire(TriggerReason reason) {
  spdlog::info("{}: starting a cycle now", reason == TriggerReason::confirm
                                               ? "confirming a pending key verdict"
                                               : "GPA's key folder or status changed");
  wake_();
}

void CycleTrigger::take_events() {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto events = watch_->read_events();
  feed_events(*watch_, *policy_, events, clock_->steady_now());
  log_watch_state();
}

void CycleTrigger::stopped_waiting(const std::string& why) {
  std::lock_guard<std::mutex> lock(mutex_);
  state_ = "unavailable (" + why + ")";
  spdlog::warn("file trigger {}: the timer alone starts cycles", state_);
}

}  // namespace latchwatch::agent
