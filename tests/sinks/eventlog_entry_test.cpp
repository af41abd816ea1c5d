// The Event Log sink's events (pure: type, id and text per transition) and its config key, on
// both platforms; the Windows sink itself is tests/sinks/eventlog_sink_windows_test.cpp.
#include <gtest/gtest.h>

#include "agent/config/config.h"
#include "reporting/sinks/eventlog_sink.h"
#include "tests/sinks/delivery_test_reports.h"

namespace latchwatch {
namespace reporting {
namespace {

using testing::delivery::report;

TEST(EventLogEntry, KeyVerdictsAreErrorsWithTheResetFaultsWarningsRecoveryInformation) {
  auto key = report(latchwatch::VerdictCode::key_lost, Transition::fired);
  latchwatch::Remedy remedy;
  remedy.next_incarnation = 7;
  remedy.resource_id =
      "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm";
  key.report.remedy = remedy;
  auto entry = eventlog_entry(key);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->type, EventType::error);
  EXPECT_EQ(entry->id, kEventKeyVerdict);
  EXPECT_NE(entry->text.find("key_lost"), std::string::npos) << entry->text;
  EXPECT_NE(entry->text.find("keyIncarnationId -> 7"), std::string::npos) << entry->text;
  EXPECT_NE(entry->text.find(remedy.resource_id), std::string::npos) << entry->text;

  auto fault = eventlog_entry(report(latchwatch::VerdictCode::gpa_down, Transition::fired));
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->type, EventType::warning);
  EXPECT_EQ(fault->id, kEventFault);

  auto changed = eventlog_entry(report(latchwatch::VerdictCode::key_lost, Transition::changed));
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->id, kEventKeyVerdict);

  auto back = eventlog_entry(report(latchwatch::VerdictCode::healthy, Transition::resolved));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->type, EventType::information);
  EXPECT_EQ(back->id, kEventRecovered);

  EXPECT_FALSE(eventlog_entry(report(latchwatch::VerdictCode::key_lost, Transition::unchanged)))
      << "unchanged cycles write no event";
}

TEST(EventLogConfig, OnByDefaultOnlyWhereThereIsAnEventLogAndRefusedElsewhere) {
  agent::Config config;
  EXPECT_EQ(config.eventlog_enabled, eventlog_available());
  config.eventlog_enabled = true;
  std::string error = agent::config_error(config);
  if (eventlog_available()) {
    EXPECT_EQ(error, "");
  } else {
    EXPECT_NE(error.find("sinks.eventlog.enabled"), std::string::npos) << error;
    EXPECT_NE(error.find("Windows only"), std::string::npos) << error;
    std::string why;
    EXPECT_EQ(make_eventlog_sink(kEventLogSource, why), nullptr);
    EXPECT_NE(why.find("Windows only"), std::string::npos) << why;
  }
}

}  // namespace
}  // namespace reporting
}  // namespace latchwatch
