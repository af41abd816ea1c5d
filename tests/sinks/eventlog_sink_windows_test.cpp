// The Event Log sink on Windows: registers the source and reports through the real advapi32
// (under wine, ReportEventW accepts the event; on Windows it lands in the Application log).
#include <gtest/gtest.h>

#include "reporting/sinks/eventlog_sink.h"
#include "tests/sinks/delivery_test_reports.h"

namespace latchwatch::reporting {
namespace {

using testing::delivery::report;

TEST(EventLogSinkWindows, PublishesEachTransitionAndNothingForUnchangedCycles) {
  ASSERT_TRUE(eventlog_available());
  std::string error;
  auto sink = make_eventlog_sink(kEventLogSource, error);
  ASSERT_NE(sink, nullptr) << error;
  EXPECT_EQ(sink->name(), "eventlog");
  auto fired = sink->publish(report(latchwatch::VerdictCode::key_lost, Transition::fired));
  EXPECT_TRUE(fired.ok) << fired.error;
  auto fault = sink->publish(report(latchwatch::VerdictCode::gpa_down, Transition::changed));
  EXPECT_TRUE(fault.ok) << fault.error;
  auto back = sink->publish(report(latchwatch::VerdictCode::healthy, Transition::resolved));
  EXPECT_TRUE(back.ok) << back.error;
  EXPECT_TRUE(sink->publish(report(latchwatch::VerdictCode::healthy, Transition::unchanged)).ok);
  EXPECT_EQ(sink->health()["events_written"], 3);
}

}  // namespace
}  // namespace latchwatch::reporting
