#include "agent/cli/windows_service.h"

#include <windows.h>
#include <winreg.h>
#include <winsvc.h>

#include <iostream>
#include <memory>
#include <mutex>

#include "agent/cli/cli.h"
#include "agent/daemon/stop_signals.h"
#include "agent/daemon/windows_text.h"

namespace latchwatch::agent {
namespace {

using win::error_text;
using win::narrow;
using win::widen;

constexpr const wchar_t* kDescription =
    L"Diagnoses lost or mismatched latched keys of the Azure Guest Proxy Agent from inside the VM "
    L"and reports the owner's reset. Never resets, acquires or reads a key.";
constexpr const wchar_t* kEventLogKey =
    L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\";
/// The sinks' flush budget is 500 ms; the manager is told it may take this long.
constexpr DWORD kStopWaitHintMs = 3000;
constexpr DWORD kStartWaitHintMs = 5000;

struct ScHandle {
  SC_HANDLE handle = nullptr;
  explicit ScHandle(SC_HANDLE h) : handle(h) {}
  ~ScHandle() {
    if (handle) ::CloseServiceHandle(handle);
  }
  ScHandle(const ScHandle&) = delete;
  ScHandle& operator=(const ScHandle&) = delete;
  explicit operator bool() const { return handle != nullptr; }
};

std::string last_error(const std::string& what) {
  return what + ": " + error_text(::GetLastError());
}

std::string own_exe_path() {
  std::wstring path(MAX_PATH, L'\0');
  for (;;) {
    DWORD n = ::GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
    if (n == 0) return {};
    if (n < path.size()) {
      path.resize(n);
      return narrow(path);
    }
    path.resize(path.size() * 2);
  }
}

std::string quoted(const std::string& text) { return "\"" + text + "\""; }

std::string register_event_source(const std::string& name, const std::string& exe) {
  HKEY key = nullptr;
  const std::wstring path = kEventLogKey + widen(name);
  LSTATUS status =
      ::RegCreateKeyExW(HKEY_LOCAL_MACHINE, path.c_str(), 0, nullptr, REG_OPTION_NON_VOLATILE,
                        KEY_SET_VALUE, nullptr, &key, nullptr);
  if (status != ERROR_SUCCESS)
    return "event-log source HKLM\\" + narrow(path) + ": " + error_text(status);
  const std::wstring file = widen(exe);
  const DWORD types = EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE;
  status = ::RegSetValueExW(key, L"EventMessageFile", 0, REG_EXPAND_SZ,
                            reinterpret_cast<const BYTE*>(file.c_str()),
                            static_cast<DWORD>((file.size() + 1) * sizeof(wchar_t)));
  if (status == ERROR_SUCCESS)
    status = ::RegSetValueExW(key, L"TypesSupported", 0, REG_DWORD,
                              reinterpret_cast<const BYTE*>(&types), sizeof types);
  ::RegCloseKey(key);
  return status == ERROR_SUCCESS ? "" : "event-log source values: " + error_text(status);
}

std::string remove_event_source(const std::string& name) {
  const std::wstring path = kEventLogKey + widen(name);
  LSTATUS status = ::RegDeleteKeyW(HKEY_LOCAL_MACHINE, path.c_str());
  if (status == ERROR_SUCCESS || status == ERROR_FILE_NOT_FOUND) return "";
  return "event-log source HKLM\\" + narrow(path) + ": " + error_text(status);
}

// ---- running under the service manager ----

/// The one service this process runs (SERVICE_WIN32_OWN_PROCESS).
struct Running {
  std::mutex mutex;
  SERVICE_STATUS_HANDLE handle = nullptr;
  SERVICE_STATUS status{};
  const ConfigLoader* load = nullptr;
  int exit_code = 0;
};
Running g_service;

void report(DWORD state, DWORD wait_hint, int exit_code = 0) {
  std::lock_guard<std::mutex> lock(g_service.mutex);
  if (!g_service.handle) return;
  SERVICE_STATUS& s = g_service.status;
  if (s.dwCurrentState == SERVICE_STOPPED) return;  // stopped is final
  s.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
  s.dwCurrentState = state;
  s.dwControlsAccepted = state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN |
                                                        SERVICE_ACCEPT_PARAMCHANGE
                                                  : 0;
  s.dwWin32ExitCode = exit_code == 0 ? NO_ERROR : ERROR_SERVICE_SPECIFIC_ERROR;
  s.dwServiceSpecificExitCode = static_cast<DWORD>(exit_code);
  s.dwWaitHint = wait_hint;
  s.dwCheckPoint = (state == SERVICE_RUNNING || state == SERVICE_STOPPED) ? 0 : s.dwCheckPoint + 1;
  ::SetServiceStatus(g_service.handle, &s);
}

DWORD WINAPI on_control(DWORD control, DWORD, void*, void*) {
  switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
      report(SERVICE_STOP_PENDING, kStopWaitHintMs);
      deliver_control_request(ControlRequest::stop);
      return NO_ERROR;
    case SERVICE_CONTROL_PARAMCHANGE:
      deliver_control_request(ControlRequest::reload);
      return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
      return NO_ERROR;
    default:
      return ERROR_CALL_NOT_IMPLEMENTED;
  }
}

void WINAPI service_main(DWORD argc, wchar_t** argv) {
  // Own process: argv[0] is the name the service was installed under.
  const wchar_t* name = argc > 0 && argv && argv[0] ? argv[0] : L"latchwatch";
  SERVICE_STATUS_HANDLE handle = ::RegisterServiceCtrlHandlerExW(name, on_control, nullptr);
  if (!handle) {
    g_service.exit_code = kExitUsage;
    return;
  }
  {
    std::lock_guard<std::mutex> lock(g_service.mutex);
    g_service.handle = handle;
  }
  report(SERVICE_START_PENDING, kStartWaitHintMs);
  // A sink stuck past the stop budget ends the process at once: say stopped first, or the
  // manager would count a crash and restart the service.
  set_before_leave([] { report(SERVICE_STOPPED, 0); });
  report(SERVICE_RUNNING, 0);
  const int code = run_daemon(*g_service.load);
  g_service.exit_code = code;
  set_before_leave({});
  report(SERVICE_STOPPED, 0, code);
}

}  // namespace

