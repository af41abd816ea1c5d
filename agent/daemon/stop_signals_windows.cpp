#include <windows.h>

#include <mutex>
#include <optional>

#include "agent/daemon/stop_signals.h"

namespace latchwatch::agent {
namespace {

/// The one StopSignals's callback, and a request that came before any StopSignals existed.
/// Requests are delivered under this mutex, so the destructor never races a late one.
std::mutex g_mutex;
std::function<void(ControlRequest)>* g_current = nullptr;
std::optional<ControlRequest> g_pending;

/// Set when the current StopSignals ends (the daemon has flushed and is returning); one for the
/// process, never closed, so a console handler still waiting on it never holds a stale handle.
HANDLE ended_event() {
  static HANDLE event = ::CreateEventW(nullptr, TRUE, TRUE, nullptr);
  return event;
}

/// How long a console close or system shut-down waits for the daemon to flush (Windows ends the
/// process when the handler returns, and gives a handler 5 s at most for these events).
constexpr DWORD kCloseWaitMs = 2000;

BOOL WINAPI on_console_event(DWORD event) {
  switch (event) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT:
      deliver_control_request(ControlRequest::stop);
      return TRUE;
    case CTRL_CLOSE_EVENT:
    case CTRL_SHUTDOWN_EVENT:
      deliver_control_request(ControlRequest::stop);
      if (HANDLE ended = ended_event()) ::WaitForSingleObject(ended, kCloseWaitMs);
      return TRUE;
    default:
      // CTRL_LOGOFF_EVENT: a user logging off must not stop a service; the default handler
      // ignores it for services and ends a console run, as on POSIX a hang-up of its terminal.
      return FALSE;
  }
}

}  // namespace

struct StopSignals::State {
  std::function<void(ControlRequest)> on_request;
};

StopSignals::StopSignals(std::function<void(ControlRequest)> on_request) : state_(new State) {
  state_->on_request = std::move(on_request);
  if (HANDLE ended = ended_event()) ::ResetEvent(ended);
  std::optional<ControlRequest> pending;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_current = &state_->on_request;
    pending.swap(g_pending);
    if (pending) state_->on_request(*pending);
  }
  ::SetConsoleCtrlHandler(on_console_event, TRUE);
}

StopSignals::~StopSignals() {
  ::SetConsoleCtrlHandler(on_console_event, FALSE);
  std::lock_guard<std::mutex> lock(g_mutex);
  g_current = nullptr;
  if (HANDLE ended = ended_event()) ::SetEvent(ended);
}

void deliver_control_request(ControlRequest request) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_current) {
    (*g_current)(request);
    return;
  }
  if (!g_pending || request == ControlRequest::stop) g_pending = request;  // a stop wins
}

}  // namespace latchwatch::agent
