#pragma once
/// Sinks: where each cycle's report goes. One job, `publish`; failure is a value, never an
/// exception; a sink never blocks another (the dispatcher gives each sink a worker of its own).

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "reporting/report/report.h"
#include "reporting/report/transition.h"

namespace latchwatch::reporting {

/// How one sink is doing, as the dispatcher counts it (typed; the sink's own extras in `extra`).
struct SinkHealth {
  std::string name;
  std::uint64_t successes = 0;
  std::uint64_t failures = 0;
  std::uint64_t dropped = 0;  ///< cycles this sink never saw because its queue overflowed
  bool up = true;             ///< the last publish succeeded and none is stalled now
  bool stalled = false;       ///< a publish has run for longer than `stall_after`
  double busy_seconds = 0;    ///< how long the publish in progress has run (0 when idle)
  std::size_t queued = 0;     ///< cycles waiting for this sink
  std::string last_error;
  nlohmann::json extra;  ///< the sink's own health()
};

nlohmann::json to_json(const std::vector<SinkHealth>& health);

/// One cycle as the sinks receive it: the report, the daemon's typed decision (`Decision`'s
/// fields), and the sinks' health after the previous cycle.
struct CycleReport : Decision {
  latchwatch::Report report;
  std::uint64_t cycle = 0;
  std::string host;
  std::chrono::system_clock::time_point started{};
  std::chrono::system_clock::time_point finished{};
  std::vector<SinkHealth> sinks_health;  ///< from the previous cycle

  /// True while a debounced key verdict is the confirmed one.
  bool key_alert_firing() const { return has_confirmed && latchwatch::is_key_verdict(confirmed); }
};

/// The daemon's versioned report document: `check --json` plus host, version, cycle, times,
/// transition, the debounced verdict and the sinks' health.
nlohmann::json cycle_document(const CycleReport& report);

/// What leaves the VM for the owner (webhook body, CloudEvent `data`, blob): the cycle document
/// plus, when the verdict needs a key reset, its `reset_ticket` (docs/formats/) carrying
/// `delivery_id` (empty: null).
nlohmann::json outward_document(const CycleReport& report, const std::string& delivery_id);

/// JSON text of untrusted content: invalid UTF-8 (a path, a name from outside) becomes U+FFFD
/// instead of throwing. Every dump of a report, plan or config goes through this.
std::string dump_json(const nlohmann::json& j, int indent = -1);

struct PublishResult {
  bool ok = true;
  std::string error;  ///< for a person; never carries a secret
  static PublishResult failure(std::string why) { return {false, std::move(why)}; }
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual std::string name() const = 0;
  /// Called on the submitting thread before the report is queued, for a sink that promises to
  /// keep what it was given (the webhook spools it here). Quick, local, never the network.
  virtual PublishResult accept(const CycleReport&) { return {}; }
  /// Delivers one report, on the sink's own worker. Bounded by the sink's own deadline; never
  /// throws.
  virtual PublishResult publish(const CycleReport& report) = 0;
  /// Asks a publish in progress to give up at its next safe point (between deliveries), from
  /// another thread; the daemon calls it when it stops or replaces the sink.
  virtual void interrupt() {}
  /// Extra health facts for metrics (e.g. a spool's size); empty by default.
  virtual nlohmann::json health() const { return nlohmann::json::object(); }
};

}  // namespace latchwatch::reporting
