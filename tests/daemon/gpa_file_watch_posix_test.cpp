// GpaFileWatch on real folders with real inotify. inotify queues an event before the syscall
// that caused it returns, so each check reads the queue right after the change: no waiting.

#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/daemon/gpa_file_watch.h"
#include "tests/support/test_support.h"

namespace latchwatch::agent {
namespace {

const std::string kKey = "e3882f98-da8d-4410-8394-06c23462781c";

class GpaFileWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::mkdir(key_dir_.c_str(), 0700), 0);
    testing::write_file(key_dir_ + "/" + kKey + ".key", "{}");
    testing::write_file(key_dir_ + "/provisioned.tag", "");
    ASSERT_EQ(::mkdir(log_dir_.c_str(), 0755), 0);
    write_status("first");
  }
  /// As GPA does: status.tmp, then rename over status.json.
  void write_status(const std::string& message) {
    testing::write_file(log_dir_ + "/status.tmp", message);
    ASSERT_EQ(::rename((log_dir_ + "/status.tmp").c_str(), status_file_.c_str()), 0);
  }

  testing::TempDir dir_;
  std::string key_dir_ = dir_ / "keys";
  std::string log_dir_ = dir_ / "log";
  std::string status_file_ = log_dir_ + "/status.json";
};

TEST_F(GpaFileWatchTest, KeyFileDeleteAndCreateAreSeenByName) {
  GpaFileWatch watch(key_dir_, status_file_);
  auto armed = watch.arm();
  ASSERT_TRUE(armed.key_folder && armed.status) << watch.unwatched_reason();
  EXPECT_EQ(watch.key_names(), KeyNames(std::vector<std::string>{kKey + ".key"}));

  ASSERT_EQ(::unlink((key_dir_ + "/" + kKey + ".key").c_str()), 0);
  auto events = watch.read_events();
  EXPECT_TRUE(events.key_folder);
  EXPECT_FALSE(events.status_written);
  EXPECT_EQ(watch.key_names(), KeyNames(std::vector<std::string>{}));

  // GPA saves a key as {guid}.tmp and renames it: the temp file alone is no key-file event.
  testing::write_file(key_dir_ + "/" + kKey + ".tmp", "{}");
  EXPECT_FALSE(watch.read_events().key_folder);
  ASSERT_EQ(
      ::rename((key_dir_ + "/" + kKey + ".tmp").c_str(), (key_dir_ + "/" + kKey + ".key").c_str()),
      0);
  EXPECT_TRUE(watch.read_events().key_folder);
  EXPECT_EQ(watch.key_names(), KeyNames(std::vector<std::string>{kKey + ".key"}));
  // Tags are not key files.
  testing::write_file(key_dir_ + "/status.tag", "x");
  EXPECT_FALSE(watch.read_events().key_folder);
}

TEST_F(GpaFileWatchTest, StatusRewrittenByRenameIsSeenOtherFilesAreNot) {
  GpaFileWatch watch(key_dir_, status_file_);
  watch.arm();
  write_status("second");
  auto events = watch.read_events();
  EXPECT_TRUE(events.status_written);
  EXPECT_FALSE(events.status_gone);
  EXPECT_FALSE(events.key_folder);
  // GPA's log and rule files share the folder.
  testing::write_file(log_dir_ + "/ProxyAgent.log", "line");
  EXPECT_FALSE(watch.read_events().status_written);
  // A writer that rewrites in place is seen when it closes the file.
  testing::write_file(status_file_, "third");
  EXPECT_TRUE(watch.read_events().status_written);
  ASSERT_EQ(::unlink(status_file_.c_str()), 0);
  events = watch.read_events();
  EXPECT_TRUE(events.status_gone);
  EXPECT_EQ(watch.status_fingerprint(), "unreadable:missing");
}

TEST_F(GpaFileWatchTest, AMissingFolderFallsBackAndIsWatchedOnceItExists) {
  GpaFileWatch watch(dir_ / "not-yet", status_file_);
  auto armed = watch.arm();
  EXPECT_FALSE(armed.key_folder);
  EXPECT_FALSE(watch.key_folder_watched());
  EXPECT_TRUE(watch.status_watched());
  EXPECT_NE(watch.unwatched_reason().find("not-yet"), std::string::npos);
  EXPECT_EQ(watch.key_names(), std::nullopt);

  ASSERT_EQ(::mkdir((dir_ / "not-yet").c_str(), 0700), 0);
  EXPECT_TRUE(watch.arm().key_folder);
  EXPECT_TRUE(watch.unwatched_reason().empty());
  testing::write_file(dir_ / "not-yet/" + kKey + ".key", "{}");
  EXPECT_TRUE(watch.read_events().key_folder);
}

TEST_F(GpaFileWatchTest, TheKeyFolderRemovedIsAChangeAndIsReWatchedWhenBack) {
  GpaFileWatch watch(key_dir_, status_file_);
  watch.arm();
  ASSERT_EQ(::unlink((key_dir_ + "/" + kKey + ".key").c_str()), 0);
  ASSERT_EQ(::unlink((key_dir_ + "/provisioned.tag").c_str()), 0);
  ASSERT_EQ(::rmdir(key_dir_.c_str()), 0);
  auto events = watch.read_events();
  EXPECT_TRUE(events.key_folder);
  EXPECT_FALSE(watch.key_folder_watched());
  EXPECT_EQ(watch.key_names(), std::nullopt);

  // Moved away and another folder put in its place: the watch follows the path, not the inode.
  ASSERT_EQ(::mkdir(key_dir_.c_str(), 0700), 0);
  EXPECT_TRUE(watch.arm().key_folder);
  ASSERT_EQ(::rename(key_dir_.c_str(), (dir_ / "keys.old").c_str()), 0);
  EXPECT_TRUE(watch.read_events().key_folder);
  ASSERT_EQ(::mkdir(key_dir_.c_str(), 0700), 0);
  watch.arm();
  testing::write_file(key_dir_ + "/" + kKey + ".key", "{}");
  EXPECT_TRUE(watch.read_events().key_folder);
  testing::write_file(dir_ / "keys.old/" + kKey + ".key", "{}");
  EXPECT_FALSE(watch.read_events().key_folder) << "the old folder is no longer watched";
}

}  // namespace
}  // namespace latchwatch::agent
