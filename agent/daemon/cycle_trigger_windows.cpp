// CycleTrigger on Windows: the POSIX twin's logic (cycle_trigger_posix.cpp, the shared deciding
// half in trigger_feed.h) with Windows waits. The watcher thread waits on GpaFileWatch's event
// (both folders' overlapped ReadDirectoryChangesW reads signal it) and on an auto-reset "nudge"
// event with WaitForMultipleObjects, bounded by the policy's next deadline and by kMaxWaitMs;
// stop() sets the nudge, so it never waits for the bound. The nudge is kept in `nudge_fd_` as
// HandleToLong (kernel handles are 32-bit values on 64-bit Windows; LongToHandle gives it back).

#include <windows.h>

#include <spdlog/spdlog.h>

#include <algorithm>

#include "agent/daemon/cycle_trigger.h"
#include "agent/daemon/trigger_feed.h"

namespace latchwatch::agent {
namespace {

/// Upper bound of one wait, so a clock oddity can never park the watcher for long.
constexpr DWORD kMaxWaitMs = 60 * 1000;

HANDLE as_handle(int value) { return LongToHandle(static_cast<long>(value)); }

}  // namespace

CycleTrigger::CycleTrigger(const Config& config, std::function<void()> wake, const Clock& clock)
    : CycleTrigger(config, std::move(wake), clock, InotifyCalls{}) {}

CycleTrigger::CycleTrigger(const Config& config, std::function<void()> wake, const Clock& clock,
                           InotifyCalls)  // inotify's calls: Linux only
    : wake_(std::move(wake)), clock_(&clock) {
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
  watch_ = std::make_unique<GpaFileWatch>(config.sources.key_dir, config.sources.status_file);
  watch_failures_ = 0;
  state_.clear();
  open_watch(now);
}

/// With the watch's event there (watch_->fd() >= 0): sets the watches, takes their first view as
/// the baseline and starts the watcher thread. Otherwise the trigger is unavailable until the
/// backoff's next attempt. Called with mutex_ held.
bool CycleTrigger::open_watch(TriggerPolicy::Time now) {
  std::string why = watch_->fd() < 0 ? watch_->error() : "";
  if (why.empty() && nudge_fd_ < 0) {
    HANDLE nudge = ::CreateEventW(nullptr, FALSE, FALSE, nullptr);
    if (nudge && HandleToLong(nudge) >= 0)
      nudge_fd_ = static_cast<int>(HandleToLong(nudge));
    else if (nudge)
      ::CloseHandle(nudge);
    if (nudge_fd_ < 0) why = "CreateEvent failed";
  }
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
  if (nudge_fd_ >= 0) ::CloseHandle(as_handle(nudge_fd_));
  nudge_fd_ = -1;
  watch_.reset();
  policy_.reset();
}

void CycleTrigger::reconfigure(const Config& config) {
  stop();
  start(config);
}

void CycleTrigger::nudge() {
  if (nudge_fd_ < 0) return;
  ::SetEvent(as_handle(nudge_fd_));
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
    // The watch's event was unavailable: a fresh attempt once the backoff has run out.
    if (now >= retry_at_) {
      watch_ = std::make_unique<GpaFileWatch>(watch_->key_dir(), watch_->status_file());
      open_watch(now);
    }
  } else {
    GpaFileWatch::Armed armed;
    if (!watch_->unwatched_reason().empty() && now >= retry_at_) {
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

void CycleTrigger::watch_loop() {
  for (;;) {
    DWORD timeout_ms = INFINITE;
    bool fire = false;
    TriggerReason reason = TriggerReason::none;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
      const auto now = clock_->steady_now();
      // A touched key folder is listed here, once, when its listing is due: never per event.
      settle(*watch_, *policy_, {}, now, false);
      if (auto due = policy_->due(); due && !fired_ && *due <= now) {
        fire = true;
        fired_ = true;
        reason = policy_->due_reason();
      } else if (auto next = next_look(*policy_, fired_)) {
        auto ms = std::chrono::ceil<std::chrono::milliseconds>(*next - now).count();
        timeout_ms = static_cast<DWORD>(std::clamp<long long>(ms, 0, kMaxWaitMs));
      }
    }
    if (fire) {
      spdlog::info("{}: starting a cycle now", reason == TriggerReason::confirm
                                                   ? "confirming a pending key verdict"
                                                   : "GPA's key folder or status changed");
      wake_();
      continue;
    }
    if (timeout_ms == INFINITE) timeout_ms = kMaxWaitMs;
    const HANDLE handles[2] = {as_handle(watch_->fd()), as_handle(nudge_fd_)};
    const DWORD woke = ::WaitForMultipleObjects(2, handles, FALSE, timeout_ms);
    if (woke == WAIT_FAILED) {
      std::lock_guard<std::mutex> lock(mutex_);
      state_ = "unavailable (WaitForMultipleObjects failed)";
      spdlog::warn("file trigger {}: the timer alone starts cycles", state_);
      return;
    }
    // The nudge is auto-reset (consumed by the wait); the watch's event is reset by
    // read_events. Either way the policy's deadline is read again at the top of the loop.
    if (woke == WAIT_OBJECT_0) {
      std::lock_guard<std::mutex> lock(mutex_);
      const auto events = watch_->read_events();
      const auto now = clock_->steady_now();
      feed_events(*watch_, *policy_, events, now);
      log_watch_state();
    }
  }
}

}  // namespace latchwatch::agent
