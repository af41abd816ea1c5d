#include "agent/diagnosis/evidence.h"

#include "probes/local/elevation.h"
#include "probes/local/smbios.h"
#include "probes/local/uptime.h"

namespace latchwatch::diagnosis {
namespace {

constexpr std::size_t kStatusFileLimit = 1024 * 1024;

double seconds_between(std::chrono::system_clock::time_point from,
                       std::chrono::system_clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

StatusFileEvidence read_status_file(const std::string& path,
                                    std::chrono::system_clock::time_point now) {
  StatusFileEvidence evidence;
  auto file = probes::read_bounded_file(path, kStatusFileLimit);
  evidence.state = file.state;
  evidence.error = file.error;
  if (file.state != probes::ReadState::ok) return evidence;
  auto parsed = probes::parse_gpa_status_file(file.content);
  if (!parsed) {
    evidence.state = probes::ReadState::malformed;
    evidence.error = path + ": " + parsed.error;
    return evidence;
  }
  auto written = parsed.value->timestamp.value_or(file.mtime);
  evidence.age_seconds = seconds_between(written, now);
  evidence.content = std::move(parsed.value);
  return evidence;
}

}  // namespace

Evidence collect_evidence(const EvidenceSources& sources,
                          std::chrono::system_clock::time_point now) {
  Evidence evidence;
  evidence.now = now;
  evidence.running_as_root = probes::running_elevated();
  evidence.cache = load_identity_cache(sources.state_dir);
  evidence.cycle = probes::run_probe_cycle(sources.probes);
  evidence.keys = probes::list_key_folder(sources.key_dir);
  evidence.status_file = read_status_file(sources.status_file, now);
  evidence.presence = probes::detect_gpa_presence(sources.presence);
  evidence.uptime_seconds = probes::read_uptime(sources.uptime_file, evidence.uptime_error);
  auto uuid = probes::read_smbios_uuid(sources.smbios_uuid_file);
  if (uuid)
    evidence.smbios_uuid = *uuid.value;
  else
    evidence.smbios_error = uuid.error;
  evidence.host = probes::read_host_facts(sources.host_facts);
  evidence.host.smbios_uuid = evidence.smbios_uuid;
  if (evidence.status_file.content)
    evidence.host.gpa_version =
        probes::checked_version(evidence.status_file.content->agent_version);
  return evidence;
}

}  // namespace latchwatch::diagnosis
