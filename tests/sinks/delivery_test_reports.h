#pragma once
/// Cycle reports the sink and delivery tests share (the portable test files and their
/// *_posix_test.cpp halves).

#include <chrono>

#include "probes/fabric/probe_result.h"
#include "reporting/report/verdict.h"
#include "reporting/sinks/sink.h"

namespace latchwatch::testing::delivery {

inline reporting::CycleReport report_for(latchwatch::VerdictCode code,
                                         reporting::Transition transition) {
  reporting::CycleReport r;
  r.report.verdict = {code, latchwatch::info(code).severity, latchwatch::info(code).meaning};
  r.report.identity.vm_id = "d0a1b2c3-0000-4000-8000-000000000001";
  r.has_confirmed = true;
  r.confirmed = code;
  r.transition = transition;
  r.cycle = 5;
  r.host = "host1";
  r.finished = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  return r;
}

/// Only the verdict and the transition: what a sink that formats events needs.
inline reporting::CycleReport report(latchwatch::VerdictCode code,
                                     reporting::Transition transition) {
  reporting::CycleReport r;
  r.report.verdict = {code, latchwatch::info(code).severity, latchwatch::info(code).meaning};
  r.has_confirmed = true;
  r.confirmed = code;
  r.transition = transition;
  return r;
}

/// The third cycle, in which `code` fired: the least a sink needs to write a line.
inline reporting::CycleReport fired(latchwatch::VerdictCode code) {
  reporting::CycleReport r;
  r.report.verdict = {code, latchwatch::info(code).severity, latchwatch::info(code).meaning};
  r.has_confirmed = true;
  r.confirmed = code;
  r.transition = reporting::Transition::fired;
  r.cycle = 3;
  return r;
}

/// A fired key verdict with identity, one probe and a sink's health: what the daemon's state
/// files and metrics are built from.
inline reporting::CycleReport sample_report(latchwatch::VerdictCode code) {
  reporting::CycleReport r;
  r.report.verdict = {code, latchwatch::info(code).severity, latchwatch::info(code).meaning};
  r.report.identity.vm_id = "d0a1b2c3-0000-4000-8000-000000000001";
  r.report.identity.name = "vm1";
  r.report.identity.resource_id =
      "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/vm1";
  r.has_confirmed = true;
  r.confirmed = code;
  r.transition = reporting::Transition::fired;
  r.cycle = 7;
  r.host = "host1";
  probes::ProbeResult p;
  p.target = probes::Target::wireserver_status;
  p.outcome = probes::Outcome::ok;
  p.summary = {{"keyIncarnationId", 10}};
  r.report.probes.push_back(p);
  reporting::SinkHealth webhook;
  webhook.name = "webhook";
  webhook.up = false;
  webhook.failures = 3;
  webhook.extra = {{"spool_entries", 2}, {"spool_dropped", 1}};
  r.sinks_health.push_back(webhook);
  return r;
}

}  // namespace latchwatch::testing::delivery
