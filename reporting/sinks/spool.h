#pragma once
/// The durable spool of the sinks that promise to keep what they accepted (the webhook, the blob
/// drop box): each entry is a JSON object written atomically to DIR/<sequence>.json, delivered in
/// sequence order, removed once delivered; what cannot be delivered stays for later, across
/// restarts. Bounded: past `max_entries` the oldest entries are dropped and counted. A corrupt
/// entry is set aside as <name>.corrupt (kept for a person), never delivered, never fatal.
///
/// An entry that cannot be written (a full disk, a read-only or missing folder) is not dropped
/// (issue 26): it is kept in memory, bounded like the spool, counted as not durable, and delivered
/// after the spooled ones; it moves to the spool, in order, as soon as the folder takes files
/// again.
///
/// Retries back off by the injected clock (1 s doubling up to 5 minutes, `retry_delay`); `flush`
/// stops at the first failure, or once interrupted (between deliveries), so a stop never waits on
/// more than the delivery in flight. The folder is never a symlink (spool_files.h).
///
/// Thread-safety: `enqueue` (the daemon's thread) and `flush`/`health` (the sink's lane) may run
/// at once; `flush` itself is called from one thread at a time.

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "probes/base/clock.h"
#include "reporting/sinks/sink.h"

namespace latchwatch::reporting {

/// The delay before retry number `attempt` (1-based): 1 s doubling up to 5 minutes.
std::chrono::seconds retry_delay(int attempt);

/// A random RFC 4122 version 4 uuid, lower case.
std::string new_uuid();

class Spool {
 public:
  /// `what` names the spool in errors ("webhook spool"); `required` are the string members an
  /// entry must have to be delivered (others are set aside as corrupt).
  Spool(std::string what, std::string dir, std::size_t max_entries, const Clock& clock,
        std::vector<std::string> required);

  /// Writes one entry (an object) durably before returning: empty, or an error sentence when it
  /// could only be kept in memory (not durable, still delivered).
  std::string enqueue(const nlohmann::json& entry);

  using Deliver = std::function<PublishResult(const nlohmann::json& entry)>;
  /// Delivers the entries oldest first through `deliver`, after the backoff.
  PublishResult flush(const Deliver& deliver, const std::atomic<bool>& interrupted);

  /// True while a failed delivery's backoff has not run out.
  bool backing_off() const;
  /// {"spool_entries", "memory_only_entries", "not_durable", "spool_dropped", "spool_corrupt"}.
  nlohmann::json health() const;

 private:
  std::vector<std::string> entries(std::string* error = nullptr) const;  ///< paths, oldest first
  std::string write_entry(const nlohmann::json& entry);                  ///< under mutex_
  /// After a delivery: back off (failure) or reset the backoff (success). Under mutex_.
  void note_attempt(bool ok);

  std::string what_;
  std::string dir_;
  std::size_t max_entries_;
  const Clock* clock_;
  std::vector<std::string> required_;
  mutable std::mutex mutex_;  ///< enqueue against flush
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> corrupt_{0};
  std::atomic<std::uint64_t> not_durable_{0};  ///< entries that were never in the spool
  std::vector<nlohmann::json> memory_only_;    ///< not spooled yet, oldest first; under mutex_
  int attempt_ = 0;
  std::chrono::steady_clock::time_point next_attempt_{};
};

}  // namespace latchwatch::reporting
