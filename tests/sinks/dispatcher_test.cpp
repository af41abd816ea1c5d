#include "reporting/sinks/dispatcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "tests/support/manual_clock.h"

namespace latchwatch::reporting {
namespace {

using namespace std::chrono_literals;

/// Records what it was given, in order.
class RecordingSink : public Sink {
 public:
  std::string name() const override { return "recording"; }
  PublishResult publish(const CycleReport& report) override {
    std::lock_guard<std::mutex> lock(mutex_);
    cycles_.push_back(report.cycle);
    cv_.notify_all();
    return {};
  }
  std::vector<std::uint64_t> cycles() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return cycles_;
  }
  /// Waits (on an event, with a generous deadline) until cycle `n` arrived.
  bool wait_for(std::uint64_t n) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, std::chrono::seconds(30),
                        [&] { return !cycles_.empty() && cycles_.back() == n; });
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::uint64_t> cycles_;
};

class FailingSink : public Sink {
 public:
  std::string name() const override { return "failing"; }
  PublishResult publish(const CycleReport&) override { return PublishResult::failure("down"); }
};

class ThrowingSink : public Sink {
 public:
  std::string name() const override { return "throwing"; }
  PublishResult publish(const CycleReport&) override { throw std::runtime_error("bug"); }
};

/// Blocks in publish until released: a sink stuck on a dead endpoint.
class GateSink : public Sink {
 public:
  std::string name() const override { return "gate"; }
  PublishResult publish(const CycleReport&) override {
    std::unique_lock<std::mutex> lock(mutex_);
    entered_ = true;
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_; });
    return {};
  }
  void wait_entered() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return entered_; });
  }
  void open() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool entered_ = false;
  bool open_ = false;
};

CycleReport cycle(std::uint64_t n) {
  CycleReport r;
  r.cycle = n;
  return r;
}

TEST(Dispatcher, AFailingOrThrowingSinkNeverStopsTheOthers) {
  auto recording = std::make_unique<RecordingSink>();
  auto* seen = recording.get();
  std::vector<std::unique_ptr<Sink>> sinks;
  sinks.push_back(std::make_unique<FailingSink>());
  sinks.push_back(std::make_unique<ThrowingSink>());
  sinks.push_back(std::move(recording));
  Dispatcher dispatcher(std::move(sinks));
  for (std::uint64_t n = 1; n <= 3; ++n) dispatcher.submit(cycle(n));
  ASSERT_TRUE(dispatcher.drain(std::chrono::steady_clock::now() + 10s));
  EXPECT_EQ(seen->cycles(), (std::vector<std::uint64_t>{1, 2, 3}));
  auto health = dispatcher.health();
  EXPECT_FALSE(health[0].up);
  EXPECT_EQ(health[0].failures, 3u);
  EXPECT_EQ(health[0].last_error, "down");
  EXPECT_FALSE(health[1].up);
  EXPECT_NE(health[1].last_error.find("bug"), std::string::npos);
  EXPECT_TRUE(health[2].up);
  EXPECT_EQ(health[2].successes, 3u);
  auto json = to_json(health);
  EXPECT_FALSE(json["failing"]["up"].get<bool>());
}

TEST(Dispatcher, SubmitNeverWaitsForAStuckSinkAndDropsTheOldestPastTheLimit) {
  auto gate = std::make_unique<GateSink>();
  auto* gate_ptr = gate.get();
  auto recording = std::make_unique<RecordingSink>();
  auto* seen = recording.get();
  std::vector<std::unique_ptr<Sink>> sinks;
  sinks.push_back(std::move(gate));
  sinks.push_back(std::move(recording));
  DispatcherOptions options;
  options.queue_limit = 2;
  Dispatcher dispatcher(std::move(sinks), options);
  dispatcher.submit(cycle(1));
  gate_ptr->wait_entered();  // the gate's worker is stuck in cycle 1
  for (std::uint64_t n = 2; n <= 5; ++n) dispatcher.submit(cycle(n));  // returns at once
  // The other sink has its own worker: it got up to the last cycle while the gate was stuck
  // (its own small queue may have dropped some on the way, counted).
  EXPECT_TRUE(seen->wait_for(5));
  EXPECT_EQ(seen->cycles().size() + dispatcher.health()[1].dropped, 5u);
  EXPECT_EQ(dispatcher.health()[0].dropped, 2u) << "the gate's cycles 2 and 3, oldest first";
  gate_ptr->open();
  ASSERT_TRUE(dispatcher.drain(std::chrono::steady_clock::now() + 30s));
}

