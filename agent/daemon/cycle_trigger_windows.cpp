// CycleTrigger's waits on Windows (the shared half is cycle_trigger.cpp): the watcher thread waits
// on GpaFileWatch's event (both folders' overlapped ReadDirectoryChangesW reads signal it) and on
// an auto-reset "nudge" event with WaitForMultipleObjects, bounded by the policy's next deadline
// and by kMaxWait; stop() sets the nudge, so it never waits for the bound. The nudge is kept in
// `nudge_fd_` as HandleToLong (kernel handles are 32-bit values on 64-bit Windows; LongToHandle
// gives it back).

#include <windows.h>

#include "agent/daemon/cycle_trigger.h"

namespace latchwatch::agent {
namespace {

HANDLE as_handle(int value) { return LongToHandle(static_cast<long>(value)); }

}  // namespace

std::string CycleTrigger::open_nudge() {
  HANDLE nudge = ::CreateEventW(nullptr, FALSE, FALSE, nullptr);
  if (nudge && HandleToLong(nudge) >= 0) {
    nudge_fd_ = static_cast<int>(HandleToLong(nudge));
    return {};
  }
  if (nudge) ::CloseHandle(nudge);
  return "CreateEvent failed";
}

void CycleTrigger::close_nudge() {
  if (nudge_fd_ >= 0) ::CloseHandle(as_handle(nudge_fd_));
  nudge_fd_ = -1;
}

bool CycleTrigger::rearm_each_cycle() { return true; }

void CycleTrigger::nudge() {
  if (nudge_fd_ < 0) return;
  ::SetEvent(as_handle(nudge_fd_));
}

void CycleTrigger::watch_loop() {
  for (;;) {
    const Step step = next_step();
    if (step.stop) return;
    if (step.fire) {
      fire(step.reason);
      continue;
    }
    const DWORD timeout_ms = static_cast<DWORD>(step.wait ? step.wait->count() : kMaxWait.count());
    const HANDLE handles[2] = {as_handle(watch_->fd()), as_handle(nudge_fd_)};
    const DWORD woke = ::WaitForMultipleObjects(2, handles, FALSE, timeout_ms);
    if (woke == WAIT_FAILED) {
      stopped_waiting("WaitForMultipleObjects failed");
      return;
    }
    // The nudge is auto-reset (consumed by the wait); the watch's event is reset by
    // read_events. Either way the policy's deadline is read again at the top of the loop.
    if (woke == WAIT_OBJECT_0) take_events();
  }
}

}  // namespace latchwatch::agent
