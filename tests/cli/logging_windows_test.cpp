// Logging on Windows: stderr always, the Event Log (source "latchwatch") when log.syslog asks
// for the system log. Wine's event log accepts the events (it cannot be read back there).

#include <gtest/gtest.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/win_eventlog_sink.h>
#include <spdlog/spdlog.h>

#include <memory>

#include "agent/cli/logging.h"
#include "agent/config/config.h"

namespace latchwatch::agent {
namespace {

TEST(WindowsLogging, StderrAloneByDefault) {
  Config config;
  setup_logging(config);
  auto logger = spdlog::default_logger();
  ASSERT_EQ(logger->sinks().size(), 1u);
  EXPECT_NE(std::dynamic_pointer_cast<spdlog::sinks::stderr_sink_mt>(logger->sinks()[0]), nullptr);
  EXPECT_EQ(logger->level(), spdlog::level::info);
  EXPECT_FALSE(is_journal_stream("1:2", 2)) << "no journal on Windows";
}

TEST(WindowsLogging, TheSystemLogIsTheEventLogUnderTheLatchwatchSource) {
  Config config;
  config.syslog_enabled = true;
  config.log_level = "debug";
  setup_logging(config);
  auto logger = spdlog::default_logger();
  ASSERT_EQ(logger->sinks().size(), 2u);
  auto event_log =
      std::dynamic_pointer_cast<spdlog::sinks::win_eventlog_sink_mt>(logger->sinks()[1]);
  ASSERT_NE(event_log, nullptr);
  EXPECT_EQ(logger->level(), spdlog::level::debug);
  // ReportEvent failing would go to the logger's error handler; count those.
  int failures = 0;
  logger->set_error_handler([&](const std::string&) { ++failures; });
  logger->warn("latchwatch Windows logging test: one warning to the Event Log");
  logger->error("latchwatch Windows logging test: one error to the Event Log");
  EXPECT_EQ(failures, 0);
  setup_logging(Config{});
}

}  // namespace
}  // namespace latchwatch::agent
