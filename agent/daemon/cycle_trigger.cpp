#include "agent/daemon/cycle_trigger.h"

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

}  // namespace latchwatch::agent
