// What else a lost key breaks, and which configured channels still reach the owner
// (real-platform.md §5, §7), and that every rendering prints the one table.

#include "reporting/report/blast_radius.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "reporting/report/human_report.h"
#include "reporting/report/report.h"

namespace latchwatch {
namespace {

using probes::Mode;

bool mentions(const std::vector<std::string>& lines, const std::string& word) {
  for (const auto& line : lines)
    if (line.find(word) != std::string::npos) return true;
  return false;
}

TEST(BlastRadius, WireServerEnforceBreaksTheGoalStateChannel) {
  auto b = blast_radius(Mode::enforce, Mode::audit, {});
  EXPECT_TRUE(mentions(b.broken, "extensions"));
  EXPECT_TRUE(mentions(b.broken, "Run Command"));
  EXPECT_TRUE(mentions(b.broken, "VM Applications"));
  EXPECT_TRUE(mentions(b.broken, "instance view"));
  EXPECT_FALSE(mentions(b.broken, "managed-identity"));
  EXPECT_TRUE(mentions(b.still_working, "managed-identity"));
}

TEST(BlastRadius, ImdsEnforceBreaksManagedIdentityAndTheMonitorAgent) {
  auto b = blast_radius(Mode::audit, Mode::enforce, {});
  EXPECT_TRUE(mentions(b.broken, "managed-identity tokens"));
  EXPECT_TRUE(mentions(b.broken, "Azure Monitor Agent"));
  EXPECT_FALSE(mentions(b.broken, "Run Command"));
  // Audit everywhere: nothing else is refused.
  EXPECT_TRUE(blast_radius(Mode::audit, Mode::audit, {}).broken.empty());
}

TEST(BlastRadius, OnlyConfiguredChannelsAreJudgedAndTokenFreeOnesStillReach) {
  auto b = blast_radius(Mode::enforce, Mode::enforce,
                        {Channel::serial_console, Channel::webhook, Channel::kvp,
                         Channel::local_log, Channel::metrics_scrape});
  ASSERT_EQ(b.channels.size(), 5u);
  EXPECT_TRUE(b.channels[0].reaches_owner);   // serial: boot diagnostics
  EXPECT_TRUE(b.channels[1].reaches_owner);   // pre-shared secret push
  EXPECT_FALSE(b.channels[2].reaches_owner);  // KVP: the host only
  EXPECT_FALSE(b.channels[3].reaches_owner);  // forwarded by AMA: needs an IMDS token
  EXPECT_TRUE(b.channels[4].reaches_owner);   // inbound scrape
  auto audit = blast_radius(Mode::enforce, Mode::audit, {Channel::local_log});
  EXPECT_TRUE(audit.channels[0].reaches_owner);
  auto doc = nlohmann::json(b);
  EXPECT_EQ(doc["channels"][2]["channel"], "kvp");
  EXPECT_EQ(doc["channels"][2]["reaches_owner"], false);
  EXPECT_FALSE(doc["also_broken"].empty());
}

TEST(BlastRadius, TheReportTableAndExplainPrintIt) {
  Report report;
  report.verdict = {VerdictCode::key_lost, Severity::critical, "lost"};
  report.blast_radius = blast_radius(Mode::enforce, Mode::enforce, {Channel::serial_console});
  auto table = reporting::render_human(report, false);
  EXPECT_NE(table.find("Also broken for the same reason"), std::string::npos) << table;
  EXPECT_NE(table.find("Run Command"), std::string::npos);
  EXPECT_NE(table.find("serial_console"), std::string::npos);
  EXPECT_TRUE(report_document(report).contains("blast_radius"));
  auto text = reporting::render_explanation(info(VerdictCode::key_lost));
  EXPECT_NE(text.find("managed-identity tokens"), std::string::npos) << text;
  EXPECT_NE(text.find("serial_console"), std::string::npos);
  EXPECT_EQ(reporting::render_explanation(info(VerdictCode::healthy)).find("Also broken"),
            std::string::npos);
}

}  // namespace
}  // namespace latchwatch
