// `latchwatch run` as a real Windows service in the real service manager (wine's services.exe in
// CI): installed under a unique name with its event-log source, started with StartServiceW, seen
// RUNNING and cycling, reloaded with PARAMCHANGE, stopped with STOP and seen to exit within its
// budget, then uninstalled (service and event source gone); and Ctrl+Break on a console run.
// Every probe goes to 127.0.0.1:1 (nothing listens): no traffic leaves the machine.

#include "agent/cli/windows_service.h"

#include <gtest/gtest.h>
#include <windows.h>
#include <winsvc.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "agent/daemon/windows_text.h"
#include "tests/support/test_support.h"

namespace latchwatch::agent {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;
using Clock = std::chrono::steady_clock;

/// A path the service can use from System32: under wine a Linux path is a Z: path; a Windows
/// path is kept.
std::string service_path(const std::string& path) {
  if (path.empty() || path[0] != '/') return path;
  std::string out = "Z:" + path;
  for (char& c : out)
    if (c == '/') c = '\\';
  return out;
}

std::size_t history_lines(const std::string& state_dir) {
  std::istringstream in(testing::read_file(state_dir + "/history.jsonl"));
  std::size_t lines = 0;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) ++lines;
  return lines;
}

/// Polls `done` until it holds or `budget` passes (the service manager has no wait call).
template <typename Done>
bool wait_until(Done done, std::chrono::milliseconds budget) {
  const auto until = Clock::now() + budget;
  while (!done()) {
    if (Clock::now() > until) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

/// StartServiceW, waiting (bounded) while the service manager's database is locked (1055): a start
/// in progress elsewhere in the system holds it, and wine's manager answers 1055 after 3 s.
bool start_service(SC_HANDLE service) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    if (::StartServiceW(service, 0, nullptr)) return true;
    if (::GetLastError() != ERROR_SERVICE_DATABASE_LOCKED ||
        std::chrono::steady_clock::now() >= deadline)
      return false;
  }
}

struct Sc {
  SC_HANDLE h;
  explicit Sc(SC_HANDLE handle) : h(handle) {}
  ~Sc() {
    if (h) ::CloseServiceHandle(h);
  }
};

SERVICE_STATUS_PROCESS status_of(SC_HANDLE service) {
  SERVICE_STATUS_PROCESS status{};
  DWORD needed = 0;
  ::QueryServiceStatusEx(service, SC_STATUS_PROCESS_INFO, reinterpret_cast<BYTE*>(&status),
                         sizeof status, &needed);
  return status;
}

bool event_source_exists(const std::string& name) {
  HKEY key = nullptr;
  const std::wstring path =
      L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\" + win::widen(name);
  if (::RegOpenKeyExW(HKEY_LOCAL_MACHINE, path.c_str(), 0, KEY_READ, &key) != ERROR_SUCCESS)
    return false;
  ::RegCloseKey(key);
  return true;
}

std::wstring event_message_file(const std::string& name) {
  const std::wstring path =
      L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\" + win::widen(name);
  wchar_t value[1024] = {};
  DWORD size = sizeof value;
  if (::RegGetValueW(HKEY_LOCAL_MACHINE, path.c_str(), L"EventMessageFile",
                     RRF_RT_REG_EXPAND_SZ | RRF_NOEXPAND, nullptr, value, &size) != ERROR_SUCCESS)
    return L"";
  return value;
}

class WindowsService : public ::testing::Test {
 protected:
  void SetUp() override {
    // The service manager refuses a start while another start holds its database (1055), and
    // ctest runs tests in parallel processes: a named mutex takes the service tests one at a time.
    one_at_a_time_ = ::CreateMutexW(nullptr, FALSE, L"Local\\latchwatch-service-tests");
    ASSERT_NE(one_at_a_time_, nullptr);
    ASSERT_NE(::WaitForSingleObject(one_at_a_time_, 120000), WAIT_TIMEOUT);
    spec_.name = "latchwatch-test-" + std::to_string(::GetCurrentProcessId()) + "-" +
                 std::to_string(::GetTickCount64());
    spec_.display_name = spec_.name;
    spec_.exe = service_path(LATCHWATCH_BINARY);
    const nlohmann::json config = {{"daemon", {{"interval_s", 3600}, {"jitter_s", 0}}},
                                   {"probes", {{"timeout_ms", 1000}}},
                                   {"endpoints",
                                    {{"wireserver", "127.0.0.1:1"},
                                     {"hostga", "127.0.0.1:1"},
                                     {"imds", "127.0.0.1:1"},
                                     {"gpa", "127.0.0.1:1"}}},
                                   {"paths",
                                    {{"state_dir", service_path(state_dir_)},
                                     {"gpa_key_dir", service_path(dir_ / "Keys")},
                                     {"gpa_status_file", service_path(dir_ / "status.json")}}},
                                   {"sinks",
                                    {{"metrics", {{"enabled", false}}},
                                     {"kvp", {{"enabled", false}}},
                                     {"serial", {{"enabled", false}}}}}};
    testing::write_file(dir_ / "config.json", config.dump(2));
    spec_.config_file = service_path(dir_ / "config.json");
  }
  void TearDown() override {
    bool not_installed = false;
    uninstall_service(spec_.name, not_installed);  // whatever a failed test left
    if (one_at_a_time_) {
      ::ReleaseMutex(one_at_a_time_);
      ::CloseHandle(one_at_a_time_);
    }
  }

