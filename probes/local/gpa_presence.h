#pragma once
/// Traces of an installed Guest Proxy Agent on this machine (domain brief §4).

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

namespace latchwatch::probes {

struct GpaPresencePaths {
  std::string unit_file = "/lib/systemd/system/azure-proxy-agent.service";
  std::string binary = "/usr/sbin/azure-proxy-agent";
  std::string proc_root = "/proc";  ///< where to look for a running "azure-proxy-agent"
  // Windows: the service manager's names (real-platform.md §2); not used on Linux.
  std::string service_name = "GuestProxyAgent";
  std::string ebpf_core_service = "eBPFCore";  ///< GPA's redirect needs both eBPF services
  std::string netebpfext_service = "NetEbpfExt";
};

/// A service as the Windows service manager knows it.
struct ServiceState {
  std::string name;
  bool installed = false;
  std::string state;        ///< "running", "stopped", "start_pending", ...; empty when absent
  int pid = 0;              ///< while running
  std::string binary_path;  ///< the image path from the service's config, one line
  bool binary_exists = false;
  std::string error;  ///< why it could not be queried; empty for "not installed"
};

struct GpaPresence {
  bool unit_file = false;
  bool binary = false;
  bool process_running = false;
  int process_pid = 0;
  /// Windows only (absent on Linux, so Linux's JSON is unchanged): GPA's service, from which
  /// unit_file (installed), binary (its image exists), process_running and process_pid are
  /// taken, and the two eBPF services GPA's redirect depends on.
  std::optional<ServiceState> service;
  std::optional<ServiceState> ebpf_core;
  std::optional<ServiceState> netebpfext;
  bool any() const { return unit_file || binary || process_running; }
};

/// Linux: checks the unit file (also under /etc/systemd/system and /usr/lib/systemd/system when the
/// configured path is the default), the binary, and /proc/<pid>/comm for "azure-proxy-agent".
/// The kernel cuts comm to 15 characters, so "azure-proxy-age" counts as well; the lowest
/// matching pid is reported. Paths are checked with lstat and comm read with read_bounded_file.
/// Windows: asks the service manager about `service_name` and the two eBPF services
/// (OpenSCManagerW, OpenServiceW, QueryServiceStatusEx, QueryServiceConfigW); a service that does
/// not exist is reported not installed, any other failure lands in its `error`.
GpaPresence detect_gpa_presence(const GpaPresencePaths& paths);

void to_json(nlohmann::json& j, const GpaPresence& p);
void to_json(nlohmann::json& j, const ServiceState& s);

}  // namespace latchwatch::probes
