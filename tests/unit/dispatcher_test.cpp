#include "reporting/dispatcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

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
    return {};
  }
  std::vector<std::uint64_t> cycles() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return cycles_;
  }

 private:
  mutable std::mutex mutex_;
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
  Dispatcher dispatcher(std::move(sinks), 2);
  dispatcher.submit(cycle(1));
  gate_ptr->wait_entered();  // the worker is stuck in cycle 1
  for (std::uint64_t n = 2; n <= 5; ++n) dispatcher.submit(cycle(n));  // returns at once
  EXPECT_EQ(dispatcher.health()[1].dropped, 2u) << "cycles 2 and 3 were dropped, oldest first";
  gate_ptr->open();
  ASSERT_TRUE(dispatcher.drain(std::chrono::steady_clock::now() + 10s));
  EXPECT_EQ(seen->cycles(), (std::vector<std::uint64_t>{1, 4, 5}));
}

}  // namespace
}  // namespace latchwatch::reporting
