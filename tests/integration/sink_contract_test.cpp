// One contract, every sink (issue 25): the promises the dispatcher and the daemon rely on, run on
// each sink the same way, against real receivers on loopback and real files.
//   1. A fired key verdict is delivered, and the sink says so.
//   2. A stuck target (a receiver that never answers, a locked pool, a folder that is a file)
//      gives a failure, never a hang: publish returns, bounded by the sink's own deadline.
//   3. No planted credential (HMAC secret, bearer token, Event Grid key, a SAS or function key in
//      a URL) reaches any output: results, health, files written, bodies sent.
//   4. A sink that keeps what it accepted (webhook, CloudEvents, blob) loses nothing across a
//      restart while its receiver is down, and delivers it once when the receiver is back.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "reporting/sinks/alertmanager_sink.h"
#include "reporting/sinks/blob_sink.h"
#include "reporting/sinks/kvp_sink.h"
#include "reporting/sinks/log_sink.h"
#include "reporting/sinks/metrics_sink.h"
#include "reporting/sinks/report_file_sink.h"
#include "reporting/sinks/serial_sink.h"
#include "reporting/sinks/webhook_sink.h"
#include "tests/sinks/delivery_test_reports.h"
#include "tests/support/capture_server.h"
#include "tests/support/raw_server.h"
#include "tests/support/test_support.h"

