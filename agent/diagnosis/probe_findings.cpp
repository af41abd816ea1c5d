// Findings from the fabric probes.
#include "agent/diagnosis/diagnosis_steps.h"

#include <cmath>
#include "probes/base/json_limits.h"
#include "probes/base/utc_time.h"
#include "probes/local/smbios.h"
#include "reporting/report/remedy.h"

namespace latchwatch::diagnosis::detail {

void probe_findings(const Evidence& e, const Facts& f, FindingList& out) {
  for (const auto& r : e.cycle.results) {
    if (r.outcome == Outcome::ok) continue;
    bool core = r.target == Target::wireserver_status || r.target == Target::imds_instance;
    Severity severity = (core && unreachable(&r)) ? Severity::critical : Severity::warning;
    // Only GPA 1.0.47 behind its redirect serves it: 404 elsewhere is the normal answer.
    if (r.target == Target::gpa_aggregated_status) severity = Severity::ok;
    out.add_family(
        std::string(to_string(r.target)) + "_" + to_string(r.outcome), severity,
        to_string(r.target), r.error,
        {{"endpoint", r.endpoint}, {"http_status", r.http_status}, {"via_gpa", r.via_gpa}});
  }
  if (const auto& s = e.cycle.status) {
    out.add(FindingId::secure_channel_state, Severity::ok, "wireserver_status",
            std::string("secure channel ") + (s->enabled ? "enabled" : "disabled") +
                " (WireServer " + to_string(s->wireserver) + ", IMDS " + to_string(s->imds) +
                ", HostGA " + to_string(f.hostga_mode) + "), server keyGuid " +
                (s->key_guid.empty() ? "none" : s->key_guid) + ", keyIncarnationId " +
                (s->key_incarnation_id ? std::to_string(*s->key_incarnation_id) : "none"),
            *s);
    if (f.era.hostga_mode_from_hostga_item && s->enabled)
      out.add(FindingId::hostga_mode_from_item, Severity::ok, "wireserver_status",
              "GPA " + f.gpa->agent_version +
                  " takes HostGAPlugin's mode from the v2 hostga rule item (" +
                  (s->hostga_item_mode ? to_string(*s->hostga_item_mode) : "absent: disabled") +
                  "); from 1.0.28 GPA follows WireServer's mode");
    else if (s->hostga_item_ignored)
      out.add(FindingId::hostga_rule_item_ignored, Severity::ok, "wireserver_status",
              "the v2 body's hostga rule item differs from WireServer's; GPA (1.0.28 on) ignores "
              "it and HostGAPlugin follows WireServer's mode");
  }
  if (e.cycle.aggregated_status && f.aggregated_ignored.empty())
    out.add(FindingId::gpa_aggregated_status, Severity::ok, "gpa_aggregated_status",
            "GPA served its in-memory status (GET /gpa-aggregated-status); it is used instead of "
            "status.json");
  else if (e.cycle.aggregated_status)
    out.add(FindingId::gpa_aggregated_status_ignored, Severity::warning, "gpa_aggregated_status",
            "GPA's in-memory status (GET /gpa-aggregated-status) is not used: " +
                f.aggregated_ignored + "; the verdict follows the other evidence");
}

}  // namespace latchwatch::diagnosis::detail