  HANDLE one_at_a_time_ = nullptr;

  TempDir dir_;
  std::string state_dir_ = dir_ / "state";
  ServiceSpec spec_;
};

TEST_F(WindowsService, InstallStartRunReloadStopUninstall) {
  Sc manager(::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_ALL_ACCESS));
  if (!manager.h) GTEST_SKIP() << "no service manager here: " << win::error_text(::GetLastError());

  // Installed: the command line, automatic start, restart on failure, the event-log source.
  ASSERT_EQ(install_service(spec_), "");
  EXPECT_NE(install_service(spec_).find("already installed"), std::string::npos);
  Sc service(::OpenServiceW(manager.h, win::widen(spec_.name).c_str(), SERVICE_ALL_ACCESS));
  ASSERT_NE(service.h, nullptr);
  {
    std::vector<BYTE> buffer(8192);
    DWORD needed = 0;
    auto* config = reinterpret_cast<QUERY_SERVICE_CONFIGW*>(buffer.data());
    ASSERT_TRUE(
        ::QueryServiceConfigW(service.h, config, static_cast<DWORD>(buffer.size()), &needed));
    EXPECT_EQ(config->dwStartType, static_cast<DWORD>(SERVICE_AUTO_START));
    EXPECT_EQ(config->dwServiceType & SERVICE_WIN32_OWN_PROCESS,
              static_cast<DWORD>(SERVICE_WIN32_OWN_PROCESS));
    EXPECT_EQ(win::narrow(config->lpBinaryPathName),
              "\"" + spec_.exe + "\" run --service --config \"" + spec_.config_file + "\"");
    auto* failure = reinterpret_cast<SERVICE_FAILURE_ACTIONSW*>(buffer.data());
    if (::QueryServiceConfig2W(service.h, SERVICE_CONFIG_FAILURE_ACTIONS, buffer.data(),
                               static_cast<DWORD>(buffer.size()), &needed)) {
      ASSERT_GE(failure->cActions, 1u);
      EXPECT_EQ(failure->lpsaActions[0].Type, SC_ACTION_RESTART);
    }
  }
  EXPECT_TRUE(event_source_exists(spec_.name));
  EXPECT_EQ(win::narrow(event_message_file(spec_.name)), spec_.exe);

  // Started: RUNNING, and a cycle written to the state folder by the service process.
  ASSERT_TRUE(start_service(service.h)) << win::error_text(::GetLastError());
  ASSERT_TRUE(
      wait_until([&] { return status_of(service.h).dwCurrentState == SERVICE_RUNNING; }, 30s))
      << "state " << status_of(service.h).dwCurrentState;
  const SERVICE_STATUS_PROCESS running = status_of(service.h);
  EXPECT_NE(running.dwProcessId, 0u);
  EXPECT_TRUE(running.dwControlsAccepted & SERVICE_ACCEPT_STOP);
  EXPECT_TRUE(running.dwControlsAccepted & SERVICE_ACCEPT_PARAMCHANGE);
  HANDLE process =
      ::OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, running.dwProcessId);
  ASSERT_NE(process, nullptr);
  ASSERT_TRUE(wait_until([&] { return history_lines(state_dir_) >= 1; }, 60s))
      << "no cycle in " << state_dir_;

  // PARAMCHANGE reloads as SIGHUP does; a reload starts a cycle at once (the interval is 1 h).
  SERVICE_STATUS status{};
  ASSERT_TRUE(::ControlService(service.h, SERVICE_CONTROL_PARAMCHANGE, &status))
      << win::error_text(::GetLastError());
  EXPECT_TRUE(wait_until([&] { return history_lines(state_dir_) >= 2; }, 60s))
      << "no cycle after PARAMCHANGE";

  // STOP: STOPPED with exit code 0, and the process gone, within the daemon's budget (one
  // second to flush; the rest is the service manager's own polling and process start-up).
  const auto stop_sent = Clock::now();
  ASSERT_TRUE(::ControlService(service.h, SERVICE_CONTROL_STOP, &status))
      << win::error_text(::GetLastError());
  ASSERT_TRUE(
      wait_until([&] { return status_of(service.h).dwCurrentState == SERVICE_STOPPED; }, 10s));
  EXPECT_EQ(::WaitForSingleObject(process, 10000), WAIT_OBJECT_0) << "the process ended";
  const auto stop_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - stop_sent).count();
  DWORD exit_code = 99;
  ::GetExitCodeProcess(process, &exit_code);
  ::CloseHandle(process);
  EXPECT_EQ(exit_code, 0u);
  const SERVICE_STATUS_PROCESS stopped = status_of(service.h);
  EXPECT_EQ(stopped.dwWin32ExitCode, static_cast<DWORD>(NO_ERROR));
  EXPECT_LT(stop_ms, 5000) << "STOP to exit";
  std::cout << "[ measured ] STOP to process exit: " << stop_ms << " ms\n";

  // Uninstalled: service and event source gone (our handle closed first: a service is deleted
  // when the last handle on it closes).
  ::CloseServiceHandle(service.h);
  service.h = nullptr;
  bool not_installed = true;
  EXPECT_EQ(uninstall_service(spec_.name, not_installed), "");
  EXPECT_FALSE(not_installed);
  Sc gone(::OpenServiceW(manager.h, win::widen(spec_.name).c_str(), SERVICE_QUERY_STATUS));
  EXPECT_EQ(gone.h, nullptr);
  EXPECT_FALSE(event_source_exists(spec_.name));
  EXPECT_EQ(uninstall_service(spec_.name, not_installed), "");
  EXPECT_TRUE(not_installed) << "a second uninstall finds nothing and says so";
}

