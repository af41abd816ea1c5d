// The timer alternative and the errors operators see under systemd (issue 27), on the real binary
// against the fabric simulator: `check --publish` writes the report, the node_exporter textfile,
// KVP and the serial line as the daemon does and leaves one line at the verdict's journal
// priority; `withdraw` takes all of it back; a non-root `check` says what it needs in the plugin
// format; a config error reaches the journal at err.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "tests/fabric_sim/fabric_simulator.h"
#include "tests/support/test_support.h"

namespace latchwatch {
namespace {

using testing::read_file;
using testing::TempDir;
using testing::write_file;

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

struct Run {
  int exit_code = -1;
  std::string out;
};

/// `latchwatch ARGS` with stdout on a file that JOURNAL_STREAM names (as systemd runs a unit).
Run in_journal(const TempDir& dir, const std::vector<std::string>& args) {
  const std::string log = dir / "journal.log";
  std::string command = "exec >" + log + " 2>&1; JOURNAL_STREAM=$(stat -c %d:%i " + log +
                        ") exec " + LATCHWATCH_BINARY;
  for (const auto& arg : args) command += " '" + arg + "'";
  auto result = testing::run_process({"/bin/sh", "-c", command});
  return {result.exit_code, read_file(log)};
}

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

int lines(const std::string& text) {
  int n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

TEST(CheckPublish, WritesEverySinkOnceWithOneJournalLineAndFailsTheUnitOnAKeyVerdict) {
  TempDir dir;
  sim::SimulatorOptions options;
  options.scenario = "key_lost";
  options.gpa_dir = dir / "vm";
  sim::FabricSimulator fabric(options);
  fabric.start();
  ASSERT_EQ(::mkdir((dir / "textfile").c_str(), 0755), 0);
  write_file(dir / "serial", "");
  write_file(dir / "config.json", R"({"sinks": {
    "metrics": {"textfile_dir": ")" + (dir / "textfile") +
                                      R"("},
    "kvp": {"enabled": true, "pool_file": ")" +
                                      (dir / "kvp_pool_1") + R"("},
    "serial": {"device": ")" + (dir / "serial") +
                                      R"("}}})");
  const auto args =
      with({"check", "--publish", "--config", dir / "config.json", "--state-dir", dir / "state"},
           fabric.check_flags());

  // First run: the key verdict is seen, not yet confirmed (debounce 2, as the daemon).
  auto first = in_journal(dir, args);
  EXPECT_EQ(first.exit_code, 2) << first.out;
  EXPECT_EQ(lines(first.out), 1) << first.out;
  EXPECT_EQ(first.out.rfind("<3>LATCHWATCH CRITICAL - key_lost: ", 0), 0u) << first.out;
  auto prom = read_file(dir / "textfile/latchwatch.prom");
  EXPECT_NE(prom.find("latchwatch_verdict{code=\"key_lost\"} 1"), std::string::npos) << prom;
  EXPECT_NE(prom.find("latchwatch_key_alert_firing 0"), std::string::npos) << prom;
  EXPECT_NE(prom.find("latchwatch_sink_up{sink=\"kvp\"} 1"), std::string::npos) << prom;
  EXPECT_TRUE(exists(dir / "state/report.json"));

  // Second run: confirmed, as the daemon's second cycle: the alert fires everywhere.
  auto second = in_journal(dir, args);
  EXPECT_EQ(second.exit_code, 2) << second.out;
  EXPECT_EQ(lines(second.out), 1) << second.out;
  prom = read_file(dir / "textfile/latchwatch.prom");
  EXPECT_NE(prom.find("latchwatch_key_alert_firing 1"), std::string::npos) << prom;
  EXPECT_NE(read_file(dir / "kvp_pool_1").find("LATCHWATCH|"), std::string::npos);
  EXPECT_NE(read_file(dir / "serial").find("key_lost"), std::string::npos)
      << read_file(dir / "serial");

  // withdraw (what the package's remove runs): nothing an alert or the host could read is left.
  auto withdrawn = testing::run_latchwatch(
      {"withdraw", "--config", dir / "config.json", "--state-dir", dir / "state"});
  EXPECT_EQ(withdrawn.exit_code, 0) << withdrawn.err;
  EXPECT_FALSE(exists(dir / "textfile/latchwatch.prom"));
  EXPECT_FALSE(exists(dir / "state/report.json"));
  EXPECT_EQ(read_file(dir / "kvp_pool_1").find("LATCHWATCH|"), std::string::npos);
  EXPECT_NE(withdrawn.out.find("KVP record"), std::string::npos) << withdrawn.out;
}

TEST(CheckPublish, AHealthyRunIsOneInfoLineAndExitsZero) {
  TempDir dir;
  sim::SimulatorOptions options;
  options.gpa_dir = dir / "vm";
  sim::FabricSimulator fabric(options);
  fabric.start();
  write_file(dir / "config.json", R"({"sinks": {"serial": {"enabled": false}}})");
  auto run = in_journal(dir, with({"check", "--publish", "--config", dir / "config.json",
                                   "--state-dir", dir / "state"},
                                  fabric.check_flags()));
  EXPECT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(lines(run.out), 1) << run.out;
  EXPECT_EQ(run.out.rfind("<6>LATCHWATCH OK - healthy: ", 0), 0u) << run.out;
}

TEST(CheckAsNonRoot, SaysWhatItNeedsInThePluginFormat) {
  TempDir dir;
  sim::SimulatorOptions options;
  options.gpa_dir = dir / "vm";
  sim::FabricSimulator fabric(options);  // its key folder is root's, 0700, as GPA's
  fabric.start();
  ::chmod(dir.path().c_str(), 0755);
  ::chmod((dir / "vm").c_str(), 0755);
  std::vector<std::string> argv = {"/usr/bin/setpriv", "--reuid=65534",   "--regid=65534",
                                   "--clear-groups",   LATCHWATCH_BINARY, "check"};
  for (const auto& flag : fabric.check_flags()) argv.push_back(flag);
  argv.push_back("--state-dir");
  argv.push_back(dir / "state");
  if (::geteuid() != 0 || !exists("/usr/bin/setpriv")) GTEST_SKIP() << "needs root and setpriv";
  auto result = testing::run_process(argv);
  EXPECT_EQ(result.exit_code, 3) << result.out << result.err;
  EXPECT_EQ(result.out.rfind("LATCHWATCH UNKNOWN - latchwatch check needs root: ", 0), 0u)
      << result.out;
  EXPECT_NE(result.out.find(fabric.key_dir()), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("sudo latchwatch check"), std::string::npos) << result.out;
  EXPECT_EQ(lines(result.out), 1) << result.out;
}

TEST(ConfigErrors, ReachTheJournalAtErr) {
  TempDir dir;
  write_file(dir / "bad.json", R"({"sinks": {"webhook": {"enabled": true, "url": ""}}})");
  auto run = in_journal(dir, {"run", "--config", dir / "bad.json"});
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_EQ(run.out.rfind("<3>latchwatch: ", 0), 0u) << run.out;
  EXPECT_NE(run.out.find("sinks.webhook.url"), std::string::npos) << run.out;
  auto validate = in_journal(dir, {"config", "validate", dir / "bad.json"});
  EXPECT_EQ(validate.exit_code, 3);
  EXPECT_EQ(validate.out.rfind("<3>latchwatch: ", 0), 0u) << validate.out;
}

}  // namespace
}  // namespace latchwatch
