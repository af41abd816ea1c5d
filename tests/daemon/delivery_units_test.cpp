// Delivery mechanics without sockets: the schedule, Alertmanager's persisted state, a truncated
// key listing and redaction. Time is a ManualClock; nothing sleeps. The POSIX-only cases (KVP
// pool-file locks, symlinks, a file-size limit) are in delivery_units_posix_test.cpp.

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "agent/daemon/schedule.h"
#include "probes/base/redact.h"
#include "probes/local/key_folder.h"
#include "probes/os/atomic_file.h"
#include "probes/payloads/gpa_status_file.h"
#include "reporting/sinks/alertmanager_sink.h"
#include "reporting/sinks/report_file_sink.h"
#include "reporting/sinks/webhook_sink.h"
#include "tests/fabric_sim/fabric_simulator.h"
#include "tests/sinks/delivery_test_reports.h"
#include "tests/support/manual_clock.h"
#include "tests/support/test_support.h"

namespace latchwatch {
namespace {

using namespace std::chrono_literals;
using latchwatch::VerdictCode;
using reporting::CycleReport;
using reporting::Transition;
using testing::TempDir;

using testing::delivery::report_for;

// ---- schedule ----

TEST(Schedule, NextCycleIsIntervalPlusDrawnJitterAndNeverInThePast) {
  const auto start = std::chrono::steady_clock::time_point(100s);
  std::int64_t asked = -1;
  auto draw = [&](std::int64_t bound) {
    asked = bound;
    return std::int64_t{1500};
  };
  EXPECT_EQ(agent::next_cycle_at(start, start + 1s, 60s, 5s, draw), start + 61500ms);
  EXPECT_EQ(asked, 5000);
  EXPECT_EQ(agent::next_cycle_at(start, start + 1s, 60s, 0ms, draw), start + 60s) << "no jitter";
  auto wild = [](std::int64_t) { return std::int64_t{999999}; };
  EXPECT_EQ(agent::next_cycle_at(start, start, 60s, 5s, wild), start + 65s) << "clamped";
  // A cycle that overran its interval: the next starts now, not in a catch-up burst.
  EXPECT_EQ(agent::next_cycle_at(start, start + 90s, 60s, 0ms, draw), start + 90s);
}

TEST(Schedule, IntervalMsWinsAndTheStallBoundIsAnIntervalAtLeastFiveSeconds) {
  agent::Config config;
  config.interval_s = 300;
  EXPECT_EQ(agent::cycle_interval(config), 300s);
  EXPECT_EQ(agent::stall_bound(config), 300s);
  config.interval_ms = 200;
  EXPECT_EQ(agent::cycle_interval(config), 200ms);
  EXPECT_EQ(agent::stall_bound(config), 5s);
}

// ---- Alertmanager: what was sent survives a restart ----

// A state file that is JSON but not the sink's state ("[]", schema 2) was ignored with an empty
// reason: "alertmanager state ignored (FILE): ".
TEST(AlertmanagerSink, AStateFileOfAnotherShapeIsIgnoredSayingWhy) {
  TempDir dir;
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log)));
  for (const char* body : {"[]", R"({"schema":2})", "null"}) {
    log.str("");
    testing::write_file(dir / "alertmanager.json", body);
    reporting::AlertmanagerOptions options;
    options.url = "http://127.0.0.1:1";  // never reached: nothing listens on port 1
    options.timeout = 100ms;
    options.state_file = dir / "alertmanager.json";
    reporting::AlertmanagerSink sink(options);
    (void)sink.publish(report_for(VerdictCode::healthy, Transition::unchanged));
    const std::string text = log.str();
    const auto at = text.find("alertmanager state ignored");
    EXPECT_NE(at, std::string::npos) << body << ": " << text;
    if (at == std::string::npos) continue;
    const std::string line = text.substr(at, text.find('\n', at) - at);
    EXPECT_NE(line.find("schema 1"), std::string::npos) << body << ": " << line;
  }
  spdlog::set_default_logger(previous);
}