// `latchwatch run` on a console: Ctrl+Break stops it as SIGTERM does (exit 0 after flushing).
// The child gets a process group of its own, so the event reaches nothing else on the console.
TEST_F(WindowsService, CtrlBreakStopsAConsoleRunAsSigtermDoes) {
  std::wstring command =
      win::widen("\"" + spec_.exe + "\" run --config \"" + spec_.config_file + "\"");
  STARTUPINFOW startup{};
  startup.cb = sizeof startup;
  PROCESS_INFORMATION child{};
  ASSERT_TRUE(::CreateProcessW(nullptr, command.data(), nullptr, nullptr, FALSE,
                               CREATE_NEW_PROCESS_GROUP, nullptr, nullptr, &startup, &child))
      << win::error_text(::GetLastError());
  ::CloseHandle(child.hThread);
  const bool cycled = wait_until([&] { return history_lines(state_dir_) >= 1; }, 60s);
  if (cycled && !::GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, child.dwProcessId)) {
    const std::string why = win::error_text(::GetLastError());
    ::TerminateProcess(child.hProcess, 1);
    ::CloseHandle(child.hProcess);
    GTEST_SKIP() << "no console to send Ctrl+Break on (wine without one): " << why;
  }
  EXPECT_TRUE(cycled) << "no cycle in " << state_dir_;
  EXPECT_EQ(::WaitForSingleObject(child.hProcess, 10000), WAIT_OBJECT_0);
  DWORD exit_code = 99;
  ::GetExitCodeProcess(child.hProcess, &exit_code);
  ::TerminateProcess(child.hProcess, 1);  // nothing when it ended
  ::CloseHandle(child.hProcess);
  EXPECT_EQ(exit_code, 0u);
}

TEST_F(WindowsService, UninstallStopsARunningServiceFirst) {
  Sc manager(::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_ALL_ACCESS));
  if (!manager.h) GTEST_SKIP() << "no service manager here: " << win::error_text(::GetLastError());
  ASSERT_EQ(install_service(spec_), "");
  Sc service(::OpenServiceW(manager.h, win::widen(spec_.name).c_str(), SERVICE_ALL_ACCESS));
  ASSERT_NE(service.h, nullptr);
  ASSERT_TRUE(start_service(service.h)) << win::error_text(::GetLastError());
  ASSERT_TRUE(
      wait_until([&] { return status_of(service.h).dwCurrentState == SERVICE_RUNNING; }, 30s));
  HANDLE process = ::OpenProcess(SYNCHRONIZE, FALSE, status_of(service.h).dwProcessId);
  ASSERT_NE(process, nullptr);
  bool not_installed = true;
  EXPECT_EQ(uninstall_service(spec_.name, not_installed), "");
  EXPECT_EQ(::WaitForSingleObject(process, 10000), WAIT_OBJECT_0) << "stopped, then deleted";
  ::CloseHandle(process);
  EXPECT_FALSE(event_source_exists(spec_.name));
}

}  // namespace
}  // namespace latchwatch::agent