std::string service_command_line(const ServiceSpec& spec) {
  std::string line = quoted(spec.exe.empty() ? own_exe_path() : spec.exe) + " run --service";
  if (!spec.config_file.empty()) line += " --config " + quoted(spec.config_file);
  return line;
}

std::string install_service(const ServiceSpec& spec) {
  const std::string exe = spec.exe.empty() ? own_exe_path() : spec.exe;
  if (exe.empty()) return last_error("the path of latchwatch.exe");
  if (exe.find('"') != std::string::npos || spec.config_file.find('"') != std::string::npos)
    return "a path with a double quote cannot be put on the service's command line";
  ScHandle manager(
      ::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT | SC_MANAGER_CREATE_SERVICE));
  if (!manager) return last_error("the service manager (run as Administrator)");
  ServiceSpec resolved = spec;
  resolved.exe = exe;
  const std::wstring name = widen(spec.name);
  const std::wstring command = widen(service_command_line(resolved));
  ScHandle service(::CreateServiceW(manager.handle, name.c_str(), widen(spec.display_name).c_str(),
                                    SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS,
                                    SERVICE_AUTO_START, SERVICE_ERROR_NORMAL, command.c_str(),
                                    nullptr, nullptr, nullptr, nullptr, nullptr));
  if (!service) {
    if (::GetLastError() == ERROR_SERVICE_EXISTS)
      return "service " + spec.name +
             " is already installed ('latchwatch service uninstall' first)";
    return last_error("CreateService " + spec.name);
  }
  std::wstring description = kDescription;
  SERVICE_DESCRIPTIONW text{description.data()};
  if (!::ChangeServiceConfig2W(service.handle, SERVICE_CONFIG_DESCRIPTION, &text))
    return last_error("service description");
  // Restart after 10 s, then 60 s; the failure count resets after a day without one.
  SC_ACTION actions[3] = {{SC_ACTION_RESTART, 10 * 1000},
                          {SC_ACTION_RESTART, 60 * 1000},
                          {SC_ACTION_RESTART, 60 * 1000}};
  SERVICE_FAILURE_ACTIONSW failure{};
  failure.dwResetPeriod = 24 * 60 * 60;
  failure.cActions = 3;
  failure.lpsaActions = actions;
  if (!::ChangeServiceConfig2W(service.handle, SERVICE_CONFIG_FAILURE_ACTIONS, &failure))
    return last_error("service failure actions");
  // A stop with a non-zero exit code (a state folder another run holds) counts as a failure too.
  // Every Windows Azure endorses has this level; wine's service manager does not (a crash still
  // restarts there), so its absence is not an error.
  SERVICE_FAILURE_ACTIONS_FLAG on_exit_code{TRUE};
  if (!::ChangeServiceConfig2W(service.handle, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG,
                               &on_exit_code) &&
      ::GetLastError() != ERROR_INVALID_LEVEL)
    return last_error("service failure actions flag");
  return register_event_source(spec.name, exe);
}

