// The file trigger's thread on real folders with real inotify and a manual clock. The quiet window
// is 0 here, so a change is due the moment it is seen; every wait is on the trigger's own wake
// (or its state) with a deadline, never a sleep.

#include "agent/daemon/cycle_trigger.h"

#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "tests/support/manual_clock.h"
#include "tests/support/test_support.h"

namespace latchwatch::agent {
namespace {

using namespace std::chrono_literals;

const std::string kKey = "e3882f98-da8d-4410-8394-06c23462781c.key";

class CycleTriggerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::mkdir(key_dir_.c_str(), 0700), 0);
    testing::write_file(key_dir_ + "/provisioned.tag", "");
    ASSERT_EQ(::mkdir(log_dir_.c_str(), 0755), 0);
    testing::write_file(log_dir_ + "/status.json", "{}");
    config_.trigger_enabled = true;
    config_.trigger_min_gap_s = 0;
    config_.trigger_max_per_hour = 60;
    config_.sources.key_dir = key_dir_;
    config_.sources.status_file = log_dir_ + "/status.json";
  }

  /// Waits for the wake after `before` wakes, then runs the cycle it asked for (as the run loop).
  ::testing::AssertionResult woken_after(int before, CycleTrigger& trigger) {
    if (!testing::wait_for([&] { return wakes_.load() > before; }, 20s))
      return ::testing::AssertionFailure() << "no wake; trigger: " << trigger.state();
    trigger.cycle_started();
    trigger.cycle_finished(false);
    return ::testing::AssertionSuccess();
  }
  std::function<void()> wake() {
    return [this] { ++wakes_; };
  }

  testing::TempDir dir_;
  std::string key_dir_ = dir_ / "keys";
  std::string log_dir_ = dir_ / "log";
  Config config_;
  testing::ManualClock clock_;
  std::atomic<int> wakes_{0};
};

TEST_F(CycleTriggerTest, ADeletedAndRecreatedKeyFolderIsWatchedAgainWithoutWaitingForACycle) {
  CycleTrigger trigger(config_, wake(), clock_);
  ASSERT_EQ(trigger.state().rfind("watching ", 0), 0u) << trigger.state();
  trigger.cycle_started();
  trigger.cycle_finished(false);

  // The folder goes: a change (no folder is not an empty one), and the watch is lost.
  int n = wakes_;
  ASSERT_EQ(::unlink((key_dir_ + "/provisioned.tag").c_str()), 0);
  ASSERT_EQ(::rmdir(key_dir_.c_str()), 0);
  ASSERT_TRUE(woken_after(n, trigger));
  EXPECT_NE(trigger.state().find("not watching"), std::string::npos) << trigger.state();

  // It comes back: seen through its parent and watched again at once, with no cycle in between.
  n = wakes_;
  ASSERT_EQ(::mkdir(key_dir_.c_str(), 0700), 0);
  ASSERT_TRUE(woken_after(n, trigger));
  EXPECT_EQ(trigger.state().rfind("watching ", 0), 0u) << trigger.state();

  // The new folder's own watch works: a key file planted, then deleted, each starts a cycle.
  n = wakes_;
  testing::write_file(key_dir_ + "/" + kKey, "{}");
  ASSERT_TRUE(woken_after(n, trigger));
  n = wakes_;
  ASSERT_EQ(::unlink((key_dir_ + "/" + kKey).c_str()), 0);
  ASSERT_TRUE(woken_after(n, trigger));

  // The same when the folder is moved away and another one moved into its place.
  n = wakes_;
  ASSERT_EQ(::rename(key_dir_.c_str(), (dir_ / "keys.old").c_str()), 0);
  ASSERT_TRUE(woken_after(n, trigger));
  ASSERT_EQ(::mkdir((dir_ / "keys.new").c_str(), 0700), 0);
  testing::write_file(dir_ / "keys.new/" + kKey, "{}");
  n = wakes_;
  ASSERT_EQ(::rename((dir_ / "keys.new").c_str(), key_dir_.c_str()), 0);
  ASSERT_TRUE(woken_after(n, trigger));
  n = wakes_;
  ASSERT_EQ(::unlink((key_dir_ + "/" + kKey).c_str()), 0);
  ASSERT_TRUE(woken_after(n, trigger));
}

TEST_F(CycleTriggerTest, InotifyUnavailableAtStartIsRetriedOnTheClocksBackoffAndSaysSo) {
  int attempts = 0;
  InotifyCalls calls;
  calls.init1 = [&attempts](int flags) {
    if (++attempts <= 2) {  // the process's descriptors are used up, twice
      errno = EMFILE;
      return -1;
    }
    return ::inotify_init1(flags);
  };
  CycleTrigger trigger(config_, wake(), clock_, calls);
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(trigger.state(), "unavailable (inotify_init1: Too many open files)");

  auto cycle = [&trigger] {
    trigger.cycle_started();
    trigger.cycle_finished(false);
  };
  cycle();
  EXPECT_EQ(attempts, 1) << "not before the backoff (60 s) has run out";
  clock_.advance(60s);
  cycle();
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(trigger.state(), "unavailable (inotify_init1: Too many open files)");
  clock_.advance(60s);
  cycle();
  EXPECT_EQ(attempts, 2) << "the second failure doubled the wait to 120 s";
  clock_.advance(60s);
  cycle();
  EXPECT_EQ(attempts, 3);
  ASSERT_EQ(trigger.state().rfind("watching ", 0), 0u) << trigger.state();

  // And it works: a deleted key file's folder change starts a cycle.
  const int n = wakes_;
  testing::write_file(key_dir_ + "/" + kKey, "{}");
  ASSERT_TRUE(woken_after(n, trigger));
}

TEST_F(CycleTriggerTest, AWatchRefusedAtStartIsRetriedOnTheClocksBackoff) {
  int refused = 0;
  InotifyCalls calls;
  calls.add_watch = [&](int fd, const char* path, std::uint32_t mask) {
    if (path == key_dir_ && refused < 2) {  // fs.inotify.max_user_watches reached
      ++refused;
      errno = ENOSPC;
      return -1;
    }
    return ::inotify_add_watch(fd, path, mask);
  };
  CycleTrigger trigger(config_, wake(), clock_, calls);
  EXPECT_EQ(refused, 1);
  EXPECT_EQ(trigger.state(), "not watching (" + key_dir_ + ": No space left on device)");
  trigger.cycle_started();
  trigger.cycle_finished(false);
  EXPECT_EQ(refused, 1) << "not before the backoff (60 s) has run out";
  clock_.advance(60s);
  trigger.cycle_started();
  trigger.cycle_finished(false);
  EXPECT_EQ(refused, 2);
  clock_.advance(60s);
  trigger.cycle_started();
  trigger.cycle_finished(false);
  EXPECT_EQ(refused, 2) << "the second refusal doubled the wait to 120 s";
  clock_.advance(60s);
  trigger.cycle_started();
  trigger.cycle_finished(false);
  ASSERT_EQ(trigger.state().rfind("watching ", 0), 0u) << trigger.state();

  const int n = wakes_;
  testing::write_file(key_dir_ + "/" + kKey, "{}");
  ASSERT_TRUE(woken_after(n, trigger));
}

TEST_F(CycleTriggerTest, OffSaysSo) {
  config_.trigger_enabled = false;
  CycleTrigger trigger(config_, wake(), clock_);
  EXPECT_EQ(trigger.state(), "off (daemon.trigger.enabled false)");
}

}  // namespace
}  // namespace latchwatch::agent
