#pragma once
/// Fans each cycle out to every sink on a worker thread of its own, so probing never waits on a
/// slow sink. Each sink is called separately; a failure is counted, logged once per change of
/// its error (not once per cycle), and shows in `health()`. The queue is bounded: when sinks fall
/// behind, the oldest undelivered cycle is dropped and counted.
///
/// Thread-safety: submit, health and stop may be called from any thread.

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "reporting/sink.h"

namespace latchwatch::reporting {

struct SinkHealth {
  std::string name;
  std::uint64_t successes = 0;
  std::uint64_t failures = 0;
  std::uint64_t dropped = 0;  ///< cycles this sink never saw because the queue overflowed
  bool up = true;             ///< the last publish succeeded
  std::string last_error;
  nlohmann::json extra;  ///< the sink's own health()
};

nlohmann::json to_json(const std::vector<SinkHealth>& health);

class Dispatcher {
 public:
  explicit Dispatcher(std::vector<std::unique_ptr<Sink>> sinks, std::size_t queue_limit = 16);
  ~Dispatcher();  ///< stop()
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  /// Queues a cycle; returns at once.
  void submit(CycleReport report);
  /// Waits until everything queued has been published (or `deadline` passes); true if drained.
  bool drain(std::chrono::steady_clock::time_point deadline);
  /// Drains until `deadline`, then stops the worker.
  void stop(std::chrono::steady_clock::time_point deadline);

  std::vector<SinkHealth> health() const;

 private:
  void work();

  std::vector<std::unique_ptr<Sink>> sinks_;
  std::size_t queue_limit_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<CycleReport> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::vector<SinkHealth> health_;
  std::thread worker_;
};

}  // namespace latchwatch::reporting
