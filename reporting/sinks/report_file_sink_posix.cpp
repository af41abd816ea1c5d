// append_history_line on Linux: O_APPEND without following a link, ftruncate back on a
// partial write.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "probes/os/atomic_file.h"
#include "reporting/sinks/report_file_sink.h"

namespace latchwatch::reporting {

std::string append_history_line(const std::string& history, const std::string& line,
                                std::uint64_t max_bytes) {
  if (auto error = latchwatch::probes::refuse_symlinks(history); !error.empty()) return error;
  struct stat st {};
  if (::lstat(history.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<std::uint64_t>(st.st_size) >= max_bytes)
    ::rename(history.c_str(), (history + ".1").c_str());  // keeps one generation
  int fd = ::open(history.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
  if (fd < 0) return history + ": " + std::strerror(errno);
  // Where this line starts, in the file actually open (after any rotation).
  struct stat opened {};
  if (::fstat(fd, &opened) != 0) {
    int saved = errno;
    ::close(fd);
    return history + ": " + std::strerror(saved);
  }
  ssize_t written = ::write(fd, line.data(), line.size());
  int saved = errno;
  if (written != static_cast<ssize_t>(line.size())) {
    // A partial line would corrupt the history for readers: cut it back off.
    if (written > 0 && ::ftruncate(fd, opened.st_size) != 0) {
    }
    ::close(fd);
    return history + ": " + std::strerror(written < 0 ? saved : ENOSPC);
  }
  ::close(fd);
  return {};
}

}  // namespace latchwatch::reporting
