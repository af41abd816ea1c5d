#pragma once
/// The health endpoint's answer (GET/HEAD /health on the metrics listener, when enabled): what an
/// Azure Load Balancer or Application Gateway probe, a Connection Monitor test or an uptime
/// checker reads without parsing. 200 while no owner action is needed; 503 with a short JSON body
/// {"verdict", "action", "resource"} while a counted verdict is the confirmed (debounced) one.
///
/// Which verdicts count is configured; the default (`default_health_verdicts`) is the key verdicts
/// that need a reset now: key_lost, key_mismatch, key_suspect_mismatch. key_loss_latent is left
/// out by default: the key still works, and an unhealthy answer would take traffic away (and may
/// start a scale set's automatic repair, whose Restart would turn the latent loss into a real one).
///
/// Before the first cycle the answer is 200 ("starting"): a restart must not pull a VM out of its
/// load balancer before latchwatch knows anything. Kept across reloads, like the metrics text.
///
/// Thread-safety: every member may be called from any thread.

#include <mutex>
#include <string>
#include <vector>

#include "reporting/report/verdict.h"
#include "reporting/sinks/sink.h"

namespace latchwatch::reporting {

std::vector<latchwatch::VerdictCode> default_health_verdicts();

/// Parses "key_lost,key_mismatch" (commas, optional spaces) into verdict codes; false with
/// `error` naming the bad entry. `healthy` and an empty list are refused.
bool parse_health_verdicts(const std::string& text, std::vector<latchwatch::VerdictCode>& out,
                           std::string& error);
std::string health_verdicts_text(const std::vector<latchwatch::VerdictCode>& codes);

class HealthAnswer {
 public:
  struct Reply {
    int status = 200;
    std::string body;  ///< JSON, one line
  };

  /// Turns the endpoint on or off and sets the verdicts that answer 503 (from config, at start
  /// and at every reload); the last cycle's answer is recomputed with them.
  void configure(bool enabled, std::vector<latchwatch::VerdictCode> counted);
  bool enabled() const;
  /// Takes one cycle's debounced decision (called on the daemon's thread at every cycle).
  void update(const CycleReport& report);
  Reply reply() const;

 private:
  Reply compute() const;  ///< with mutex_ held

  mutable std::mutex mutex_;
  bool enabled_ = false;
  std::vector<latchwatch::VerdictCode> counted_ = default_health_verdicts();
  bool seen_ = false;
  latchwatch::VerdictCode verdict_ = latchwatch::VerdictCode::healthy;
  std::string resource_;
};

}  // namespace latchwatch::reporting