std::string uninstall_service(const std::string& name, bool& not_installed, unsigned stop_wait_ms) {
  not_installed = false;
  ScHandle manager(::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
  if (!manager) return last_error("the service manager (run as Administrator)");
  ScHandle service(::OpenServiceW(manager.handle, widen(name).c_str(),
                                  SERVICE_STOP | SERVICE_QUERY_STATUS | DELETE));
  if (!service) {
    if (::GetLastError() != ERROR_SERVICE_DOES_NOT_EXIST) return last_error("OpenService " + name);
    not_installed = true;
    return remove_event_source(name);
  }
  SERVICE_STATUS status{};
  if (::QueryServiceStatus(service.handle, &status) && status.dwCurrentState != SERVICE_STOPPED) {
    if (status.dwCurrentState != SERVICE_STOP_PENDING &&
        !::ControlService(service.handle, SERVICE_CONTROL_STOP, &status) &&
        ::GetLastError() != ERROR_SERVICE_NOT_ACTIVE)
      return last_error("stopping service " + name);
    // The daemon stops within a second; poll the manager (it has no wait call) up to the bound.
    const ULONGLONG until = ::GetTickCount64() + stop_wait_ms;
    while (::QueryServiceStatus(service.handle, &status) &&
           status.dwCurrentState != SERVICE_STOPPED && ::GetTickCount64() < until)
      ::Sleep(100);
    if (status.dwCurrentState != SERVICE_STOPPED)
      return "service " + name + " did not stop within " + std::to_string(stop_wait_ms) + " ms";
  }
  if (!::DeleteService(service.handle) && ::GetLastError() != ERROR_SERVICE_MARKED_FOR_DELETE)
    return last_error("DeleteService " + name);
  return remove_event_source(name);
}

int run_as_windows_service(const ConfigLoader& load) {
  g_service.load = &load;
  wchar_t empty[] = L"";  // own process: the name here is ignored but may not be null
  SERVICE_TABLE_ENTRYW table[] = {{empty, service_main}, {nullptr, nullptr}};
  if (!::StartServiceCtrlDispatcherW(table)) {
    const DWORD code = ::GetLastError();
    if (code == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT)
      std::cerr << "latchwatch: 'run --service' is for the Windows service manager; from a "
                   "console use 'latchwatch run'\n";
    else
      std::cerr << "latchwatch: StartServiceCtrlDispatcher: " << error_text(code) << "\n";
    return kExitUsage;
  }
  return g_service.exit_code;
}

}  // namespace latchwatch::agent
