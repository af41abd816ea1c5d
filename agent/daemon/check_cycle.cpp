#include "agent/daemon/check_cycle.h"

#include <spdlog/spdlog.h>

#include "agent/diagnosis/diagnose.h"
#include "agent/diagnosis/evidence.h"
#include "probes/os/atomic_file.h"

namespace latchwatch::agent {

latchwatch::Report run_check_cycle(const Config& config,
                                   std::chrono::system_clock::time_point now) {
  auto evidence = diagnosis::collect_evidence(config.sources, now);
  auto report = diagnosis::diagnose(evidence, config.diagnosis);
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
