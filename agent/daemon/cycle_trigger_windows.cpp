// CycleTrigger on Windows: the POSIX twin's logic (cycle_trigger_posix.cpp) with Windows waits.
// The watcher thread waits on GpaFileWatch's event (both folders' overlapped reads signal it)
// and on an auto-reset "nudge" event with WaitForMultipleObjects, bounded by the policy's next
// deadline and by kMaxWaitMs; stop() sets the nudge, so it never waits for the bound.
// The nudge is kept in `nudge_fd_` as HandleToLong (kernel handles are 32-bit values on 64-bit
// Windows; LongToHandle gives it back).

#include <windows.h>

#include <spdlog/spdlog.h>

#include <algorithm>

#include "agent/daemon/cycle_trigger.h"

namespace latchwatch::agent {
namespace {

/// Upper bound of one wait, so a clock oddity can never park the watcher for long.
constexpr DWORD kMaxWaitMs = 60 * 1000;

HANDLE as_handle(int value) { return LongToHandle(static_cast<long>(value)); }

}  // namespace

CycleTrigger::CycleTrigger(const Config& config, std::function<void()> wake, const Clock& clock)
    : wake_(std::move(wake)), clock_(&clock) {
  start(config);
}

CycleTrigger::~CycleTrigger() { stop(); }

void CycleTrigger::start(const Config& config) {
  if (!config.trigger_enabled) {
    spdlog::info("file trigger off (daemon.trigger.enabled false): the timer alone starts cycles");
    return;
  }
  const auto now = clock_->steady_now();
  watch_ = std::make_unique<GpaFileWatch>(config.sources.key_dir, config.sources.status_file);
  policy_ = std::make_unique<TriggerPolicy>(trigger_settings(config), now);
  if (watch_->fd() < 0) {
    spdlog::warn("file trigger off ({}): the timer alone starts cycles", watch_->error());
    watch_.reset();
    return;
  }
  HANDLE nudge = ::CreateEventW(nullptr, FALSE, FALSE, nullptr);
  if (!nudge || HandleToLong(nudge) < 0) {
    if (nudge) ::CloseHandle(nudge);
    spdlog::warn("file trigger off (CreateEvent failed): the timer alone starts cycles");
    watch_.reset();
    return;
  }
  nudge_fd_ = static_cast<int>(HandleToLong(nudge));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = false;
    fired_ = false;
    observe_armed(watch_->arm(), now);
    log_watch_state();
  }
  thread_ = std::thread([this] { watch_loop(); });
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
  logged_ = false;
  start(config);
}

void CycleTrigger::nudge() {
  if (nudge_fd_ < 0) return;
  ::SetEvent(as_handle(nudge_fd_));
}

/// A watch just set: its first view is the baseline, not a change.
void CycleTrigger::observe_armed(GpaFileWatch::Armed armed, TriggerPolicy::Time now) {
  if (armed.key_folder || !watch_->key_folder_watched())
    policy_->key_folder_seen(now,
                             watch_->key_folder_watched() ? watch_->key_names() : std::nullopt);
  if (armed.status || !watch_->status_watched())
    policy_->status_file_seen(
        now, watch_->status_watched() ? watch_->status_fingerprint() : "unwatched", false);
}

void CycleTrigger::log_watch_state() {
  std::string state = watch_->unwatched_reason();
  if (logged_ && state == logged_state_) return;
  logged_ = true;
  if (state.empty())
    spdlog::info("watching {} (names only) and {}: a change starts a cycle at once",
                 watch_->key_dir(), watch_->status_file());
  else
    spdlog::info("not watching ({}): the timer covers it; re-trying each cycle", state);
  logged_state_ = state;
}

void CycleTrigger::cycle_started() {
  if (!policy_ || !watch_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  const auto now = clock_->steady_now();
  observe_armed(watch_->arm(), now);
  log_watch_state();
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
    DWORD timeout_ms = kMaxWaitMs;
    bool fire = false;
    TriggerReason reason = TriggerReason::none;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
      const auto now = clock_->steady_now();
      if (auto due = policy_->due(); due && !fired_) {
        if (*due <= now) {
          fire = true;
          fired_ = true;
          reason = policy_->due_reason();
        } else {
          auto ms = std::chrono::ceil<std::chrono::milliseconds>(*due - now).count();
          timeout_ms = static_cast<DWORD>(std::clamp<long long>(ms, 0, kMaxWaitMs));
        }
      }
    }
    if (fire) {
      spdlog::info("{}: starting a cycle now", reason == TriggerReason::confirm
                                                   ? "confirming a pending key verdict"
                                                   : "GPA's key folder or status changed");
      wake_();
      continue;
    }
    const HANDLE handles[2] = {as_handle(watch_->fd()), as_handle(nudge_fd_)};
    const DWORD woke = ::WaitForMultipleObjects(2, handles, FALSE, timeout_ms);
    if (woke == WAIT_FAILED) {
      spdlog::warn(
          "file trigger stopped (WaitForMultipleObjects failed): the timer alone starts "
          "cycles");
      return;
    }
    // The nudge is auto-reset (consumed by the wait); the watch's event is reset by
    // read_events. Either way the policy's deadline is read again at the top of the loop.
    if (woke == WAIT_OBJECT_0) {
      std::lock_guard<std::mutex> lock(mutex_);
      const auto events = watch_->read_events();
      const auto now = clock_->steady_now();
      if (events.key_folder) policy_->key_folder_seen(now, watch_->key_names());
      if (events.status_written || events.status_gone)
        policy_->status_file_seen(now, watch_->status_fingerprint(), events.status_written);
      log_watch_state();
    }
  }
}

}  // namespace latchwatch::agent
