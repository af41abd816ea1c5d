#include <windows.h>

#include <filesystem>
#include <system_error>

#include "agent/daemon/instance_lock.h"
#include "agent/daemon/windows_text.h"

namespace latchwatch::agent {

std::string instance_lock_path(const std::string& state_dir) {
  return state_dir + "\\latchwatch.lock";
}

InstanceLock::InstanceLock(const std::string& state_dir) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::u8path(state_dir), ec);
  if (ec) {
    error_ = state_dir + ": " + ec.message();
    return;
  }
  const std::string path = instance_lock_path(state_dir);
  // Not inheritable (no security attributes), a link at the name is opened, never followed.
  HANDLE file =
      ::CreateFileW(win::widen(path).c_str(), GENERIC_READ | GENERIC_WRITE,
                    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_ALWAYS,
                    FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
  if (file == INVALID_HANDLE_VALUE) {
    error_ = path + ": " + win::error_text(::GetLastError());
    return;
  }
  OVERLAPPED whole{};
  if (!::LockFileEx(file, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, MAXDWORD,
                    MAXDWORD, &whole)) {
    const DWORD code = ::GetLastError();
    error_ = code == ERROR_LOCK_VIOLATION || code == ERROR_IO_PENDING
                 ? "another latchwatch run already uses " + state_dir + " (" + path + " is locked)"
                 : path + ": " + win::error_text(code);
    ::CloseHandle(file);
    return;
  }
  handle_ = reinterpret_cast<std::intptr_t>(file);
  held_ = true;
}

InstanceLock::~InstanceLock() {
  if (held_) ::CloseHandle(reinterpret_cast<HANDLE>(handle_));  // releases the lock
}

}  // namespace latchwatch::agent
