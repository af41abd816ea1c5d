// Issue 26 (hostile neighbours), the POSIX halves: a full disk under the webhook spool (a
// file-size limit makes every write fail as ENOSPC does). Nothing sleeps; the receiver is a real
// TCP server on loopback.

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <mutex>
#include <nlohmann/json.hpp>

#include "reporting/sinks/webhook_sink.h"
#include "tests/sinks/delivery_test_reports.h"
#include "tests/support/raw_server.h"
#include "tests/support/test_support.h"

namespace latchwatch {
namespace {

using latchwatch::VerdictCode;
using reporting::Transition;
using testing::TempDir;
using testing::delivery::report_for;

/// Every write to a regular file fails past `bytes` while it lives (soft limit only, restored).
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &previous_);
    struct rlimit limit = previous_;
    limit.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &previous_);
    std::signal(SIGXFSZ, previous_handler_);
  }

 private:
  struct rlimit previous_ {};
  void (*previous_handler_)(int) = nullptr;
};

TEST(WebhookSpool, ATransitionThatCannotBeSpooledIsStillDeliveredAndReportedNotDurable) {
  TempDir dir;
  std::mutex mutex;
  std::vector<std::string> requests;
  testing::RawServer receiver([&](int& fd) {
    auto head = testing::read_request_head(fd);
    {
      std::lock_guard<std::mutex> lock(mutex);
      requests.push_back(head);
    }
    testing::write_all(fd, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
  });
  reporting::WebhookOptions options;
  options.url = "http://127.0.0.1:" + std::to_string(receiver.endpoint().port) + "/hook";
  options.secret = "s3cret";
  options.spool_dir = dir / "spool";
  reporting::WebhookSink sink(options);

  reporting::PublishResult kept;
  {
    FileSizeLimit disk_full(0);
    kept = sink.accept(report_for(VerdictCode::key_lost, Transition::fired));
  }
  EXPECT_FALSE(kept.ok) << "the sink says the report is not durable";
  EXPECT_NE(kept.error.find("not durable"), std::string::npos) << kept.error;
  EXPECT_TRUE(testing::files_containing(dir.path(), "key_lost").empty()) << "nothing spooled";
  EXPECT_EQ(sink.health()["not_durable"], 1);
  EXPECT_EQ(sink.health()["memory_only_entries"], 1);

  // The receiver answers: the report is delivered although it never reached the disk.
  auto sent = sink.publish(report_for(VerdictCode::key_lost, Transition::fired));
  EXPECT_TRUE(sent.ok) << sent.error;
  ASSERT_EQ(receiver.connections(), 1);
  {
    std::lock_guard<std::mutex> lock(mutex);
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_NE(requests[0].find("X-Latchwatch-Delivery: "), std::string::npos);
  }
  EXPECT_EQ(sink.health()["memory_only_entries"], 0);
  EXPECT_EQ(sink.health()["spool_dropped"], 0) << "nothing dropped";
}

TEST(WebhookSpool, AReportKeptInMemoryGoesToTheSpoolOnceTheDiskTakesFilesAgain) {
  TempDir dir;
  reporting::WebhookOptions options;
  options.url = "http://127.0.0.1:1/hook";  // nobody answers
  options.secret = "s3cret";
  options.spool_dir = dir / "spool";
  reporting::WebhookSink sink(options);
  {
    FileSizeLimit disk_full(0);
    EXPECT_FALSE(sink.accept(report_for(VerdictCode::key_lost, Transition::fired)).ok);
  }
  EXPECT_FALSE(sink.publish(report_for(VerdictCode::key_lost, Transition::fired)).ok);
  EXPECT_EQ(testing::files_containing(dir / "spool", "key_lost").size(), 1u)
      << "written to the spool at the first flush after the disk recovered";
  EXPECT_EQ(sink.health()["memory_only_entries"], 0);
}

}  // namespace
}  // namespace latchwatch
