#include <windows.h>

#include <cctype>
#include <string>

#include "agent/config/config.h"
#include "agent/config/platform_defaults.h"

namespace latchwatch::agent {
namespace {

/// An environment variable as UTF-8, or `fallback` when unset or empty.
std::string environment(const wchar_t* name, const std::string& fallback) {
  wchar_t buffer[512] = {};
  DWORD n = ::GetEnvironmentVariableW(name, buffer, 512);
  if (n == 0 || n >= 512) return fallback;
  int size =
      ::WideCharToMultiByte(CP_UTF8, 0, buffer, static_cast<int>(n), nullptr, 0, nullptr, nullptr);
  if (size <= 0) return fallback;
  std::string out(static_cast<std::size_t>(size), '\0');
  ::WideCharToMultiByte(CP_UTF8, 0, buffer, static_cast<int>(n), out.data(), size, nullptr,
                        nullptr);
  return out;
}

PlatformDefaults build() {
  PlatformDefaults d;
  // real-platform.md §2: GPA on Windows keeps its keys (DPAPI-encrypted {guid}.encrypted files)
  // and status under %SYSTEMDRIVE%\WindowsAzure\ProxyAgent.
  const std::string gpa = environment(L"SYSTEMDRIVE", "C:") + "\\WindowsAzure\\ProxyAgent";
  const std::string state = environment(L"ProgramData", "C:\\ProgramData") + "\\latchwatch";
  d.sources.key_dir = gpa + "\\Keys";
  d.sources.status_file = gpa + "\\Logs\\status.json";
  d.sources.presence.unit_file.clear();  // the service manager stands for unit file, binary, /proc
  d.sources.presence.binary.clear();
  d.sources.presence.proc_root.clear();
  d.sources.smbios_uuid_file.clear();  // GetSystemFirmwareTable('RSMB')
  d.sources.uptime_file.clear();       // GetTickCount64
  d.sources.state_dir = state;
  d.config_path = state + "\\config.json";
  // The Hyper-V data exchange (KVP) guest-to-host pool lives in the registry.
  d.kvp_pool = "HKLM\\SOFTWARE\\Microsoft\\Virtual Machine\\Guest";
  d.serial_device = "COM1";
  return d;
}

}  // namespace

const PlatformDefaults& platform_defaults() {
  static const PlatformDefaults defaults = build();
  return defaults;
}

const char* const kDefaultConfigPath = platform_defaults().config_path.c_str();

bool is_absolute_path(const std::string& path) {
  auto slash = [](char c) { return c == '\\' || c == '/'; };
  if (path.size() >= 3 &&
      ((path[0] >= 'A' && path[0] <= 'Z') || (path[0] >= 'a' && path[0] <= 'z')) &&
      path[1] == ':' && slash(path[2]))
    return true;
  return path.size() >= 2 && slash(path[0]) && slash(path[1]);  // \\server\share, \\.\COM1
}

bool is_absolute_location(const std::string& location) {
  if (is_absolute_path(location)) return true;
  auto starts_with_ci = [&](const char* prefix) {
    std::size_t n = std::char_traits<char>::length(prefix);
    if (location.size() <= n) return false;
    for (std::size_t i = 0; i < n; ++i)
      if (std::toupper(static_cast<unsigned char>(location[i])) != prefix[i]) return false;
    return true;
  };
  if (starts_with_ci("HKLM\\") || starts_with_ci("HKCU\\")) return true;
  // COM1 ... COM255: the serial console's device name.
  if (!starts_with_ci("COM") || location.size() > 6) return false;
  for (std::size_t i = 3; i < location.size(); ++i)
    if (location[i] < '0' || location[i] > '9') return false;
  return location[3] != '0';
}

const char* other_locations_text() {
  return ", a COM port (COM1) or a registry key (HKLM\\... or HKCU\\...)";
}

}  // namespace latchwatch::agent
