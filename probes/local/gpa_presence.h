#pragma once
/// Traces of an installed Guest Proxy Agent on this machine (domain brief §4).

#include <string>

#include <nlohmann/json_fwd.hpp>

namespace latchwatch::probes {

struct GpaPresencePaths {
  std::string unit_file = "/lib/systemd/system/azure-proxy-agent.service";
  std::string binary = "/usr/sbin/azure-proxy-agent";
  std::string proc_root = "/proc";  ///< where to look for a running "azure-proxy-agent"
};

struct GpaPresence {
  bool unit_file = false;
  bool binary = false;
  bool process_running = false;
  int process_pid = 0;
  bool any() const { return unit_file || binary || process_running; }
};

/// Checks the unit file (also under /etc/systemd/system and /usr/lib/systemd/system when the
/// configured path is the default), the binary, and /proc/<pid>/comm for "azure-proxy-agent".
/// The kernel cuts comm to 15 characters, so "azure-proxy-age" counts as well; the lowest
/// matching pid is reported. Paths are checked with lstat and comm read with read_bounded_file.
GpaPresence detect_gpa_presence(const GpaPresencePaths& paths);

void to_json(nlohmann::json& j, const GpaPresence& p);

}  // namespace latchwatch::probes
