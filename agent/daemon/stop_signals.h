#pragma once
/// Where the daemon's stop and reload requests come from, behind one seam.
///
/// POSIX: SIGTERM and SIGINT stop, SIGHUP reloads, taken with sigwait on a thread of their own
/// (the three are blocked in the constructing thread before any other thread starts, so every
/// thread inherits the mask).
/// Windows: Ctrl+C, Ctrl+Break, closing the console, log-off and shut-down (SetConsoleCtrlHandler)
/// stop; under the service manager, the service control handler's STOP and SHUTDOWN stop and
/// PARAMCHANGE reloads, through `deliver_control_request`.
///
/// One StopSignals lives at a time (the run loop's). `on_request` is called from another thread
/// (the signal thread, the console handler's thread or the service control handler); it must not
/// block. A request that arrives while no StopSignals exists (the service manager said STOP
/// before the loop started) is kept and delivered when the next one is constructed.

#include <functional>
#include <memory>

namespace latchwatch::agent {

enum class ControlRequest { stop, reload };

class StopSignals {
 public:
  explicit StopSignals(std::function<void(ControlRequest)> on_request);
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// Hands `request` to the current StopSignals as if the platform had sent it (the Windows service
/// control handler's way in; on POSIX it raises SIGTERM or SIGHUP for the process).
void deliver_control_request(ControlRequest request);

/// Called just before `leave_now` ends the process (the Windows service reports itself stopped,
/// so the service manager does not take the exit for a crash). Empty by default.
void set_before_leave(std::function<void()> hook);

/// Ends the process at once with `exit_code`, without running destructors (a sink stuck past the
/// stop budget), after the `set_before_leave` hook.
[[noreturn]] void leave_now(int exit_code);

}  // namespace latchwatch::agent
