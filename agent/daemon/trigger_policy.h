#pragma once
/// When a change on the VM's disk starts a probe cycle before the timer does: a pure state
/// machine fed what the file watcher saw and when cycles ran, answering "when is the next
/// triggered cycle due". No clock inside: every input carries its time (a steady-clock time
/// point), so tests drive it with any time they like and the daemon with the real clock.
///
/// What counts (domain brief §3–§4):
/// - the set of key-file names in GPA's key folder differs from the set when the last cycle
///   started (a `{guid}.key` deleted, created or renamed in or out; the folder vanishing counts
///   as an empty set). GPA replacing a key file by rename leaves the set alone and starts nothing;
/// - status.json's relevant content (keyLatchStatus status/message, states.keyGuid,
///   states.keyIncarnationId, states.secureChannelState) differs from the content when the last
///   cycle started. GPA rewrites the file every 60 s (`ProxyAgentStatusTask::new(60 s)` in
///   proxy_agent/src/provision.rs, 1.0.25–1.0.47) with a fresh timestamp: that starts nothing.
///
/// Rate limits (so a flapping file cannot turn the agent into load on the fabric):
/// - quiet window: a change triggers only once the watched files have been quiet for `min_gap`
///   (every further change restarts the window, so a file that keeps flapping never triggers,
///   and a change that is undone inside the window starts nothing);
/// - spacing: a triggered cycle starts no sooner than `min_gap` after the previous cycle began;
///   every change inside that window is covered by the one cycle;
/// - budget: every cycle the trigger starts (change-triggered or confirmation) spends a token from
///   a bucket holding `max_per_hour`, refilled at `max_per_hour` per hour; with no token the
///   cycle waits (and the timer cycle usually covers it first). So the timer's cycles are never
///   joined by more than `max_per_hour` extra cycles at once, then one per 60/max_per_hour min.
///
/// Confirmation: a cycle that ends with a key verdict still pending (debounce) arms a
/// confirmation cycle at GPA's next status write or `confirm_after` (GPA's key poll interval,
/// `pollKeyStatusIntervalInSeconds` 15 in proxy_agent/config/GuestProxyAgent.linux.json)
/// after the cycle, whichever comes first, instead of waiting for the next timer cycle. At most
/// `debounce_cycles - 1` confirmations run back to back, each spending a token like a change.
///
/// Key-folder events are cheap to note and costly to follow (a listing reads the whole folder):
/// the watcher only notes them (`key_folder_touched`), and lists the folder once it has been
/// quiet for `min_gap` (`listing_due`) or when a cycle starts, however many events came.
///
/// Thread-safety: none; the owner (CycleTrigger) serialises calls.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace latchwatch::agent {

struct TriggerSettings {
  bool enabled = true;
  std::chrono::seconds min_gap{5};
  int max_per_hour = 3;
  std::chrono::seconds confirm_after{15};
  int debounce_cycles = 2;
};

/// Why a cycle is due.
enum class TriggerReason { none, change, confirm };
const char* to_string(TriggerReason r);

/// Key-file names in the folder (sorted), or nullopt when the folder is gone or unreadable.
using KeyNames = std::optional<std::vector<std::string>>;

class TriggerPolicy {
 public:
  using Time = std::chrono::steady_clock::time_point;

  TriggerPolicy(TriggerSettings settings, Time now);

  /// The key folder as listed after an event (or when a watch is set: then the same view again
  /// changes nothing).
  /// After `key_folder_touched`, the change (if the names differ) dates from the last touch.
  void key_folder_seen(Time now, KeyNames names);
  /// A key-file name came or went, or the folder itself did: not listed yet (see listing_due).
  void key_folder_touched(Time now);
  /// True from a touch until the next `key_folder_seen`.
  bool keys_dirty() const { return keys_dirty_; }
  /// When a touched folder is to be listed: once it has been quiet for min_gap; nullopt when
  /// not touched. The owner lists it then (once) and calls key_folder_seen.
  std::optional<Time> listing_due() const;
  /// status.json's relevant content after an event; `written` when GPA wrote the file (as
  /// opposed to deleting it).
  void status_file_seen(Time now, const std::string& fingerprint, bool written);

  /// A cycle begins now: it sees every change so far.
  void cycle_started(Time now);
  /// The cycle ended; `key_verdict_pending` when its key verdict waits for confirmation.
  void cycle_finished(Time now, bool key_verdict_pending);

  /// When the next triggered cycle should begin (possibly already past), or nullopt when nothing
  /// is waiting. Never while a cycle runs, never before the first cycle.
  std::optional<Time> due() const;
  TriggerReason due_reason() const;

  /// Change-triggered cycles so far (for logs and tests).
  int triggered_cycles() const { return triggered_; }
  int confirm_cycles() const { return confirms_; }
  double tokens(Time now) const;

 private:
  bool changed() const;
  std::optional<Time> change_due() const;
  std::optional<Time> confirm_due() const;
  std::optional<Time> token_due() const;
  void refill(Time now);

  TriggerSettings settings_;
  KeyNames keys_now_;
  KeyNames keys_at_cycle_;
  bool keys_known_ = false;
  bool keys_dirty_ = false;
  Time key_touch_{};
  std::string status_now_;
  std::string status_at_cycle_;
  bool status_known_ = false;
  std::optional<Time> last_change_;
  std::optional<Time> last_cycle_start_;
  bool in_cycle_ = false;
  double tokens_ = 0;
  Time tokens_at_;
  bool confirm_armed_ = false;
  Time confirm_since_{};
  std::optional<Time> status_written_since_arm_;
  int confirm_chain_ = 0;  ///< confirmation cycles in a row
  int triggered_ = 0;
  int confirms_ = 0;
};

}  // namespace latchwatch::agent