namespace latchwatch::reporting {
namespace {

using namespace std::chrono_literals;
using testing::CaptureServer;
using testing::TempDir;

constexpr const char* kPlanted = "PLANTED-SECRET";

/// What each sink is pointed at. The stuck receiver reads the request and then waits for the
/// client to give up (end of stream): it never answers.
struct Targets {
  TempDir dir;
  CaptureServer ok{200};
  CaptureServer created{201};  // Put Blob answers 201
  testing::RawServer silent{[](int& fd) {
    testing::read_request_head(fd);
    char buffer[4096];
    while (::read(fd, buffer, sizeof buffer) > 0) {
    }
  }};
  int held_lock = -1;  ///< another writer's lock on the KVP pool
  ~Targets() {
    if (held_lock >= 0) ::close(held_lock);
  }
  std::string http(std::uint16_t port) const { return "http://127.0.0.1:" + std::to_string(port); }
};

struct SinkCase {
  std::string name;
  /// Builds the sink against a target that takes the report (`stuck` false) or never can.
  std::function<std::unique_ptr<Sink>(Targets&, bool stuck)> make;
  /// True when the sink promises to keep what it accepted across restarts (a spool).
  bool keeps_accepted = false;
  /// The receiver that answers it, when it is a network sink.
  std::function<CaptureServer&(Targets&)> receiver;
};

WebhookOptions webhook_options(Targets& t, bool stuck, WebhookFormat format) {
  WebhookOptions o;
  const auto port = stuck ? t.silent.endpoint().port : t.ok.port();
  // A function key in the query, as Azure Functions and Logic App trigger URLs carry one.
  o.url = t.http(port) + "/api/hook?code=" + std::string(kPlanted) + "-function-key";
  o.secret = std::string(kPlanted) + "-hmac";
  o.format = format;
  if (format == WebhookFormat::cloudevents) o.event_grid_key = std::string(kPlanted) + "-aeg";
  o.timeout = 300ms;
  o.spool_dir = t.dir / "webhook-spool";
  return o;
}

std::vector<SinkCase> all_sinks() {
  std::vector<SinkCase> cases;
  cases.push_back({"webhook",
                   [](Targets& t, bool stuck) -> std::unique_ptr<Sink> {
                     return std::make_unique<WebhookSink>(
                         webhook_options(t, stuck, WebhookFormat::json));
                   },
                   true, [](Targets& t) -> CaptureServer& { return t.ok; }});
  cases.push_back({"cloudevents",
                   [](Targets& t, bool stuck) -> std::unique_ptr<Sink> {
                     return std::make_unique<WebhookSink>(
                         webhook_options(t, stuck, WebhookFormat::cloudevents));
                   },
                   true, [](Targets& t) -> CaptureServer& { return t.ok; }});
  cases.push_back({"blob",
                   [](Targets& t, bool stuck) -> std::unique_ptr<Sink> {
                     BlobOptions o;
                     const auto port = stuck ? t.silent.endpoint().port : t.created.port();
                     o.container_url = t.http(port) +
                                       "/devstoreaccount1/reports?sv=2021-08-06&sr=c&sp=cw&sig=" +
                                       std::string(kPlanted) + "-sas";
                     o.timeout = 300ms;
                     o.spool_dir = t.dir / "blob-spool";
                     o.write_latest = false;  // the latest blob is not spooled: another promise
                     return std::make_unique<BlobSink>(o);
                   },
                   true, [](Targets& t) -> CaptureServer& { return t.created; }});
  cases.push_back({"alertmanager",
                   [](Targets& t, bool stuck) -> std::unique_ptr<Sink> {
                     AlertmanagerOptions o;
                     o.url = t.http(stuck ? t.silent.endpoint().port : t.ok.port());
                     o.bearer_token = std::string(kPlanted) + "-bearer";
                     o.timeout = 300ms;
                     o.state_file = t.dir / "alertmanager.json";
                     return std::make_unique<AlertmanagerSink>(o);
                   },
                   false, [](Targets& t) -> CaptureServer& { return t.ok; }});
  cases.push_back({"report_file",
                   [](Targets& t, bool stuck) -> std::unique_ptr<Sink> {
                     std::string state = t.dir / "state";
                     if (stuck) testing::write_file(state, "a file where the folder should be");
                     return std::make_unique<ReportFileSink>(state, 1 << 20);
                   },
                   false, nullptr});
  cases.push_back({"metrics",
                   [](Targets& t, bool stuck) -> std::unique_ptr<Sink> {
                     std::string folder = t.dir / "textfile";
                     if (stuck)
                       testing::write_file(folder, "a file where the folder should be");
                     else
                       testing::write_file(folder + "/.keep", "");
                     return std::make_unique<MetricsSink>(std::make_shared<MetricsText>(), folder);
                   },
                   false, nullptr});
  cases.push_back({"serial",
                   [](Targets& t, bool stuck) -> std::unique_ptr<Sink> {
                     std::string device = t.dir / "console";
                     if (stuck) {
                       // A FIFO nobody reads: writes are non-blocking, so lines are dropped.
                       EXPECT_EQ(::mkfifo(device.c_str(), 0600), 0);
                     } else {
                       testing::write_file(device, "");  // a console capture, as configured
                     }
                     return std::make_unique<SerialSink>(device);
                   },
                   false, nullptr});
  cases.push_back({"kvp",
                   [](Targets& t, bool stuck) -> std::unique_ptr<Sink> {
                     std::string pool = t.dir / "kvp_pool_1";
                     testing::write_file(pool, "");
                     if (stuck) {
                       // Another writer holds the pool's lock and never lets go.
                       t.held_lock = ::open(pool.c_str(), O_RDWR);
                       EXPECT_EQ(::flock(t.held_lock, LOCK_EX), 0);
                     }
                     return std::make_unique<KvpSink>(pool, 200ms);
                   },
                   false, nullptr});
  cases.push_back(
      {"log", [](Targets&, bool) -> std::unique_ptr<Sink> { return std::make_unique<LogSink>(); },
       false, nullptr});
  return cases;
}

/// Everything a sink left behind or said, as one text to search.
std::string outputs(const Targets& t, const Sink& sink, const std::vector<PublishResult>& results) {
  std::string all = dump_json(sink.health());
  for (const auto& r : results) all += "\n" + r.error;
  for (const auto& path : testing::files_containing(t.dir.path(), kPlanted))
    all += "\nFILE " + path;
  return all;
}

void PrintTo(const SinkCase& c, std::ostream* out) { *out << c.name; }

class SinkContract : public ::testing::TestWithParam<SinkCase> {};

TEST_P(SinkContract, DeliversAFiredKeyVerdictAndSaysSo) {
  Targets t;
  auto sink = GetParam().make(t, false);
  auto report = testing::delivery::sample_report(VerdictCode::key_lost);
  EXPECT_TRUE(sink->accept(report).ok);
  auto result = sink->publish(report);
  EXPECT_TRUE(result.ok) << result.error;
  if (GetParam().receiver) {
    auto sent = GetParam().receiver(t).captured();
    ASSERT_FALSE(sent.empty()) << "nothing reached the receiver";
    EXPECT_NE(sent.front().body.find("key_lost"), std::string::npos) << sent.front().body;
  }
}

TEST_P(SinkContract, AStuckTargetGivesAFailureNotAHang) {
  if (GetParam().name == "log") GTEST_SKIP() << "writes to the process's own log: nothing to stick";
  Targets t;
  auto sink = GetParam().make(t, true);
  auto report = testing::delivery::sample_report(VerdictCode::key_lost);
  sink->accept(report);
  // Returning at all is the promise (a hang would end in ctest's timeout); the sink says why.
  auto result = sink->publish(report);
  if (GetParam().name == "serial") {
    EXPECT_TRUE(result.ok) << "a console nobody reads drops lines: " << result.error;
  } else {
    EXPECT_FALSE(result.ok);
    EXPECT_FALSE(result.error.empty());
  }
}

TEST_P(SinkContract, NoPlantedCredentialReachesAnyOutput) {
  Targets t;
  auto report = testing::delivery::sample_report(VerdictCode::key_lost);
  std::vector<PublishResult> results;
  std::string said;
  {
    auto stuck = GetParam().make(t, true);
    results.push_back(stuck->accept(report));
    results.push_back(stuck->publish(report));
    said += outputs(t, *stuck, results);
  }
  Targets healthy;
  auto sink = GetParam().make(healthy, false);
  results.push_back(sink->accept(report));
  results.push_back(sink->publish(report));
  said += outputs(healthy, *sink, results);
  EXPECT_EQ(said.find(kPlanted), std::string::npos) << said;
  if (GetParam().receiver) {
    for (const auto& request : GetParam().receiver(healthy).captured())
      EXPECT_EQ(request.body.find(kPlanted), std::string::npos) << request.body;
  }
}

INSTANTIATE_TEST_SUITE_P(EverySink, SinkContract, ::testing::ValuesIn(all_sinks()),
                         [](const auto& info) { return info.param.name; });

class SpoolingSinkContract : public ::testing::TestWithParam<SinkCase> {};

TEST_P(SpoolingSinkContract, WhatItAcceptedSurvivesARestartAndIsDeliveredOnce) {
  Targets t;
  auto& receiver = GetParam().receiver(t);
  const int ok_status = GetParam().name == "blob" ? 201 : 200;
  receiver.answer(503);
  auto report = testing::delivery::sample_report(VerdictCode::key_lost);
  {
    auto sink = GetParam().make(t, false);
    ASSERT_TRUE(sink->accept(report).ok);
    EXPECT_FALSE(sink->publish(report).ok) << "the receiver is down";
  }  // the daemon stops (or dies) here: the report is only on disk
  const auto refused = receiver.captured().size();
  ASSERT_GE(refused, 1u);
  receiver.answer(ok_status);
  auto restarted = GetParam().make(t, false);
  auto result = restarted->publish(testing::delivery::sample_report(VerdictCode::healthy));
  EXPECT_TRUE(result.ok) << result.error;
  auto sent = receiver.captured();
  std::size_t delivered = 0;
  for (std::size_t i = refused; i < sent.size(); ++i)
    if (sent[i].body.find("key_lost") != std::string::npos &&
        sent[i].body.find("\"transition\":\"fired\"") != std::string::npos)
      ++delivered;
  EXPECT_EQ(delivered, 1u) << "the accepted report, once";
  EXPECT_EQ(restarted->health()["spool_entries"], 0);
  EXPECT_TRUE(restarted->publish(report).ok);
  std::size_t again = 0;
  for (const auto& request : receiver.captured())
    if (request.body.find("\"transition\":\"fired\"") != std::string::npos) ++again;
  EXPECT_EQ(again, refused + 1) << "nothing sent twice once delivered";
}

std::vector<SinkCase> spooling_sinks() {
  std::vector<SinkCase> out;
  for (auto& c : all_sinks())
    if (c.keeps_accepted) out.push_back(c);
  return out;
}

INSTANTIATE_TEST_SUITE_P(EverySpoolingSink, SpoolingSinkContract,
                         ::testing::ValuesIn(spooling_sinks()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace latchwatch::reporting
