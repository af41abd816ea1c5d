// GPA's presence the Windows way: the service manager knows whether GuestProxyAgent is
// installed, running (and as which process) and where its binary is.
#include <windows.h>

#include <memory>
#include <string>
#include <vector>

#include "probes/base/azure_names.h"
#include "probes/base/json_limits.h"
#include "probes/local/gpa_presence.h"
#include "probes/os/wide_text.h"

namespace latchwatch::probes {
namespace {

struct ScHandle {
  SC_HANDLE handle = nullptr;
  explicit ScHandle(SC_HANDLE h) : handle(h) {}
  ScHandle(const ScHandle&) = delete;
  ScHandle& operator=(const ScHandle&) = delete;
  ~ScHandle() {
    if (handle) ::CloseServiceHandle(handle);
  }
};

const char* state_name(DWORD state) {
  switch (state) {
    case SERVICE_STOPPED:
      return "stopped";
    case SERVICE_START_PENDING:
      return "start_pending";
    case SERVICE_STOP_PENDING:
      return "stop_pending";
    case SERVICE_RUNNING:
      return "running";
    case SERVICE_CONTINUE_PENDING:
      return "continue_pending";
    case SERVICE_PAUSE_PENDING:
      return "pause_pending";
    case SERVICE_PAUSED:
      return "paused";
    default:
      return "unknown";
  }
}

/// The executable of an ImagePath: the quoted part, else up to ".exe"/".sys", else all of it;
/// "\SystemRoot\" and "System32\" (driver forms) and %VARIABLES% expanded.
std::wstring image_file(std::wstring path) {
  if (!path.empty() && path[0] == L'"') {
    auto end = path.find(L'"', 1);
    path = path.substr(1, end == std::wstring::npos ? std::wstring::npos : end - 1);
  } else {
    std::wstring lower = path;
    for (auto& c : lower) c = static_cast<wchar_t>(::towlower(c));
    for (const wchar_t* ext : {L".exe", L".sys"}) {
      auto at = lower.find(ext);
      if (at != std::wstring::npos) {
        path = path.substr(0, at + 4);
        break;
      }
    }
  }
  const std::wstring system_root = L"\\SystemRoot\\";
  if (path.compare(0, system_root.size(), system_root) == 0)
    path = L"%SystemRoot%\\" + path.substr(system_root.size());
  else if (path.size() > 9 && _wcsnicmp(path.c_str(), L"System32\\", 9) == 0)
    path = L"%SystemRoot%\\" + path;
  wchar_t expanded[MAX_PATH * 2] = {};
  DWORD n = ::ExpandEnvironmentStringsW(path.c_str(), expanded, MAX_PATH * 2);
  if (n > 0 && n <= MAX_PATH * 2) path = expanded;
  return path;
}

ServiceState query_service(SC_HANDLE manager, const std::string& name) {
  ServiceState s;
  s.name = one_line(name, 80);
  std::wstring wide = windows::widen(name);
  if (wide.empty()) {
    s.error = "service name is empty or not UTF-8";
    return s;
  }
  ScHandle service(
      ::OpenServiceW(manager, wide.c_str(), SERVICE_QUERY_STATUS | SERVICE_QUERY_CONFIG));
  if (!service.handle) {
    DWORD code = ::GetLastError();
    if (code != ERROR_SERVICE_DOES_NOT_EXIST)
      s.error = "OpenServiceW failed (error " + std::to_string(code) + ")";
    return s;
  }
  s.installed = true;
  SERVICE_STATUS_PROCESS status{};
  DWORD needed = 0;
  if (::QueryServiceStatusEx(service.handle, SC_STATUS_PROCESS_INFO,
                             reinterpret_cast<BYTE*>(&status), sizeof status, &needed)) {
    s.state = state_name(status.dwCurrentState);
    if (status.dwCurrentState == SERVICE_RUNNING) s.pid = static_cast<int>(status.dwProcessId);
  } else {
    s.error = "QueryServiceStatusEx failed (error " + std::to_string(::GetLastError()) + ")";
  }
  ::QueryServiceConfigW(service.handle, nullptr, 0, &needed);
  if (needed > 0 && needed <= 64 * 1024) {
    std::unique_ptr<unsigned char[]> buffer(new unsigned char[needed]);
    auto* config = reinterpret_cast<QUERY_SERVICE_CONFIGW*>(buffer.get());
    if (::QueryServiceConfigW(service.handle, config, needed, &needed) &&
        config->lpBinaryPathName && *config->lpBinaryPathName) {
      s.binary_path = one_line(windows::narrow(config->lpBinaryPathName), 300);
      DWORD attributes = ::GetFileAttributesW(image_file(config->lpBinaryPathName).c_str());
      s.binary_exists =
          attributes != INVALID_FILE_ATTRIBUTES && !(attributes & FILE_ATTRIBUTE_DIRECTORY);
    }
  }
  return s;
}

}  // namespace

GpaPresence detect_gpa_presence(const GpaPresencePaths& paths) {
  GpaPresence presence;
  ScHandle manager(::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
  if (!manager.handle) {
    std::string error = "OpenSCManagerW failed (error " + std::to_string(::GetLastError()) + ")";
    for (auto* slot : {&presence.service, &presence.ebpf_core, &presence.netebpfext})
      slot->emplace();
    presence.service->name = one_line(paths.service_name, 80);
    presence.ebpf_core->name = one_line(paths.ebpf_core_service, 80);
    presence.netebpfext->name = one_line(paths.netebpfext_service, 80);
    for (auto* slot : {&presence.service, &presence.ebpf_core, &presence.netebpfext})
      (*slot)->error = error;
    return presence;
  }
  presence.service = query_service(manager.handle, paths.service_name);
  presence.ebpf_core = query_service(manager.handle, paths.ebpf_core_service);
  presence.netebpfext = query_service(manager.handle, paths.netebpfext_service);
  presence.unit_file = presence.service->installed;
  presence.binary = presence.service->binary_exists;
  presence.process_running = presence.service->state == "running";
  presence.process_pid = presence.service->pid;
  return presence;
}

}  // namespace latchwatch::probes