TEST(Dispatcher, AStuckSinkShowsAsStalledOnceItsBoundPassesByTheInjectedClock) {
  testing::ManualClock clock;
  auto gate = std::make_unique<GateSink>();
  auto* gate_ptr = gate.get();
  std::vector<std::unique_ptr<Sink>> sinks;
  sinks.push_back(std::move(gate));
  sinks.push_back(std::make_unique<RecordingSink>());
  DispatcherOptions options;
  options.stall_after = 10s;
  options.clock = &clock;
  Dispatcher dispatcher(std::move(sinks), options);
  dispatcher.submit(cycle(1));
  gate_ptr->wait_entered();
  // The recording sink has delivered and is idle: only the gate's publish is in progress.
  ASSERT_TRUE(dispatcher.drain_sink(1, std::chrono::steady_clock::now() + 30s));
  clock.advance(9s);
  auto health = dispatcher.health();
  EXPECT_FALSE(health[0].stalled);
  EXPECT_TRUE(health[0].up);
  EXPECT_DOUBLE_EQ(health[0].busy_seconds, 9.0);
  clock.advance(2s);
  health = dispatcher.health();
  EXPECT_TRUE(health[0].stalled);
  EXPECT_FALSE(health[0].up) << "a stalled sink is reported down while it lasts";
  EXPECT_NE(health[0].last_error.find("in progress"), std::string::npos);
  auto json = to_json(health);
  EXPECT_TRUE(json["gate"]["stalled"].get<bool>());
  EXPECT_FALSE(json["recording"]["stalled"].get<bool>());
  gate_ptr->open();
  ASSERT_TRUE(dispatcher.drain(std::chrono::steady_clock::now() + 30s));
  health = dispatcher.health();
  EXPECT_FALSE(health[0].stalled);
  EXPECT_TRUE(health[0].up);
  EXPECT_EQ(health[0].busy_seconds, 0.0);
}

/// Counts accept() calls: what the dispatcher hands over before any worker runs.
class KeepingSink : public GateSink {
 public:
  std::string name() const override { return "keeping"; }
  PublishResult accept(const CycleReport& report) override {
    kept.push_back(report.cycle);
    return {};
  }
  std::vector<std::uint64_t> kept;  // accept runs on the submitting thread only
};

TEST(Dispatcher, AcceptRunsOnSubmitEvenWhileTheSinkIsStuckAndRetireNeverWaits) {
  auto keeping = std::make_unique<KeepingSink>();
  auto* sink = keeping.get();
  std::vector<std::unique_ptr<Sink>> sinks;
  sinks.push_back(std::move(keeping));
  auto dispatcher = std::make_unique<Dispatcher>(std::move(sinks));
  dispatcher->submit(cycle(1));
  sink->wait_entered();
  dispatcher->submit(cycle(2));
  dispatcher->submit(cycle(3));
  EXPECT_EQ(sink->kept, (std::vector<std::uint64_t>{1, 2, 3})) << "kept before any delivery";
  // Retiring (a reload, a stop) returns at once although the sink is stuck in a delivery.
  dispatcher->retire(std::chrono::steady_clock::now());
  dispatcher.reset();
  EXPECT_FALSE(Dispatcher::wait_all_ended(std::chrono::steady_clock::now()));
  sink->open();  // the delivery ends; the retired lane drops what it still held, and ends
  EXPECT_TRUE(Dispatcher::wait_all_ended(std::chrono::steady_clock::now() + 30s));
}

}  // namespace
}  // namespace latchwatch::reporting
