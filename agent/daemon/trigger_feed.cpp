#include "agent/daemon/trigger_feed.h"

#include <algorithm>

namespace latchwatch::agent {

void feed_events(GpaFileWatch& watch, TriggerPolicy& policy, const GpaFileWatch::Events& events,
                 TriggerPolicy::Time now) {
  if (events.key_folder) policy.key_folder_touched(now);
  if (events.status_written || events.status_gone)
    policy.status_file_seen(now, watch.status_fingerprint(), events.status_written);
}

void settle(GpaFileWatch& watch, TriggerPolicy& policy, GpaFileWatch::Armed armed,
            TriggerPolicy::Time now, bool cycle_starting) {
  const bool key_watched = watch.key_folder_watched();
  const auto listing = policy.listing_due();
  const bool listing_now = policy.keys_dirty() && (cycle_starting || (listing && *listing <= now));
  if (armed.key_folder || listing_now || (cycle_starting && !key_watched))
    policy.key_folder_seen(now, key_watched ? watch.key_names() : std::nullopt);
  if (armed.status || (cycle_starting && !watch.status_watched()))
    policy.status_file_seen(now, watch.status_watched() ? watch.status_fingerprint() : "unwatched",
                            false);
}

std::optional<TriggerPolicy::Time> next_look(const TriggerPolicy& policy, bool fired) {
  std::optional<TriggerPolicy::Time> next = fired ? std::nullopt : policy.due();
  if (auto listing = policy.listing_due()) next = next ? std::min(*next, *listing) : *listing;
  return next;
}

std::chrono::seconds watch_retry_delay(int failures) {
  constexpr std::chrono::seconds kFirst{60};
  constexpr std::chrono::seconds kMost{3600};
  std::chrono::seconds delay = kFirst;
  for (int i = 1; i < failures && delay < kMost; ++i) delay *= 2;
  return std::min(delay, kMost);
}

}  // namespace latchwatch::agent
