// The daemon's pure parts: debounce, metrics text, KVP records, webhook signing and backoff, URLs.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "agent/daemon/debounce.h"
#include "reporting/sinks/alertmanager_sink.h"
#include "reporting/sinks/kvp_sink.h"
#include "reporting/sinks/metrics_sink.h"
#include "reporting/sinks/url.h"
#include "reporting/sinks/webhook_sink.h"
#include "tests/sinks/delivery_test_reports.h"

namespace latchwatch {
namespace {

using agent::DebounceState;
using agent::Transition;
using latchwatch::VerdictCode;

std::vector<Transition> feed(DebounceState& state, std::vector<VerdictCode> verdicts,
                             int required) {
  std::vector<Transition> out;
  for (auto v : verdicts) out.push_back(agent::debounce(state, v, required).transition);
  return out;
}

TEST(Debounce, KeyVerdictFiresOnlyAfterConsecutiveCycles) {
  DebounceState state;
  auto t = feed(
      state,
      {VerdictCode::healthy, VerdictCode::key_lost, VerdictCode::key_lost, VerdictCode::key_lost},
      2);
  EXPECT_EQ(t, (std::vector<Transition>{Transition::unchanged, Transition::unchanged,
                                        Transition::fired, Transition::unchanged}));
  EXPECT_EQ(state.reported, VerdictCode::key_lost);
}

TEST(Debounce, OneOddCycleNeverFires) {
  DebounceState state;
  auto t = feed(state,
                {VerdictCode::healthy, VerdictCode::key_lost, VerdictCode::healthy,
                 VerdictCode::key_mismatch, VerdictCode::healthy},
                2);
  for (auto transition : t) EXPECT_EQ(transition, Transition::unchanged);
}

TEST(Debounce, RecoveryAndNonKeyVerdictsAreReportedAtOnce) {
  DebounceState state;
  feed(state, {VerdictCode::healthy, VerdictCode::key_lost, VerdictCode::key_lost}, 2);
  EXPECT_EQ(agent::debounce(state, VerdictCode::healthy, 2).transition, Transition::resolved);
  EXPECT_EQ(agent::debounce(state, VerdictCode::wireserver_unreachable, 2).transition,
            Transition::fired);
  EXPECT_EQ(agent::debounce(state, VerdictCode::gpa_down, 2).transition, Transition::changed);
}

TEST(Debounce, PendingStepKeepsTheConfirmedVerdict) {
  DebounceState state;
  agent::debounce(state, VerdictCode::healthy, 3);
  auto step = agent::debounce(state, VerdictCode::key_lost, 3);
  EXPECT_TRUE(step.pending);
  EXPECT_EQ(step.consecutive, 1);
  EXPECT_EQ(step.confirmed, VerdictCode::healthy);
}

TEST(Debounce, StateSurvivesARestartThroughItsJson) {
  DebounceState state;
  feed(state, {VerdictCode::healthy, VerdictCode::key_lost}, 2);
  auto restored = agent::parse_debounce_state(nlohmann::json(state).dump());
  ASSERT_TRUE(restored) << restored.error;
  EXPECT_EQ(agent::debounce(*restored.value, VerdictCode::key_lost, 2).transition,
            Transition::fired)
      << "the second consecutive cycle came after the restart";
  EXPECT_FALSE(agent::parse_debounce_state("{\"schema\":1,\"reported\":\"nonsense\"}"));
  EXPECT_FALSE(agent::parse_debounce_state("garbage"));
}

using testing::delivery::sample_report;

TEST(Metrics, ExpositionHasEveryFamilyAndOneCurrentVerdict) {
  auto text = reporting::render_metrics(sample_report(VerdictCode::key_lost), 7);
  EXPECT_NE(text.find("latchwatch_verdict{code=\"key_lost\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("latchwatch_verdict{code=\"healthy\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("latchwatch_key_alert_firing 1\n"), std::string::npos);
  EXPECT_NE(text.find("latchwatch_key_incarnation_id 10\n"), std::string::npos);
  EXPECT_NE(text.find("latchwatch_cycles_total 7\n"), std::string::npos);
  EXPECT_NE(text.find("latchwatch_sink_up{sink=\"webhook\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("latchwatch_sink_errors_total{sink=\"webhook\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("latchwatch_webhook_spool_entries 2\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE latchwatch_cycles_total counter\n"), std::string::npos);
  std::size_t ones = 0;
  for (std::size_t at = text.find("latchwatch_verdict{"); at != std::string::npos;
       at = text.find("latchwatch_verdict{", at + 1))
    ones += text.compare(text.find('}', at) + 1, 3, " 1\n") == 0;
  EXPECT_EQ(ones, 1u);
}

/// An independent reader of the documented pool format: 512-byte key, 2048-byte value, NUL-padded.
TEST(Kvp, LongValuesAreSplitIntoIndexedRecords) {
  auto report = sample_report(VerdictCode::key_lost);
  report.report.remedy = latchwatch::Remedy{};
  report.report.remedy->resource_id = std::string(1500, 'r');
  auto records = reporting::kvp_records(report);
  ASSERT_GT(records.size(), 1u);
  std::string joined;
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].first.substr(records[i].first.rfind('|') + 1), std::to_string(i));
    EXPECT_LE(records[i].second.size(), 1022u);
    auto part = nlohmann::json::parse(records[i].second);
    EXPECT_EQ(part["msg_i"], i);
    joined += part["msg"].get<std::string>();
  }
  EXPECT_EQ(nlohmann::json::parse(joined)["verdict"], "key_lost");
}

TEST(Webhook, SignatureIsHmacSha256OfTheRawBody) {
  // RFC 4231 test case 2.
  EXPECT_EQ(reporting::hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Webhook, BackoffDoublesUpToFiveMinutes) {
  EXPECT_EQ(reporting::retry_delay(1).count(), 1);
  EXPECT_EQ(reporting::retry_delay(2).count(), 2);
  EXPECT_EQ(reporting::retry_delay(5).count(), 16);
  EXPECT_EQ(reporting::retry_delay(9).count(), 256);
  EXPECT_EQ(reporting::retry_delay(10).count(), 300);
  EXPECT_EQ(reporting::retry_delay(1000).count(), 300);
}

TEST(Alertmanager, AlertCarriesTheLabelsAndTheResetCommand) {
  auto report = sample_report(VerdictCode::key_lost);
  report.report.identity.subscription_id = "sub-1";
  report.report.remedy = latchwatch::Remedy{};
  report.report.remedy->az_command = "az rest --method patch ...";
  auto now = std::chrono::system_clock::from_time_t(1790000000);
  auto alert =
      reporting::alert_for(report, VerdictCode::key_lost, now, now + std::chrono::minutes(3));
  EXPECT_EQ(alert["labels"]["alertname"], "LatchwatchKeyResetNeeded");
  EXPECT_EQ(alert["labels"]["severity"], "critical");
  EXPECT_EQ(alert["labels"]["verdict"], "key_lost");
  EXPECT_EQ(alert["labels"]["vm"], "vm1");
  EXPECT_EQ(alert["labels"]["subscription"], "sub-1");
  EXPECT_EQ(alert["annotations"]["az_command"], "az rest --method patch ...");
  EXPECT_EQ(alert["startsAt"], "2026-09-21T14:13:20.000Z");
  EXPECT_EQ(alert["endsAt"], "2026-09-21T14:16:20.000Z");
}

TEST(Url, ParsesSinkUrls) {
  reporting::Url url;
  std::string error;
  ASSERT_TRUE(reporting::parse_url("https://hooks.example:8443/latch?x=1", url, error));
  EXPECT_TRUE(url.tls);
  EXPECT_EQ(url.endpoint.port, 8443);
  EXPECT_EQ(url.path, "/latch?x=1");
  ASSERT_TRUE(reporting::parse_url("http://127.0.0.1", url, error));
  EXPECT_EQ(url.endpoint.port, 80);
  EXPECT_EQ(url.path, "/");
  EXPECT_FALSE(reporting::parse_url("ftp://x", url, error));
  EXPECT_FALSE(reporting::parse_url("https://user:pw@x/", url, error));
}

}  // namespace
}  // namespace latchwatch
