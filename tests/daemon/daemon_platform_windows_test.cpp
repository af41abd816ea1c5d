// The daemon's Windows seams on real Windows objects (under wine in CI): the instance lock is a
// LockFileEx byte-range lock that another handle sees, stop/reload requests reach the running
// loop (and one sent before it runs is kept), the process's private bytes are
// GetProcessMemoryInfo's. (Ctrl+Break on a console run of the real binary:
// windows_service_test.cpp; the folder watch: gpa_file_watch_windows_test.cpp.)

#include <gtest/gtest.h>
#include <windows.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <vector>

#include "agent/daemon/instance_lock.h"
#include "agent/daemon/resident_pages.h"
#include "agent/daemon/stop_signals.h"
#include "agent/daemon/windows_text.h"
#include "tests/support/test_support.h"

namespace latchwatch::agent {
namespace {

using testing::TempDir;

/// Another holder's way in: a plain handle on the lock file and LockFileEx, as a second process
/// would do it.
struct RawLock {
  HANDLE file = INVALID_HANDLE_VALUE;
  bool locked = false;
  DWORD error = 0;
  explicit RawLock(const std::string& path) {
    file = ::CreateFileW(win::widen(path).c_str(), GENERIC_READ | GENERIC_WRITE,
                         FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                         OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
    OVERLAPPED whole{};
    locked = file != INVALID_HANDLE_VALUE &&
             ::LockFileEx(file, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, MAXDWORD,
                          MAXDWORD, &whole);
    if (!locked) error = ::GetLastError();
  }
  ~RawLock() {
    if (file != INVALID_HANDLE_VALUE) ::CloseHandle(file);
  }
};

TEST(WindowsInstanceLock, IsALockFileExLockThatOtherHandlesSeeBothWays) {
  TempDir dir;
  const std::string state = dir / "state";
  {
    InstanceLock daemon(state);
    ASSERT_TRUE(daemon.held()) << daemon.error();
    RawLock other(instance_lock_path(state));
    ASSERT_NE(other.file, INVALID_HANDLE_VALUE) << "the lock file exists and can be opened";
    EXPECT_FALSE(other.locked);
    EXPECT_EQ(other.error, static_cast<DWORD>(ERROR_LOCK_VIOLATION));
  }
  RawLock other(instance_lock_path(state));
  ASSERT_TRUE(other.locked) << "released when the daemon's lock ends, error " << other.error;
  InstanceLock daemon(state);
  EXPECT_FALSE(daemon.held()) << "another holder keeps the daemon out";
  EXPECT_NE(daemon.error().find("another latchwatch run already uses"), std::string::npos)
      << daemon.error();
}

/// Records what a StopSignals delivers, and waits for it with a deadline.
class Recorder {
 public:
  void add(ControlRequest request) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      seen_.push_back(request);
    }
    cv_.notify_all();
  }
  std::vector<ControlRequest> wait_for(std::size_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return seen_.size() >= count; });
    return seen_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<ControlRequest> seen_;
};

TEST(WindowsStopSignals, AStopBeforeTheLoopRunsIsKeptAndRequestsReachTheRunningOne) {
  // The service manager may say STOP while the daemon is still loading its configuration.
  deliver_control_request(ControlRequest::reload);
  deliver_control_request(ControlRequest::stop);
  deliver_control_request(ControlRequest::reload);  // a stop wins over a later reload
  Recorder recorder;
  {
    StopSignals signals([&](ControlRequest r) { recorder.add(r); });
    EXPECT_EQ(recorder.wait_for(1), std::vector<ControlRequest>{ControlRequest::stop});
    deliver_control_request(ControlRequest::reload);  // PARAMCHANGE
    EXPECT_EQ(recorder.wait_for(2),
              (std::vector<ControlRequest>{ControlRequest::stop, ControlRequest::reload}));
  }
  // Nothing reaches an ended StopSignals; what comes now waits for the next one.
  deliver_control_request(ControlRequest::reload);
  Recorder next;
  StopSignals signals([&](ControlRequest r) { next.add(r); });
  EXPECT_EQ(next.wait_for(1), std::vector<ControlRequest>{ControlRequest::reload});
}

TEST(WindowsProcessMemory, PrivateUsageGrowsWithCommittedPagesAndShrinksWhenFreed) {
  constexpr std::size_t kSize = 64 * 1024 * 1024;
  const ProcessMemory before = process_memory();
  EXPECT_GT(before.private_bytes, 0u);
  EXPECT_GT(before.resident, 0u);
  void* block = ::VirtualAlloc(nullptr, kSize, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
  ASSERT_NE(block, nullptr);
  std::memset(block, 0x5a, kSize);
  const ProcessMemory held = process_memory();
  ASSERT_TRUE(::VirtualFree(block, 0, MEM_RELEASE));
  const ProcessMemory after = process_memory();
  EXPECT_GE(held.private_bytes, before.private_bytes + kSize * 3 / 4)
      << "before " << before.private_bytes << ", held " << held.private_bytes;
  EXPECT_LE(after.private_bytes + kSize * 3 / 4, held.private_bytes)
      << "held " << held.private_bytes << ", after " << after.private_bytes;
}

}  // namespace
}  // namespace latchwatch::agent
