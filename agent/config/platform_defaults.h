#pragma once
/// The defaults that differ between Linux and Windows, in one place: platform_defaults_posix.cpp
/// and platform_defaults_windows.cpp. Config (config.h) takes its defaults from here, so
/// config.cpp and the option table stay shared. Windows' paths are built once, at first use,
/// from %SYSTEMDRIVE% and %ProgramData%.

#include <string>

#include "agent/diagnosis/evidence.h"

namespace latchwatch::agent {

struct PlatformDefaults {
  /// GPA's key folder and status file, GPA's traces (unit file, binary, /proc on Linux; service
  /// names on Windows), the SMBIOS UUID and uptime sources (empty on Windows: the firmware table
  /// and GetTickCount64), latchwatch's state folder.
  diagnosis::EvidenceSources sources;
  std::string config_path;    ///< read by check, run and config show when no --config is given
  std::string kvp_pool;       ///< Linux: the pool file; Windows: the registry key of the pool
  std::string serial_device;  ///< the serial console (boot diagnostics)
};

const PlatformDefaults& platform_defaults();

/// An absolute path on this platform: "/..." on Linux; "X:\..." (or "X:/...") or "\\..." on
/// Windows.
bool is_absolute_path(const std::string& path);

/// Where a sink writes: an absolute path; on Windows also a COM port ("COM1") or a registry key
/// under HKLM\ or HKCU\ (the KVP pool).
bool is_absolute_location(const std::string& location);
/// What else a location may be here, for error texts ("" on Linux).
const char* other_locations_text();

}  // namespace latchwatch::agent
