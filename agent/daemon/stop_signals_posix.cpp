#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <thread>

#include "agent/daemon/stop_signals.h"

namespace latchwatch::agent {

struct StopSignals::State {
  sigset_t set;
  std::atomic<bool> done{false};
  std::function<void(ControlRequest)> on_request;
  std::thread thread;

  void watch() {
    for (;;) {
      int signal = 0;
      if (sigwait(&set, &signal) != 0) continue;
      if (done) return;
      on_request(signal == SIGHUP ? ControlRequest::reload : ControlRequest::stop);
    }
  }
};

StopSignals::StopSignals(std::function<void(ControlRequest)> on_request) : state_(new State) {
  state_->on_request = std::move(on_request);
  sigemptyset(&state_->set);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&state_->set, s);
  // Blocked in this thread before any other starts, so every thread inherits the mask.
  pthread_sigmask(SIG_BLOCK, &state_->set, nullptr);
  state_->thread = std::thread([state = state_.get()] { state->watch(); });
}

StopSignals::~StopSignals() {
  state_->done = true;
  pthread_kill(state_->thread.native_handle(), SIGHUP);  // wakes sigwait
  state_->thread.join();
}

void deliver_control_request(ControlRequest request) {
  ::kill(::getpid(), request == ControlRequest::reload ? SIGHUP : SIGTERM);
}

}  // namespace latchwatch::agent
