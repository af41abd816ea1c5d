// Traces of an installed Guest Proxy Agent: unit file, binary, running process.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "probes/local/gpa_presence.h"
#include "tests/support/test_support.h"

namespace latchwatch::probes {
namespace {

using json = nlohmann::json;
using testing::TempDir;
using testing::write_file;

/// Paths inside `dir`, with an empty fake /proc.
GpaPresencePaths fake_paths(const TempDir& dir) {
  ::mkdir((dir / "proc").c_str(), 0755);
  return GpaPresencePaths{dir / "azure-proxy-agent.service", dir / "azure-proxy-agent",
                          dir / "proc"};
}

void fake_process(const TempDir& dir, const std::string& pid, const std::string& comm) {
  write_file(dir / ("proc/" + pid + "/comm"), comm);
}

TEST(GpaPresenceTest, NothingInstalledMeansNoTrace) {
  TempDir dir;
  fake_process(dir, "1", "systemd\n");
  fake_process(dir, "812", "sshd\n");
  auto p = detect_gpa_presence(fake_paths(dir));
  EXPECT_FALSE(p.unit_file);
  EXPECT_FALSE(p.binary);
  EXPECT_FALSE(p.process_running);
  EXPECT_EQ(p.process_pid, 0);
  EXPECT_FALSE(p.any());
  EXPECT_EQ(json(p), (json{{"unitFile", false}, {"binary", false}, {"processRunning", false}}));
}

TEST(GpaPresenceTest, EachTraceAloneCounts) {
  {
    TempDir dir;
    write_file(dir / "azure-proxy-agent.service", "[Unit]\n");
    auto p = detect_gpa_presence(fake_paths(dir));
    EXPECT_TRUE(p.unit_file);
    EXPECT_FALSE(p.binary);
    EXPECT_TRUE(p.any());
  }
  {
    TempDir dir;
    write_file(dir / "azure-proxy-agent", "");
    auto p = detect_gpa_presence(fake_paths(dir));
    EXPECT_TRUE(p.binary);
    EXPECT_FALSE(p.unit_file);
    EXPECT_TRUE(p.any());
  }
  {
    TempDir dir;
    fake_process(dir, "4242", "azure-proxy-agent\n");
    auto p = detect_gpa_presence(fake_paths(dir));
    EXPECT_TRUE(p.process_running);
    EXPECT_EQ(p.process_pid, 4242);
    EXPECT_TRUE(p.any());
    EXPECT_EQ(json(p)["pid"], 4242);
  }
}

TEST(GpaPresenceTest, TheKernelsFifteenCharacterCommNameIsRecognised) {
  // TASK_COMM_LEN is 16: a real /proc/<pid>/comm reads "azure-proxy-age".
  TempDir dir;
  fake_process(dir, "977", "azure-proxy-age\n");
  auto p = detect_gpa_presence(fake_paths(dir));
  EXPECT_TRUE(p.process_running);
  EXPECT_EQ(p.process_pid, 977);
}

TEST(GpaPresenceTest, OnlyExactNamesInPidFoldersCount) {
  TempDir dir;
  fake_process(dir, "self", "azure-proxy-agent\n");                  // not a pid
  fake_process(dir, "12a", "azure-proxy-agent\n");                   // not a pid
  fake_process(dir, "99999999999999999999", "azure-proxy-agent\n");  // not a pid (overflow)
  fake_process(dir, "10", "azure-proxy-agentd\n");
  fake_process(dir, "11", "azure-proxy\n");
  fake_process(dir, "12", "xazure-proxy-agent\n");
  fake_process(dir, "13", "Azure-Proxy-Agent\n");
  write_file(dir / "proc/14/status", "Name: azure-proxy-agent\n");  // no comm file
  auto p = detect_gpa_presence(fake_paths(dir));
  EXPECT_FALSE(p.process_running);
  EXPECT_EQ(p.process_pid, 0);
}

TEST(GpaPresenceTest, TheLowestMatchingPidIsReported) {
  TempDir dir;
  fake_process(dir, "5000", "azure-proxy-agent\n");
  fake_process(dir, "700", "azure-proxy-age\n");
  fake_process(dir, "30000", "azure-proxy-agent\n");
  EXPECT_EQ(detect_gpa_presence(fake_paths(dir)).process_pid, 700);
}

TEST(GpaPresenceTest, AHostileCommNeitherBlocksNorCounts) {
  TempDir dir;
  ASSERT_EQ(::mkdir((dir / "proc").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((dir / "proc/21").c_str(), 0755), 0);
  ASSERT_EQ(::mkfifo((dir / "proc/21/comm").c_str(), 0600), 0);  // would block a plain read
  write_file(dir / "target", "azure-proxy-agent\n");
  ASSERT_EQ(::mkdir((dir / "proc/22").c_str(), 0755), 0);
  ASSERT_EQ(::symlink((dir / "target").c_str(), (dir / "proc/22/comm").c_str()), 0);
  auto p = detect_gpa_presence(fake_paths(dir));
  EXPECT_FALSE(p.process_running);
}

TEST(GpaPresenceTest, AMissingProcRootMeansNoProcess) {
  TempDir dir;
  GpaPresencePaths paths{dir / "unit", dir / "bin", dir / "no-proc"};
  EXPECT_FALSE(detect_gpa_presence(paths).process_running);
}

TEST(GpaPresenceTest, ADanglingSymlinkStillShowsTheInstall) {
  // lstat, not stat: the unit file exists even if it points nowhere.
  TempDir dir;
  ASSERT_EQ(::symlink("/nonexistent/unit", (dir / "azure-proxy-agent.service").c_str()), 0);
  EXPECT_TRUE(detect_gpa_presence(fake_paths(dir)).unit_file);
}

TEST(GpaPresenceTest, ANonDefaultUnitPathDoesNotFallBackToSystemFolders) {
  // Only the default path also looks under /etc/systemd/system and /usr/lib/systemd/system.
  TempDir dir;
  GpaPresencePaths paths = fake_paths(dir);
  ASSERT_NE(paths.unit_file, GpaPresencePaths{}.unit_file);
  EXPECT_FALSE(detect_gpa_presence(paths).unit_file);
}

TEST(GpaPresenceTest, TheDefaultsAreTheLinuxPaths) {
  GpaPresencePaths defaults;
  EXPECT_EQ(defaults.unit_file, "/lib/systemd/system/azure-proxy-agent.service");
  EXPECT_EQ(defaults.binary, "/usr/sbin/azure-proxy-agent");
  EXPECT_EQ(defaults.proc_root, "/proc");
}

TEST(GpaPresence, AnyTraceCounts) {
  TempDir dir;
  GpaPresencePaths paths{dir / "unit.service", dir / "bin", dir / "proc"};
  EXPECT_FALSE(detect_gpa_presence(paths).any());
  write_file(dir / "proc/1234/comm", "azure-proxy-agent\n");
  write_file(dir / "proc/99/comm", "sshd\n");
  write_file(dir / "proc/self/comm", "azure-proxy-agent\n");  // not a pid folder
  auto running = detect_gpa_presence(paths);
  EXPECT_TRUE(running.process_running);
  EXPECT_EQ(running.process_pid, 1234);
  EXPECT_FALSE(running.unit_file);
  write_file(dir / "unit.service", "[Unit]");
  write_file(dir / "bin", "");
  auto all = detect_gpa_presence(paths);
  EXPECT_TRUE(all.unit_file && all.binary && all.any());
}

}  // namespace
}  // namespace latchwatch::probes
