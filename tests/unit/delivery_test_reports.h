#pragma once
/// The cycle report the delivery tests share (delivery_units_test.cpp, and
/// delivery_units_posix_test.cpp for the POSIX-only file cases).

#include <chrono>

#include "agent/diagnosis/verdict.h"
#include "reporting/sink.h"

namespace latchwatch::testing::delivery {

inline reporting::CycleReport report_for(diagnosis::VerdictCode code,
                                          reporting::Transition transition) {
  reporting::CycleReport r;
  r.report.verdict = {code, diagnosis::info(code).severity, diagnosis::info(code).meaning};
  r.report.identity.vm_id = "d0a1b2c3-0000-4000-8000-000000000001";
  r.has_confirmed = true;
  r.confirmed = code;
  r.transition = transition;
  r.cycle = 5;
  r.host = "host1";
  r.finished = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  return r;
}

}  // namespace latchwatch::testing::delivery
