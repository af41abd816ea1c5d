#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "agent/daemon/cycle_trigger.h"

namespace latchwatch::agent {

std::string CycleTrigger::open_nudge() {
  nudge_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  return nudge_fd_ < 0 ? std::string("eventfd: ") + std::strerror(errno) : std::string();
}

void CycleTrigger::close_nudge() {
  if (nudge_fd_ >= 0) ::close(nudge_fd_);
  nudge_fd_ = -1;
}

bool CycleTrigger::rearm_each_cycle() { return false; }

void CycleTrigger::nudge() {
  if (nudge_fd_ < 0) return;
  std::uint64_t one = 1;
  // A full counter (never in practice) still leaves the descriptor readable: nothing is lost.
  [[maybe_unused]] auto n = ::write(nudge_fd_, &one, sizeof one);
}

void CycleTrigger::watch_loop() {
  for (;;) {
    const Step step = next_step();
    if (step.stop) return;
    if (step.fire) {
      fire(step.reason);
      continue;
    }
    const int timeout_ms = step.wait ? static_cast<int>(step.wait->count()) : -1;
    pollfd fds[2] = {{watch_->fd(), POLLIN, 0}, {nudge_fd_, POLLIN, 0}};
    if (::poll(fds, 2, timeout_ms) < 0 && errno != EINTR) {
      stopped_waiting(std::string("poll: ") + std::strerror(errno));
      return;
    }
    if (fds[1].revents & POLLIN) {
      std::uint64_t count = 0;
      [[maybe_unused]] auto n = ::read(nudge_fd_, &count, sizeof count);
    }
    if (fds[0].revents & POLLIN) take_events();
  }
}

}  // namespace latchwatch::agent
