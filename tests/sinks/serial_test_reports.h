#pragma once
/// What the serial line tests share (serial_line_test.cpp, and serial_line_posix_test.cpp for the
/// FIFO and pty cases): one VM's identity and a cycle report with a given transition.

#include <chrono>
#include <string>

#include "reporting/report/report.h"
#include "reporting/report/verdict.h"
#include "reporting/sinks/sink.h"

namespace latchwatch::testing::serial {

using reporting::CycleReport;

inline const std::string kSub = "6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f";
inline const std::string kVmId = "8a3c1f52-6d0e-4b7a-9c21-5e4f3a2b1c0d";
inline const std::string kRid =
    "/subscriptions/" + kSub +
    "/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/vm-web-01";

inline CycleReport cycle(latchwatch::VerdictCode code, reporting::Transition transition,
                         std::chrono::system_clock::time_point at) {
  CycleReport r;
  r.report.verdict = {code, latchwatch::info(code).severity, latchwatch::info(code).meaning};
  r.report.generated_at = latchwatch::iso8601_utc(at);
  r.report.identity.source = "imds";
  r.report.identity.resource_id = kRid;
  r.report.identity.name = "vm-web-01";
  r.report.identity.vm_id = kVmId;
  if (latchwatch::info(code).needs_key_reset) {
    latchwatch::Remedy remedy;
    remedy.current_incarnation = 6;
    remedy.next_incarnation = 7;
    r.report.remedy = remedy;
  }
  r.has_confirmed = true;
  r.confirmed = code;
  r.transition = transition;
  r.host = "vm-web-01";
  r.started = r.finished = at;
  return r;
}

}  // namespace latchwatch::testing::serial
