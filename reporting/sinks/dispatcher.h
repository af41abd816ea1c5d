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
/// A reload does not start threads: `replace_sinks` hands each new sink to the lane of the same
/// name (its thread stays; a publish in progress by the old sink is interrupted), parks the
/// lanes no longer configured (their thread waits for a sink of that name again), so sink
/// threads never outnumber the kinds of sink, however many reloads come while a receiver hangs.
/// At most `kMaxSinkThreads` lane threads live in the process; a sink past that budget, or one
/// whose thread cannot start, is reported down and delivers nothing (probing goes on).
///
/// Thread-safety: every member may be called from any thread.

#include <chrono>
#include <memory>
#include <vector>

#include "probes/base/clock.h"
#include "reporting/sinks/sink.h"

namespace latchwatch::reporting {

/// Lane threads per process: one per kind of sink (kvp, serial, log, eventlog, report_file,
/// metrics, alertmanager, webhook) plus headroom. packaging/systemd/latchwatch.service's
/// TasksMax leaves room for these and the daemon's other threads (kDaemonOtherThreads).
constexpr int kMaxSinkThreads = 10;
/// The main loop, the signal watcher, the file trigger and the metrics server.
constexpr int kDaemonOtherThreads = 4;
/// Short-lived: the resolver thread of each HTTP exchange in flight (a cycle's probes, the
/// Alertmanager and the webhook deliveries), with margin.
constexpr int kTransientThreads = 6;

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
  /// A reload: each sink goes to the lane of the same name (queue kept, no new thread); lanes
  /// whose sink is not in `sinks` deliver what they hold until `deadline` and then wait,
  /// parked, without a sink. Returns at once.
  void replace_sinks(std::vector<std::unique_ptr<Sink>> sinks,
                     std::chrono::steady_clock::time_point deadline, DispatcherOptions options);

  std::vector<SinkHealth> health() const;

  /// Waits until every lane thread in the process (retired ones included) has ended, or
  /// `deadline`. When false at exit, the process must leave with _exit rather than run static
  /// destructors under a thread still delivering.
  static bool wait_all_ended(std::chrono::steady_clock::time_point deadline);
  /// Lane threads alive in the process now (retired ones included).
  static int threads_alive();

 private:
  struct Lane;
  std::shared_ptr<Lane> start_lane(std::unique_ptr<Sink> sink);
  std::vector<std::shared_ptr<Lane>> lanes_;   ///< active lanes, in the order given
  std::vector<std::shared_ptr<Lane>> parked_;  ///< lanes without a sink since a reload
  DispatcherOptions options_;
};

}  // namespace latchwatch::reporting
