// Sinks that write files and devices: serial console, webhook spool, report file.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "reporting/sinks/report_file_sink.h"
#include "reporting/sinks/serial_sink.h"
#include "reporting/sinks/webhook_sink.h"
#include "tests/sinks/delivery_test_reports.h"
#include "tests/support/manual_clock.h"
#include "tests/support/test_support.h"

namespace latchwatch::reporting {
namespace {

using testing::TempDir;

using testing::delivery::fired;

WebhookOptions dead_webhook(const TempDir& dir, std::size_t max_entries) {
  WebhookOptions options;
  // Port 1 (tcpmux): nobody listens on loopback; refused at once, on Linux and under wine.
  options.url = "http://127.0.0.1:1/hook";
  options.secret = "s";
  options.spool_dir = dir / "spool";
  options.spool_max_entries = max_entries;
  return options;
}

TEST(WebhookSpool, CorruptEntryIsSetAsideNeverDeliveredNorFatal) {
  TempDir dir;
  WebhookSink sink(dead_webhook(dir, 10));
  testing::write_file(dir / "spool/00000000000000000001.json", "{\"delivery\": ");  // torn
  EXPECT_TRUE(sink.accept(fired(latchwatch::VerdictCode::key_lost)).ok) << "spooled";
  EXPECT_FALSE(sink.publish(fired(latchwatch::VerdictCode::key_lost)).ok) << "nobody listens";
  EXPECT_EQ(::access((dir / "spool/00000000000000000001.json.corrupt").c_str(), F_OK), 0);
  EXPECT_EQ(sink.health()["spool_corrupt"], 1);
  EXPECT_EQ(sink.health()["spool_entries"], 1) << "the new report waits, after the torn one";
  EXPECT_EQ(::access((dir / "spool/00000000000000000002.json").c_str(), F_OK), 0);
}

TEST(WebhookSpool, IsBoundedDroppingTheOldestFirst) {
  TempDir dir;
  WebhookSink sink(dead_webhook(dir, 3));
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(sink.accept(fired(latchwatch::VerdictCode::key_lost)).ok);
    EXPECT_FALSE(sink.publish(fired(latchwatch::VerdictCode::key_lost)).ok);
  }
  EXPECT_EQ(sink.health()["spool_entries"], 3);
  EXPECT_EQ(sink.health()["spool_dropped"], 2);
  EXPECT_NE(::access((dir / "spool/00000000000000000001.json").c_str(), F_OK), 0) << "oldest gone";
  EXPECT_EQ(::access((dir / "spool/00000000000000000005.json").c_str(), F_OK), 0) << "newest kept";
}

TEST(WebhookSpool, RetriesWaitForTheBackoffByTheInjectedClock) {
  TempDir dir;
  testing::ManualClock clock;
  auto options = dead_webhook(dir, 10);
  options.clock = &clock;
  WebhookSink sink(options);
  ASSERT_TRUE(sink.accept(fired(latchwatch::VerdictCode::key_lost)).ok);
  auto first = sink.publish(fired(latchwatch::VerdictCode::key_lost));
  EXPECT_FALSE(first.ok);
  EXPECT_EQ(first.error.find("backing off"), std::string::npos) << "tried: " << first.error;
  auto waiting = sink.publish(fired(latchwatch::VerdictCode::key_lost));
  EXPECT_NE(waiting.error.find("backing off"), std::string::npos) << waiting.error;
  clock.advance(std::chrono::seconds(1));  // retry_delay(1)
  auto second = sink.publish(fired(latchwatch::VerdictCode::key_lost));
  EXPECT_EQ(second.error.find("backing off"), std::string::npos) << "tried again: " << second.error;
  clock.advance(std::chrono::seconds(1));  // retry_delay(2) is 2 s: still waiting
  EXPECT_NE(sink.publish(fired(latchwatch::VerdictCode::key_lost)).error.find("backing off"),
            std::string::npos);
  EXPECT_EQ(sink.health()["spool_entries"], 1) << "nothing lost while retrying";
}

}  // namespace
}  // namespace latchwatch::reporting
