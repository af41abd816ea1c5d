#pragma once
/// Facts that name this machine without IMDS (which is cut off exactly when a key is lost under
/// enforce): host name, primary private addresses, OS release, kernel, boot time, SMBIOS UUID and
/// GPA's version. Every report carries them, so that an owner can find a VM whose resource id is
/// unknown. Read from local files only; each path is configurable for tests.

#include <chrono>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace latchwatch::probes {

struct HostFactsPaths {
  std::string hostname = "/proc/sys/kernel/hostname";
  std::string os_release = "/etc/os-release";  ///< usually a symlink, which is not followed...
  std::string os_release_fallback = "/usr/lib/os-release";  ///< ...so this is read (os-release(5))
  std::string kernel_release = "/proc/sys/kernel/osrelease";
  std::string proc_stat = "/proc/stat";         ///< "btime <unix seconds>"
  std::string ipv4_routes = "/proc/net/route";  ///< names the default route's interface
};

/// One address of a local interface (from getifaddrs or GetAdaptersAddresses, or a test).
struct InterfaceAddress {
  std::string interface_name;  // not "interface": a macro in the Windows headers
  std::string address;         ///< numeric, as inet_ntop prints it
  bool loopback = false;
};

struct HostFacts {
  std::string host_name;                       ///< passes is_host_name, else empty
  std::vector<std::string> private_addresses;  ///< the default route's interface first
  std::string os_release;   ///< PRETTY_NAME (or NAME VERSION_ID), one line, escaped
  std::string kernel;       ///< one line, escaped
  std::string boot_time;    ///< ISO 8601 UTC, empty when unknown
  std::string gpa_version;  ///< digits and dots only, from status.json when it was parsed
  std::string smbios_uuid;
  std::vector<std::string> errors;  ///< sources that could not be read, one line each
};

/// Reads the files in `paths` and the interface addresses (Linux). On Windows the sources are
/// the system's own and `paths` is not used: GetComputerNameExW, GetAdaptersAddresses, the
/// registry's CurrentVersion key (ProductName, CurrentBuild) and GetTickCount64. Never throws; an
/// unreadable source leaves its field empty and adds a line to `errors`.
HostFacts read_host_facts(const HostFactsPaths& paths);

/// `s` without leading and trailing blanks (space, tab, CR, LF).
std::string trim_blanks(const std::string& s);
/// PRETTY_NAME from os-release text (quotes and shell escapes removed), else NAME + VERSION_ID.
std::string os_release_name(const std::string& os_release_text);
/// The interface of the IPv4 default route in /proc/net/route text, or empty.
std::string default_route_interface(const std::string& route_text);
/// Private (RFC 1918, RFC 4193 ULA, CGNAT) and other non-loopback, non-link-local addresses,
/// those of `primary_interface` first, each valid numeric text.
std::vector<std::string> primary_addresses(const std::vector<InterfaceAddress>& interfaces,
                                           const std::string& primary_interface);
/// GPA's version when it is digits and dots ("1.0.30"), else empty.
std::string checked_version(const std::string& text);

void to_json(nlohmann::json& j, const HostFacts& facts);

}  // namespace latchwatch::probes
