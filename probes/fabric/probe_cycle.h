#pragma once
/// One probe cycle: the fabric probes, run concurrently on one io_context, each under the
/// same deadline. A cycle takes about as long as its slowest probe, never the sum.

#include <atomic>
#include <chrono>
#include <optional>
#include <vector>

#include "probes/fabric/fabric_client.h"
#include "probes/fabric/probe_result.h"
#include "probes/payloads/gpa_status_file.h"
#include "probes/payloads/imds_instance.h"
#include "probes/payloads/provision_reply.h"
#include "probes/payloads/secure_channel_status.h"

namespace latchwatch::probes {

struct ProbeCycleOptions {
  FabricEndpoints endpoints;
  std::chrono::milliseconds timeout{2000};  ///< per probe; probes run in parallel
  bool probe_imds = true;                   ///< false skips IMDS (throttle back-off)
  /// GPA's era decides which GPA-facing targets are sent (allowed_for_era) and how. The default
  /// is the unknown version's: nothing that has an effect on any GPA release.
  GpaEra gpa_era;
  /// When not empty, only these targets (still filtered by the era): a follow-up question.
  std::vector<Target> only;
  /// When set and it turns true, the cycle stops early (within ~50 ms) with what it has; the
  /// daemon sets it on SIGTERM so that shutdown never waits for a probe's deadline.
  const std::atomic<bool>* cancel = nullptr;
};

struct ProbeCycle {
  std::vector<ProbeResult> results;  ///< one per Target sent, in kAllTargets order
  /// Targets the era kept from being sent (e.g. gpa_provision to a GPA ≤ 1.0.25 or unknown).
  std::vector<Target> withheld;
  std::optional<SecureChannelStatus> status;
  std::optional<ImdsCompute> imds;
  std::optional<ProvisionReply> provision;
  /// GPA's in-memory aggregate status (GET /gpa-aggregated-status, GPA 1.0.47), when it answered.
  std::optional<GpaStatusFile> aggregated_status;
  double wall_ms = 0;

  const ProbeResult* find(Target t) const;
};

ProbeCycle run_probe_cycle(const ProbeCycleOptions& options);

}  // namespace latchwatch::probes
