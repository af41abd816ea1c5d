// Windows: GpaFileWatch has no watch here (gpa_file_watch_windows.cpp), so the trigger says so
// once and every call does nothing: the timer alone drives cycles, as on Linux without inotify.

#include <spdlog/spdlog.h>

#include "agent/daemon/cycle_trigger.h"

namespace latchwatch::agent {

CycleTrigger::CycleTrigger(const Config& config, std::function<void()> wake, const Clock& clock)
    : wake_(std::move(wake)), clock_(&clock) {
  start(config);
}

CycleTrigger::~CycleTrigger() = default;

void CycleTrigger::start(const Config& config) {
  if (logged_) return;  // once per process, reloads included
  logged_ = true;
  if (!config.trigger_enabled) {
    state_ = "off (daemon.trigger.enabled false)";
    spdlog::info("file trigger off (daemon.trigger.enabled false): the timer alone starts cycles");
    return;
  }
  GpaFileWatch watch(config.sources.key_dir, config.sources.status_file);
  state_ = "unavailable (" + watch.error() + ")";
  spdlog::warn("file trigger off ({}): the timer alone starts cycles", watch.error());
}

void CycleTrigger::reconfigure(const Config& config) { start(config); }

void CycleTrigger::cycle_started() {}

void CycleTrigger::cycle_finished(bool) {}

}  // namespace latchwatch::agent
