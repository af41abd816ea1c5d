#pragma once
/// Seconds since boot, for the early-boot grace: from a file in /proc/uptime format (Linux's
/// default, or any file a test or admin names), or, when no file is named, from the system.

#include <optional>
#include <string>

namespace latchwatch::probes {

/// "/proc/uptime": "12345.67 23456.78\n"; the first number is the seconds since boot. On failure
/// returns nullopt and sets `error` (the read error, or "<path>: not in /proc/uptime format").
std::optional<double> read_uptime_file(const std::string& path, std::string& error);

/// The system's own count of seconds since boot, sleep included: /proc/uptime on Linux,
/// GetTickCount64 on Windows.
std::optional<double> read_system_uptime(std::string& error);

/// `path` empty: read_system_uptime; else read_uptime_file(path).
std::optional<double> read_uptime(const std::string& path, std::string& error);

}  // namespace latchwatch::probes
