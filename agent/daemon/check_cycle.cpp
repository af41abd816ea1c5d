#include "agent/daemon/check_cycle.h"

#include <spdlog/spdlog.h>

#include "agent/diagnosis/diagnose.h"
#include "agent/diagnosis/evidence.h"
#include "probes/os/atomic_file.h"

namespace latchwatch::agent {

std::vector<latchwatch::Channel> configured_channels(const Config& config) {
  using latchwatch::Channel;
  std::vector<Channel> channels;
  if (config.serial_enabled) channels.push_back(Channel::serial_console);
  if (config.metrics_enabled) channels.push_back(Channel::metrics_scrape);
  if (config.alertmanager.enabled) channels.push_back(Channel::alertmanager);
  if (config.webhook.enabled) channels.push_back(Channel::webhook);
  if (config.kvp_enabled) channels.push_back(Channel::kvp);
  if (config.report_file_enabled) channels.push_back(Channel::report_file);
  if (config.syslog_enabled || config.eventlog_enabled) channels.push_back(Channel::local_log);
  return channels;
}

latchwatch::Report run_check_cycle(const Config& config,
                                   std::chrono::system_clock::time_point now) {
  auto evidence = diagnosis::collect_evidence(config.sources, now);
  auto report = diagnosis::diagnose(evidence, config.diagnosis);
  if (report.blast_radius && evidence.cycle.status)
    *report.blast_radius =
        latchwatch::blast_radius(evidence.cycle.status->wireserver, evidence.cycle.status->imds,
                                 configured_channels(config));
  if (config.sources.state_dir.empty()) return report;
  auto next = diagnosis::identity_to_cache(evidence, report);
  if (!next && evidence.cycle.imds && evidence.cycle.imds->rejected.empty() &&
      evidence.cache.identity) {
    // IMDS confirmed the cached identity unchanged: note when, without rewriting the file.
    (void)latchwatch::probes::touch(diagnosis::identity_cache_path(config.sources.state_dir));
  }
  if (next) {
    auto error = diagnosis::store_identity_cache(config.sources.state_dir, *next);
    if (!error.empty()) {
      spdlog::warn("identity cache not written: {}", error);
      report.findings.push_back({"identity_cache_unwritable", latchwatch::Severity::warning,
                                 "identity_cache", "identity cache not written: " + error,
                                 nullptr});
    }
  }
  return report;
}

}  // namespace latchwatch::agent
