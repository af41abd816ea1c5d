#include "agent/diagnosis/evidence.h"

#include <unistd.h>

#include "probes/local/smbios.h"

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

/// "/proc/uptime": "12345.67 23456.78\n"; the first number is the seconds since boot.
std::optional<double> read_uptime(const std::string& path, std::string& error) {
  auto file = probes::read_bounded_file(path, 256);
  if (file.state != probes::ReadState::ok) {
    error = file.error.empty() ? path + ": " + to_string(file.state) : file.error;
    return std::nullopt;
  }
  const std::string& text = file.content;
  std::size_t pos = 0;
  double whole = 0, fraction = 0, scale = 1;
  std::size_t digits = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && digits < 12) {
    whole = whole * 10 + (text[pos++] - '0');
    ++digits;
  }
  if (digits > 0 && pos < text.size() && text[pos] == '.') {
    ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && scale > 1e-9) {
      scale /= 10;
      fraction += (text[pos++] - '0') * scale;
    }
  }
  if (digits == 0 || digits >= 12 || (pos < text.size() && text[pos] != ' ' && text[pos] != '\n')) {
    error = path + ": not in /proc/uptime format";
    return std::nullopt;
  }
  return whole + fraction;
}

}  // namespace

Evidence collect_evidence(const EvidenceSources& sources,
                          std::chrono::system_clock::time_point now) {
  Evidence evidence;
  evidence.now = now;
  evidence.running_as_root = ::geteuid() == 0;
  evidence.cache = load_identity_cache(sources.state_dir);
  evidence.cycle = probes::run_probe_cycle(sources.probes);
  evidence.keys = probes::list_key_folder(sources.key_dir);
  evidence.status_file = read_status_file(sources.status_file, now);
  evidence.presence = probes::detect_gpa_presence(sources.presence);
  evidence.uptime_seconds = read_uptime(sources.uptime_file, evidence.uptime_error);
  auto uuid = probes::read_smbios_uuid(sources.smbios_uuid_file);
  if (uuid)
    evidence.smbios_uuid = *uuid.value;
  else
    evidence.smbios_error = uuid.error;
  evidence.host = probes::read_host_facts(sources.host_facts);
  evidence.host.smbios_uuid = evidence.smbios_uuid;
  if (evidence.status_file.content)
    evidence.host.gpa_version = probes::checked_version(evidence.status_file.content->agent_version);
  return evidence;
}

}  // namespace latchwatch::diagnosis
