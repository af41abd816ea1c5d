// Secret files on Linux: O_NOFOLLOW, a regular file owned by root or by us, no access for
// others and no group write.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "agent/config/secret_file.h"

namespace latchwatch::agent::detail {
namespace {

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

}  // namespace

std::string read_guarded_secret(const std::string& where, const std::string& path,
                                std::size_t limit, std::string& content) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return where + " cannot be opened: " + std::strerror(errno);
  struct stat info {};
  std::string error;
  if (::fstat(fd, &info) != 0) {
    error = where + " cannot be examined: " + std::strerror(errno);
  } else if (!S_ISREG(info.st_mode)) {
    error = where + " is not a regular file";
  } else if (info.st_uid != 0 && info.st_uid != ::geteuid()) {
    error = where + " must be owned by root (owner uid " + std::to_string(info.st_uid) + ")";
  } else if (info.st_mode & (S_IRWXO | S_IWGRP)) {
    error = where + " has mode " + octal_mode(info.st_mode) +
            ": others must not read or write it, nor its group write it (chmod 0600 " + path + ")";
  } else if (static_cast<std::size_t>(info.st_size) > limit) {
    error = where + " is larger than 4 KiB";
  }
  if (error.empty()) {
    content.resize(limit + 1);
    std::size_t used = 0;
    while (used < content.size()) {
      ssize_t n = ::read(fd, &content[used], content.size() - used);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        error = where + " cannot be read: " + std::strerror(errno);
        break;
      }
      if (n == 0) break;
      used += static_cast<std::size_t>(n);
    }
    content.resize(used);
  }
  ::close(fd);
  return error;
}

}  // namespace latchwatch::agent::detail
