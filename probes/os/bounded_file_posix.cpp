// read_bounded_file's open file on Linux: open(2) with O_NOFOLLOW and O_NONBLOCK, fstat, read.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "probes/base/json_limits.h"
#include "probes/os/bounded_file.h"

namespace latchwatch::probes::detail {
namespace {

/// open() failed with `error`: name the state. ELOOP also comes from too many symlinks in the
/// directories above, so lstat tells whether the file itself is the symlink we refused.
ReadState open_failure(const std::string& path, int error, std::string& text) {
  text = path + ": " + std::strerror(error);
  switch (error) {
    case ENOENT:
    case ENOTDIR:
      return ReadState::missing;
    case EACCES:
    case EPERM:
      return ReadState::permission_denied;
    case ELOOP: {
      struct stat st {};
      if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
        text = path + ": is a symbolic link; not followed";
      return ReadState::error;
    }
    default:
      return ReadState::error;
  }
}

}  // namespace

ReadOnlyFile::ReadOnlyFile(const std::string& path, FinalLink final_link) : path_(path) {
  // O_NONBLOCK: opening a FIFO with no writer must not hang; O_NOFOLLOW: no planted symlinks.
  int flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC;
  if (final_link == FinalLink::refuse) flags |= O_NOFOLLOW;
  int fd = ::open(path.c_str(), flags);
  if (fd < 0) {
    state_ = open_failure(path, errno, error_);
    return;
  }
  handle_ = fd;
}

ReadOnlyFile::~ReadOnlyFile() {
  if (handle_ >= 0) ::close(static_cast<int>(handle_));
}

bool ReadOnlyFile::facts(OpenFileFacts& out, std::string& error) const {
  struct stat st {};
  if (::fstat(static_cast<int>(handle_), &st) != 0) {
    error = path_ + ": " + std::strerror(errno);
    return false;
  }
  out.regular = S_ISREG(st.st_mode);
  out.size = static_cast<std::uint64_t>(st.st_size);
  out.mtime = time_from_unix_seconds(st.st_mtim.tv_sec);
  return true;
}

long long ReadOnlyFile::read(char* buffer, std::size_t size, std::string& error) {
  for (;;) {
    ssize_t n = ::read(static_cast<int>(handle_), buffer, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) error = path_ + ": " + std::strerror(errno);
    return n;
  }
}

}  // namespace latchwatch::probes::detail