TEST(AlertmanagerSink, AFiringAlertPersistsSoTheRecoveryAfterARestartResolvesIt) {
  TempDir dir;
  testing::ManualClock clock;
  reporting::AlertmanagerOptions options;
  options.url = "http://127.0.0.1:1";  // never reached: nothing listens on port 1
  options.timeout = 100ms;
  options.state_file = dir / "alertmanager.json";
  options.clock = &clock;
  {
    reporting::AlertmanagerSink sink(options);
    EXPECT_FALSE(sink.publish(report_for(VerdictCode::key_lost, Transition::fired)).ok);
  }
  auto saved = nlohmann::json::parse(testing::read_file(dir / "alertmanager.json"));
  EXPECT_EQ(saved["firing"]["verdict"], "key_lost");
  EXPECT_EQ(saved["firing"]["alert"]["labels"]["verdict"], "key_lost");
  {
    // A new process: its first cycle is the recovery. The resolution is built from the saved
    // alert, kept until delivered.
    reporting::AlertmanagerSink sink(options);
    EXPECT_FALSE(sink.publish(report_for(VerdictCode::healthy, Transition::resolved)).ok);
  }
  saved = nlohmann::json::parse(testing::read_file(dir / "alertmanager.json"));
  EXPECT_TRUE(saved["firing"].is_null());
  ASSERT_EQ(saved["unsent"].size(), 1u);
  EXPECT_EQ(saved["unsent"][0]["labels"]["verdict"], "key_lost");
  EXPECT_EQ(saved["unsent"][0]["endsAt"], "2027-01-15T08:00:00.000Z");
}

TEST(AlertmanagerSink, AHostileStateFileIsIgnoredNeverThrown) {
  TempDir dir;
  reporting::AlertmanagerOptions options;
  options.url = "http://127.0.0.1:1";
  options.timeout = 100ms;
  options.state_file = dir / "alertmanager.json";
  for (const char* text : {R"({"schema": "1"})",
                           R"({"schema": 1, "firing": {"verdict": "key_lost", "starts_at_unix": 1,
          "alert": {}, "sent": "yes"}, "unsent": [1, "x", {}]})",
                           "[]", "\xff\xfe", ""}) {
    testing::write_file(dir / "alertmanager.json", text);
    reporting::AlertmanagerSink sink(options);
    auto result = sink.publish(report_for(VerdictCode::healthy, Transition::unchanged));
    EXPECT_EQ(result.error.find("unexpected"), std::string::npos) << text;
  }
}

// ---- key folder: a truncated listing is not evidence ----

TEST(KeyFolderTest, MoreEntriesThanTheCapIsUnreadableEvidenceNotOk) {
  TempDir dir;
  for (std::size_t i = 0; i <= probes::kMaxKeyFolderEntries; ++i)
    testing::write_file(dir / ("junk-" + std::to_string(i)), "");
  testing::write_file(dir / (std::string(sim::kPlantedKeyGuid) + ".key"), "");
  auto listing = probes::list_key_folder(dir.path());
  EXPECT_EQ(listing.state, probes::ReadState::too_large);
  EXPECT_NE(listing.error.find("4096"), std::string::npos) << listing.error;
  EXPECT_LE(listing.entries.size(), probes::kMaxKeyFolderEntries);
}

// ---- redaction ----

TEST(Redaction, GroupedHexAndKeyLengthBase64AreRedactedGuidsAndWordsAreNot) {
  const std::string hex = sim::kPlantedKeyHex;
  auto grouped = [&](std::size_t size, const std::string& sep, const std::string& prefix = "") {
    std::string out;
    for (std::size_t i = 0; i < hex.size(); i += size)
      out += (i ? sep : "") + prefix + hex.substr(i, size);
    return out;
  };
  for (const auto& form : {grouped(2, " "), grouped(2, ":"), grouped(4, "-"), grouped(8, " "),
                           grouped(2, ", ", "0x"), grouped(16, "_")}) {
    auto out = probes::redact_hex("key " + form + " failed");
    EXPECT_EQ(out, "key <redacted> failed") << form;
  }
  // base64 of the 32-byte key (standard, padded) and base64url (unpadded).
  const std::string b64 = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=";
  const std::string b64url = "n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg";
  EXPECT_EQ(probes::redact_hex("attest " + b64 + " - 5"), "attest <redacted> - 5");
  EXPECT_EQ(probes::redact_hex("attest " + b64url), "attest <redacted>");
  // What names a key is kept: a GUID, a path, words, short numbers.
  const std::string kept = std::string("key ") + sim::kPlantedKeyGuid +
                           " at /var/lib/azure-proxy-agent/keys/ok, code 5 1 2 3";
  EXPECT_EQ(probes::redact_hex(kept), kept);
  EXPECT_EQ(probes::redact_hex(hex), "<redacted>");
  EXPECT_EQ(probes::redact_hex("k=" + hex), "k=<redacted>");
}

}  // namespace
}  // namespace latchwatch
