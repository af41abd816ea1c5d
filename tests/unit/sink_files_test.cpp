// Sinks that write files and devices: serial console, webhook spool, report file.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "reporting/sinks/report_file_sink.h"
#include "reporting/sinks/serial_sink.h"
#include "reporting/sinks/webhook_sink.h"
#include "tests/support/manual_clock.h"
#include "tests/support/test_support.h"

namespace latchwatch::reporting {
namespace {

using testing::TempDir;

CycleReport fired(diagnosis::VerdictCode code) {
  CycleReport r;
  r.report.verdict = {code, diagnosis::info(code).severity, diagnosis::info(code).meaning};
  r.has_confirmed = true;
  r.confirmed = code;
  r.transition = Transition::fired;
  r.cycle = 3;
  return r;
}

TEST(SerialSink, WritesOneAsciiLinePerTransitionAndNeverBlocks) {
  TempDir dir;
  std::string fifo = dir / "ttyS0";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  SerialSink sink(fifo);
  // Nobody reading: the line is dropped and counted, the call returns at once.
  EXPECT_TRUE(sink.publish(fired(diagnosis::VerdictCode::key_lost)).ok);
  EXPECT_EQ(sink.health()["dropped_lines"], 1);

  int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  EXPECT_TRUE(sink.publish(fired(diagnosis::VerdictCode::key_lost)).ok);
  char buffer[512] = {};
  ssize_t n = ::read(reader, buffer, sizeof buffer - 1);
  ::close(reader);
  ASSERT_GT(n, 0);
  std::string line(buffer, static_cast<std::size_t>(n));
  EXPECT_EQ(line.rfind("latchwatch: v1 fired key_lost ", 0), 0u) << line;
  EXPECT_EQ(line.substr(line.size() - 2), "\r\n");
  for (char c : line.substr(0, line.size() - 2))
    EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "non-ASCII byte in " << line;

  auto unchanged = fired(diagnosis::VerdictCode::key_lost);
  unchanged.transition = Transition::unchanged;
  EXPECT_TRUE(sink.publish(unchanged).ok);
  EXPECT_EQ(sink.health()["dropped_lines"], 1) << "unchanged cycles write nothing";
}

WebhookOptions dead_webhook(const TempDir& dir, std::size_t max_entries) {
  WebhookOptions options;
  options.url = "http://127.0.0.1:" + std::to_string(testing::free_port()) + "/hook";  // nobody
  options.secret = "s";
  options.spool_dir = dir / "spool";
  options.spool_max_entries = max_entries;
  return options;
}

TEST(WebhookSpool, CorruptEntryIsSetAsideNeverDeliveredNorFatal) {
  TempDir dir;
  WebhookSink sink(dead_webhook(dir, 10));
  testing::write_file(dir / "spool/00000000000000000001.json", "{\"delivery\": ");  // torn
  EXPECT_TRUE(sink.accept(fired(diagnosis::VerdictCode::key_lost)).ok) << "spooled";
  EXPECT_FALSE(sink.publish(fired(diagnosis::VerdictCode::key_lost)).ok) << "nobody listens";
  EXPECT_EQ(::access((dir / "spool/00000000000000000001.json.corrupt").c_str(), F_OK), 0);
  EXPECT_EQ(sink.health()["spool_corrupt"], 1);
  EXPECT_EQ(sink.health()["spool_entries"], 1) << "the new report waits, after the torn one";
  EXPECT_EQ(::access((dir / "spool/00000000000000000002.json").c_str(), F_OK), 0);
}

TEST(WebhookSpool, IsBoundedDroppingTheOldestFirst) {
  TempDir dir;
  WebhookSink sink(dead_webhook(dir, 3));
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(sink.accept(fired(diagnosis::VerdictCode::key_lost)).ok);
    EXPECT_FALSE(sink.publish(fired(diagnosis::VerdictCode::key_lost)).ok);
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
  ASSERT_TRUE(sink.accept(fired(diagnosis::VerdictCode::key_lost)).ok);
  auto first = sink.publish(fired(diagnosis::VerdictCode::key_lost));
  EXPECT_FALSE(first.ok);
  EXPECT_EQ(first.error.find("backing off"), std::string::npos) << "tried: " << first.error;
  auto waiting = sink.publish(fired(diagnosis::VerdictCode::key_lost));
  EXPECT_NE(waiting.error.find("backing off"), std::string::npos) << waiting.error;
  clock.advance(std::chrono::seconds(1));  // retry_delay(1)
  auto second = sink.publish(fired(diagnosis::VerdictCode::key_lost));
  EXPECT_EQ(second.error.find("backing off"), std::string::npos) << "tried again: " << second.error;
  clock.advance(std::chrono::seconds(1));  // retry_delay(2) is 2 s: still waiting
  EXPECT_NE(sink.publish(fired(diagnosis::VerdictCode::key_lost)).error.find("backing off"),
            std::string::npos);
  EXPECT_EQ(sink.health()["spool_entries"], 1) << "nothing lost while retrying";
}

}  // namespace
}  // namespace latchwatch::reporting
