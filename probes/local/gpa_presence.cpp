#include "probes/local/gpa_presence.h"

#include <nlohmann/json.hpp>

namespace latchwatch::probes {

void to_json(nlohmann::json& j, const GpaPresence& p) {
  j = {{"unitFile", p.unit_file}, {"binary", p.binary}, {"processRunning", p.process_running}};
  if (p.process_running) j["pid"] = p.process_pid;
  if (p.service) j["service"] = *p.service;
  if (p.ebpf_core) j["eBPFCore"] = *p.ebpf_core;
  if (p.netebpfext) j["netEbpfExt"] = *p.netebpfext;
}

void to_json(nlohmann::json& j, const ServiceState& s) {
  j = {{"name", s.name}, {"installed", s.installed}};
  if (!s.state.empty()) j["state"] = s.state;
  if (s.pid != 0) j["pid"] = s.pid;
  if (!s.binary_path.empty()) {
    j["binaryPath"] = s.binary_path;
    j["binaryExists"] = s.binary_exists;
  }
  if (!s.error.empty()) j["error"] = s.error;
}

}  // namespace latchwatch::probes
