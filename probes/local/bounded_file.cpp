#include "probes/local/bounded_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "probes/payloads/json_limits.h"

namespace latchwatch::probes {
namespace {

constexpr std::size_t kChunk = 16 * 1024;

/// Closes the descriptor on every return path.
class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  ~FdGuard() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

FileRead failure(ReadState state, std::string error) {
  FileRead result;
  result.state = state;
  result.error = std::move(error);
  return result;
}

/// open() failed with `error`: name the state. ELOOP also comes from too many symlinks in the
/// directories above, so lstat tells whether the file itself is the symlink we refused.
FileRead open_failure(const std::string& path, int error) {
  switch (error) {
    case ENOENT:
    case ENOTDIR: return failure(ReadState::missing, path + ": " + std::strerror(error));
    case EACCES:
    case EPERM: return failure(ReadState::permission_denied, path + ": " + std::strerror(error));
    case ELOOP: {
      struct stat st {};
      if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
        return failure(ReadState::error, path + ": is a symbolic link; not followed");
      return failure(ReadState::error, path + ": " + std::strerror(error));
    }
    default: return failure(ReadState::error, path + ": " + std::strerror(error));
  }
}

/// Reads until EOF or until more than `limit` bytes arrived. Files in /proc report size 0, and a
/// regular file may grow after fstat, so the size from fstat is not trusted for the read.
bool read_at_most(int fd, std::size_t limit, std::string& content, int& error) {
  char buffer[kChunk];
  while (content.size() <= limit) {
    std::size_t want = std::min(sizeof buffer, limit + 1 - content.size());
    ssize_t n = ::read(fd, buffer, want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = errno;
      return false;
    }
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

FileRead read_bounded_file(const std::string& path, std::size_t limit) {
  // O_NONBLOCK: opening a FIFO with no writer must not hang; O_NOFOLLOW: no planted symlinks.
  FdGuard fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) return open_failure(path, errno);

  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return failure(ReadState::error, path + ": " + std::strerror(errno));
  // Checked before any read: a FIFO, socket or device is refused without reading from it.
  if (!S_ISREG(st.st_mode))
    return failure(ReadState::not_a_regular_file, path + ": not a regular file");

  FileRead result;
  result.mtime = time_from_unix_seconds(st.st_mtim.tv_sec);
  if (static_cast<std::uint64_t>(st.st_size) > limit) {
    result.state = ReadState::too_large;
    result.error = path + ": " + std::to_string(st.st_size) + " bytes, more than the limit of " +
                   std::to_string(limit);
    return result;
  }
  int error = 0;
  if (!read_at_most(fd.get(), limit, result.content, error)) {
    result.content.clear();
    result.state = ReadState::error;
    result.error = path + ": " + std::strerror(error);
    return result;
  }
  if (result.content.size() > limit) {
    result.content.clear();
    result.state = ReadState::too_large;
    result.error = path + ": grew past the limit of " + std::to_string(limit) + " bytes";
  }
  return result;
}

}  // namespace latchwatch::probes
