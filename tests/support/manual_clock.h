#pragma once
/// A clock tests move by hand: time stands still until `advance`, so intervals, backoff,
/// resend and stall bounds are tested without sleeping. `auto_step` makes every steady_now()
/// call move time on by that much (for code that polls until a deadline).

#include <atomic>
#include <chrono>

#include "probes/base/clock.h"

namespace latchwatch::testing {

class ManualClock final : public latchwatch::Clock {
 public:
  explicit ManualClock(std::chrono::milliseconds auto_step = std::chrono::milliseconds(0))
      : auto_step_(auto_step.count()) {}
  std::chrono::steady_clock::time_point steady_now() const override {
    auto ms = steady_ms_.fetch_add(auto_step_);
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(ms));
  }
  std::chrono::system_clock::time_point system_now() const override {
    return std::chrono::system_clock::time_point(
        std::chrono::milliseconds(1'800'000'000'000LL + steady_ms_.load()));
  }
  void advance(std::chrono::milliseconds by) { steady_ms_ += by.count(); }

 private:
  mutable std::atomic<long long> steady_ms_{1'000'000};
  long long auto_step_;
};

}  // namespace latchwatch::testing
