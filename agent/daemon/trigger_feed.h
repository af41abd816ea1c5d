#pragma once
/// What the file trigger's watcher does with what it read, apart from waiting: CycleTrigger's
/// thread waits (poll), these decide. Portable; they use GpaFileWatch's interface only.
///
/// Key-folder events are only noted (TriggerPolicy::key_folder_touched): a listing reads every
/// entry of the folder, so it happens once per trigger decision (the folder quiet for min_gap,
/// or a cycle starting), never once per event, however many events a rename flood queues.
///
/// Thread-safety: none; CycleTrigger calls them under its mutex.

#include <chrono>
#include <optional>

#include "agent/daemon/gpa_file_watch.h"
#include "agent/daemon/trigger_policy.h"

namespace latchwatch::agent {

/// Feeds what `GpaFileWatch::read_events` returned to the policy, without listing the folder.
void feed_events(GpaFileWatch& watch, TriggerPolicy& policy, const GpaFileWatch::Events& events,
                 TriggerPolicy::Time now);

/// Brings the policy's view of the files up to date where a decision needs it: the watches
/// `armed` just set (their first view is the baseline), a touched key folder whose listing is due,
/// and, when `cycle_starting`, a touched folder in any case and the unwatched sides.
void settle(GpaFileWatch& watch, TriggerPolicy& policy, GpaFileWatch::Armed armed,
            TriggerPolicy::Time now, bool cycle_starting);

/// When the watcher has to look again without an event: the policy's due time (unless a wake was
/// already sent for it) or a pending listing, whichever is first; nullopt: only an event.
std::optional<TriggerPolicy::Time> next_look(const TriggerPolicy& policy, bool fired);

/// The wait before re-trying inotify after `failures` failed attempts in a row (inotify_init1 or
/// a watch refused, e.g. EMFILE or ENOSPC): 60 s, doubling, at most an hour. The attempts are
/// made when a cycle starts, on the daemon's clock.
std::chrono::seconds watch_retry_delay(int failures);

}  // namespace latchwatch::agent
