#include "agent/diagnosis/evidence.h"

#include <algorithm>

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

}  // namespace

StatusFileEvidence read_status_evidence(const std::function<probes::FileRead()>& read,
                                        const std::string& path,
                                        std::chrono::system_clock::time_point now) {
  StatusFileEvidence evidence;
  probes::FileRead file;
  // GPA ≤ 1.0.23 truncates status.json and writes it back in many small writes: a read can land
  // in between. Its whole rewrite takes well under a millisecond, so reading again at once is
  // enough; a file that stays cut short is reported as torn, never as GPA's word.
  for (int attempt = 0; attempt < kStatusFileReads; ++attempt) {
    file = read();
    evidence.reads = attempt + 1;
    if (file.state != probes::ReadState::ok || !probes::looks_torn(file.content)) break;
  }
  evidence.state = file.state;
  evidence.error = file.error;
  if (file.state != probes::ReadState::ok) return evidence;
  if (probes::looks_torn(file.content)) {
    evidence.state = probes::ReadState::malformed;
    evidence.torn = true;
    evidence.error = path + ": cut short in " + std::to_string(evidence.reads) +
                     " reads in a row (GPA was rewriting it in place)";
    return evidence;
  }
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

namespace {

std::optional<probes::GpaVersion> version_of(const std::optional<probes::GpaStatusFile>& s) {
  if (!s) return std::nullopt;
  return probes::GpaVersion::parse(s->agent_version);
}

}  // namespace

Evidence collect_evidence(const EvidenceSources& sources,
                          std::chrono::system_clock::time_point now) {
  Evidence evidence;
  evidence.now = now;
  evidence.running_as_root = probes::running_elevated();
  evidence.cache = load_identity_cache(sources.state_dir);
  // Local first: GPA's version decides what may be sent to it.
  evidence.status_file = read_status_evidence(
      [&] { return probes::read_bounded_file(sources.status_file, kStatusFileLimit); },
      sources.status_file, now);
  auto options = sources.probes;
  options.gpa_era = probes::gpa_era(version_of(evidence.status_file.content));
  // GPA 1.0.47 answers a non-elevated caller's aggregate-status request with 403 and a warning
  // line in its log: only an elevated latchwatch asks.
  if (!evidence.running_as_root) options.gpa_era.send_aggregated_status = false;
  evidence.cycle = probes::run_probe_cycle(options);
  evidence.gpa_era = options.gpa_era;
  if (!evidence.gpa_era.version && evidence.cycle.aggregated_status) {
    // The file named no version; GPA's in-memory status did (1.0.47). Ask what that era allows.
    auto era = probes::gpa_era(version_of(evidence.cycle.aggregated_status));
    if (era.send_provision) {
      auto follow_up = options;
      follow_up.gpa_era = era;
      follow_up.only = {probes::Target::gpa_provision};
      auto more = probes::run_probe_cycle(follow_up);
      for (auto& r : more.results) evidence.cycle.results.push_back(std::move(r));
      if (more.provision) evidence.cycle.provision = std::move(more.provision);
      evidence.cycle.withheld.erase(
          std::remove(evidence.cycle.withheld.begin(), evidence.cycle.withheld.end(),
                      probes::Target::gpa_provision),
          evidence.cycle.withheld.end());
    }
    evidence.gpa_era = era;
  }
  evidence.keys = probes::list_key_folder(sources.key_dir);
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
