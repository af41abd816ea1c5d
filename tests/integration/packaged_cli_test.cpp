// The installed binary's command line as packages use it: `config validate` on what the unit's
// sandbox allows, secret files, NO_COLOR. Runs the real binary.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "tests/support/test_support.h"

namespace latchwatch {
namespace {

using testing::run_latchwatch;
using testing::TempDir;
using testing::write_file;

TEST(ConfigValidate, AnEnabledSinkWithoutItsUrlIsRejected) {
  TempDir dir;
  write_file(dir / "c.json", R"({"sinks": {"webhook": {"enabled": true, "url": ""}}})");
  auto result = run_latchwatch({"config", "validate", dir / "c.json"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find("sinks.webhook.url"), std::string::npos) << result.err;
}

TEST(ConfigValidate, WarnsWhatTheUnitsSandboxWillBlockButStaysValid) {
  TempDir dir;
  write_file(dir / "c.json", R"({"sinks": {"metrics": {"listen": "0.0.0.0:9464",
    "textfile_dir": "/srv/node-exporter"}, "alertmanager": {"enabled": true,
    "url": "http://10.20.30.40:9093"}}})");
  auto result = run_latchwatch({"config", "validate", dir / "c.json"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("valid"), std::string::npos);
  EXPECT_NE(result.err.find("warning: sinks.metrics.textfile_dir /srv/node-exporter"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("IPAddressAllow=10.20.30.40"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("0.0.0.0:9464"), std::string::npos) << result.err;

  write_file(dir / "ok.json",
             R"({"sinks": {"metrics": {"textfile_dir": "/var/lib/prometheus/node-exporter"}}})");
  auto clean = run_latchwatch({"config", "validate", dir / "ok.json"});
  EXPECT_EQ(clean.exit_code, 0);
  EXPECT_EQ(clean.err, "");
}

TEST(ConfigValidate, ASecretFileOpenToOthersIsRefusedAndAClosedOneMasked) {
  TempDir dir;
  write_file(dir / "token", "bearer-value-123\n");
  ::chmod((dir / "token").c_str(), 0644);
  write_file(dir / "c.json", R"({"sinks": {"alertmanager": {"enabled": true,
    "url": "http://127.0.0.1:9093", "bearer_token_file": ")" +
                                 (dir / "token") + R"("}}})");
  auto open_file = run_latchwatch({"config", "validate", dir / "c.json"});
  EXPECT_EQ(open_file.exit_code, 3);
  EXPECT_NE(open_file.err.find("chmod 0600"), std::string::npos) << open_file.err;
  EXPECT_EQ(open_file.err.find("bearer-value-123"), std::string::npos);

  ::chmod((dir / "token").c_str(), 0600);
  EXPECT_EQ(run_latchwatch({"config", "validate", dir / "c.json"}).exit_code, 0);
  auto shown = run_latchwatch({"config", "show", "--config", dir / "c.json"});
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(shown.out.find("bearer-value-123"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("\"bearer_token\": \"********\""), std::string::npos) << shown.out;
}

}  // namespace
}  // namespace latchwatch

namespace latchwatch {
namespace {

/// Runs `latchwatch ARGS` with stderr on a file; JOURNAL_STREAM names that file when `journal`.
std::string stderr_of(const testing::TempDir& dir, const std::string& args, bool journal) {
  const std::string log = dir / "stderr.log";
  const std::string script = std::string("exec 2>") + log + "; " +
                             (journal ? "JOURNAL_STREAM=$(stat -c %d:%i " + log + ") " : "") +
                             "exec " + LATCHWATCH_BINARY + " " + args;
  testing::run_process({"/bin/sh", "-c", script});
  return testing::read_file(log);
}

TEST(JournalStream, LinesCarryTheirPriorityAndNoSecondNameOrStamp) {
  testing::TempDir dir;
  testing::write_file(dir / "not-a-folder", "");
  // The state folder cannot be locked: the daemon logs one error and exits.
  const std::string args = "run --state-dir " + (dir / "not-a-folder") + "/state";
  auto journal = stderr_of(dir, args, true);
  EXPECT_EQ(journal.rfind("<3>", 0), 0u) << journal;
  EXPECT_EQ(journal.find("latchwatch 20"), std::string::npos) << journal;
  auto plain = stderr_of(dir, args, false);
  EXPECT_EQ(plain.rfind("latchwatch 20", 0), 0u) << plain;
  EXPECT_NE(plain.find(" error: "), std::string::npos) << plain;
}

}  // namespace
}  // namespace latchwatch
