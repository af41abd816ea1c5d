#include "reporting/sinks/serial_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "reporting/sinks/log_sink.h"

namespace latchwatch::reporting {

PublishResult SerialSink::publish(const CycleReport& report) {
  if (report.transition == Transition::unchanged) return {};
  std::string line = "latchwatch: " + transition_line(report, 160) + "\r\n";
  // Never block the dispatcher on a console nobody drains.
  int fd = ::open(device_.c_str(), O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENXIO) {  // a FIFO with no reader: nobody is listening, drop it
      ++dropped_;
      return {};
    }
    return PublishResult::failure(device_ + ": " + std::strerror(errno));
  }
  ssize_t n = ::write(fd, line.data(), line.size());
  int saved = errno;
  ::close(fd);
  if ((n < 0 && (saved == EAGAIN || saved == EWOULDBLOCK)) ||
      (n >= 0 && n < static_cast<ssize_t>(line.size()))) {
    ++dropped_;  // full (or filled part-way): the line is dropped, never waited for
    return {};
  }
  if (n != static_cast<ssize_t>(line.size()))
    return PublishResult::failure(device_ + ": " + std::strerror(n < 0 ? saved : EIO));
  return {};
}

}  // namespace latchwatch::reporting
