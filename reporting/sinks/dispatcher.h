#pragma once
/// Fans each cycle out to every sink, each on a worker thread of its own (a "lane": a bounded
/// queue and one thread), so a stuck sink delays nobody else and probing never waits on any.
/// Each sink's failure is counted, logged once per change of its error, and shows in `health()`,
/// as does a delivery that has run longer than `stall_after` (the sink is then reported down
/// while it lasts). When a lane falls behind, its oldest undelivered cycle is dropped and
/// counted; sinks that promise to keep everything (the webhook) did so in `Sink::accept`.
///
/// Stopping never waits past its deadline: `retire` hands the lanes over to their own threads,
/// which finish what is queued until the deadline and then end on their own (a publish in
/// progress is interrupted and ends within the sink's own deadline).
///
/// Thread-safety: every member may be called from any thread.

#include <chrono>
#include <memory>
#include <vector>

#include "probes/base/clock.h"
#include "reporting/sinks/sink.h"

namespace latchwatch::reporting {

struct DispatcherOptions {
  std::size_t queue_limit = 16;                  ///< per sink
  std::chrono::milliseconds stall_after{10000};  ///< a longer publish shows as stalled
  const Clock* clock = &real_clock();
};

class Dispatcher {
 public:
  explicit Dispatcher(std::vector<std::unique_ptr<Sink>> sinks, DispatcherOptions options = {});
  ~Dispatcher();  ///< retire(now + 1 s): never blocks
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  /// Gives the cycle to every sink's `accept`, then queues it on each lane; never waits on a
  /// publish.
  void submit(const CycleReport& report);
  /// Waits (real time) until every lane is idle or `deadline` passes; true if all drained.
  bool drain(std::chrono::steady_clock::time_point deadline);
  /// The same for one sink (by its place in the list given to the constructor).
  bool drain_sink(std::size_t index, std::chrono::steady_clock::time_point deadline);
  /// Stops taking work; each lane delivers what it holds until `deadline` (real steady time),
  /// then ends by itself. Returns at once.
  void retire(std::chrono::steady_clock::time_point deadline);

  std::vector<SinkHealth> health() const;

  /// Waits until every lane thread in the process (retired ones included) has ended, or
  /// `deadline`. When false at exit, the process must leave with _exit rather than run static
  /// destructors under a thread still delivering.
  static bool wait_all_ended(std::chrono::steady_clock::time_point deadline);

 private:
  struct Lane;
  std::vector<std::shared_ptr<Lane>> lanes_;
  DispatcherOptions options_;
};

}  // namespace latchwatch::reporting
