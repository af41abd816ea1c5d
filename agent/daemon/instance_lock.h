#pragma once
/// One daemon per state folder: an exclusive lock on STATE/latchwatch.lock, held for the life of
/// the InstanceLock (flock on POSIX, LockFileEx on Windows; both are released by the system when
/// the process ends, however it ends). The folder is created when missing.
///
/// Errors: nothing throws; a lock not taken is `held() == false` with a reason naming the file.

#include <cstdint>
#include <string>

namespace latchwatch::agent {

class InstanceLock {
 public:
  explicit InstanceLock(const std::string& state_dir);
  ~InstanceLock();
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;

  bool held() const { return held_; }
  const std::string& error() const { return error_; }

 private:
  std::intptr_t handle_ = -1;  ///< the descriptor, or the HANDLE's value
  bool held_ = false;
  std::string error_;
};

/// STATE/latchwatch.lock.
std::string instance_lock_path(const std::string& state_dir);

}  // namespace latchwatch::agent
