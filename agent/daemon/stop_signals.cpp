#include "agent/daemon/stop_signals.h"

#include <cstdlib>
#include <mutex>
#include <utility>

namespace latchwatch::agent {
namespace {

std::mutex& hook_mutex() {
  static std::mutex mutex;
  return mutex;
}

std::function<void()>& before_leave() {
  static std::function<void()> hook;
  return hook;
}

}  // namespace

void set_before_leave(std::function<void()> hook) {
  std::lock_guard<std::mutex> lock(hook_mutex());
  before_leave() = std::move(hook);
}

void leave_now(int exit_code) {
  std::function<void()> hook;
  {
    std::lock_guard<std::mutex> lock(hook_mutex());
    hook = before_leave();
  }
  if (hook) hook();
  std::_Exit(exit_code);
}

}  // namespace latchwatch::agent
