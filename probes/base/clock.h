#pragma once
/// The clock seam: everything that waits, backs off, re-sends or times out asks a `Clock` for
/// the time instead of calling `now()` itself, so tests drive it with a manual clock and never
/// sleep. `steady_now()` is for intervals and deadlines (never jumps); `system_now()` is for
/// timestamps only (a resumed VM's wall clock may jump).
///
/// Thread-safety: implementations must be callable from any thread.

#include <chrono>

namespace latchwatch {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::steady_clock::time_point steady_now() const = 0;
  virtual std::chrono::system_clock::time_point system_now() const = 0;
};

/// The process's real clocks.
class RealClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::now();
  }
  std::chrono::system_clock::time_point system_now() const override {
    return std::chrono::system_clock::now();
  }
};

/// One shared real clock (stateless), the default wherever a clock is optional.
inline const Clock& real_clock() {
  static const RealClock clock;
  return clock;
}

}  // namespace latchwatch
