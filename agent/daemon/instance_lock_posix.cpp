#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/daemon/instance_lock.h"
#include "probes/os/atomic_file.h"

namespace latchwatch::agent {

std::string instance_lock_path(const std::string& state_dir) {
  return state_dir + "/latchwatch.lock";
}

InstanceLock::InstanceLock(const std::string& state_dir) {
  if (auto e = latchwatch::probes::ensure_directory(state_dir); !e.empty()) {
    error_ = e;
    return;
  }
  const std::string path = instance_lock_path(state_dir);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
  if (fd < 0) {
    error_ = path + ": " + std::strerror(errno);
    return;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    error_ = "another latchwatch run already uses " + state_dir + " (" + path + " is locked)";
    ::close(fd);
    return;
  }
  handle_ = fd;
  held_ = true;
}

InstanceLock::~InstanceLock() {
  if (handle_ >= 0) ::close(static_cast<int>(handle_));
}

}  // namespace latchwatch::agent
