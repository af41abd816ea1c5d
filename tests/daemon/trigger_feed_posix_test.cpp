// The watcher's deciding half (trigger_feed.h) on a real folder with real inotify, driven the way
// CycleTrigger's thread drives it (read the queue, feed it, settle) but with time passed in: what
// a rename flood in a large key folder costs is counted in listings, not measured in time.

#include "agent/daemon/trigger_feed.h"

#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/stat.h>

#include "tests/support/test_support.h"

namespace latchwatch::agent {
namespace {

using namespace std::chrono_literals;
using Time = TriggerPolicy::Time;

TEST(TriggerFeed, ARenameFloodInALargeKeyFolderIsListedOncePerTriggerDecisionNotPerEvent) {
  testing::TempDir dir;
  const std::string keys = dir / "keys";
  ASSERT_EQ(::mkdir(keys.c_str(), 0700), 0);
  // A few thousand entries, every one of which a listing reads: key names and other files.
  for (int i = 0; i < 3000; ++i)
    testing::write_file(keys + "/" + std::to_string(i) + (i % 3 == 0 ? ".key" : ".tmp"), "");
  testing::write_file(keys + "/flood-a.key", "");
  testing::write_file(dir / "status.json", "{}");

  GpaFileWatch watch(keys, dir / "status.json");
  Time now = Time{} + 1h;
  TriggerPolicy policy(TriggerSettings{}, now);  // quiet window 5 s
  settle(watch, policy, watch.arm(), now, true);
  ASSERT_TRUE(watch.unwatched_reason().empty()) << watch.unwatched_reason();
  policy.cycle_started(now);
  policy.cycle_finished(now + 1s, false);
  const long listed_before = watch.listings();

  // 10,001 renames, flood-a.key <-> flood-b.key, a millisecond apart on the policy's clock. The
  // watcher wakes every 100 renames (200 events) and does what its thread does on each wake.
  constexpr int kRenames = 10001;
  long events_read = 0;
  for (int i = 0; i < kRenames; ++i) {
    const std::string from = keys + (i % 2 == 0 ? "/flood-a.key" : "/flood-b.key");
    const std::string to = keys + (i % 2 == 0 ? "/flood-b.key" : "/flood-a.key");
    ASSERT_EQ(::rename(from.c_str(), to.c_str()), 0);
    now += 1ms;
    if (i % 100 == 99 || i == kRenames - 1) {
      const auto events = watch.read_events();
      events_read += events.read;
      feed_events(watch, policy, events, now);
      settle(watch, policy, {}, now, false);
      EXPECT_FALSE(policy.due()) << "nothing is due while the folder keeps changing";
    }
  }
  EXPECT_EQ(events_read, 2L * kRenames) << "every rename was seen (no overflow)";
  EXPECT_EQ(watch.listings(), listed_before) << "no listing while events keep coming";

  // Quiet for the window: the one decision lists the folder once and finds flood-b.key instead
  // of flood-a.key, a change that is due at once.
  now += 5s;
  settle(watch, policy, {}, now, false);
  EXPECT_EQ(watch.listings(), listed_before + 1);
  ASSERT_TRUE(policy.due());
  EXPECT_LE(*policy.due(), now);
  settle(watch, policy, {}, now, false);
  policy.cycle_started(now);  // what CycleTrigger does when the cycle starts: nothing to list
  settle(watch, policy, {}, now, true);
  EXPECT_EQ(watch.listings(), listed_before + 1);
  EXPECT_EQ(policy.triggered_cycles(), 1);
}

TEST(TriggerFeed, ACycleStartingListsATouchedFolderSoItsBaselineIsCurrent) {
  testing::TempDir dir;
  const std::string keys = dir / "keys";
  ASSERT_EQ(::mkdir(keys.c_str(), 0700), 0);
  testing::write_file(keys + "/a.key", "");
  GpaFileWatch watch(keys, dir / "status.json");
  Time now = Time{} + 1h;
  TriggerPolicy policy(TriggerSettings{}, now);
  settle(watch, policy, watch.arm(), now, true);
  policy.cycle_started(now);
  policy.cycle_finished(now + 1s, false);

  ASSERT_EQ(::unlink((keys + "/a.key").c_str()), 0);
  now += 2s;
  feed_events(watch, policy, watch.read_events(), now);
  const long listed = watch.listings();
  // The timer's cycle starts inside the quiet window: it lists (once) and sees the change itself,
  // so nothing is left for the trigger afterwards.
  settle(watch, policy, {}, now, true);
  policy.cycle_started(now);
  policy.cycle_finished(now + 1s, false);
  EXPECT_EQ(watch.listings(), listed + 1);
  EXPECT_FALSE(policy.keys_dirty());
  EXPECT_FALSE(policy.due());
  EXPECT_EQ(policy.triggered_cycles(), 0);
}

TEST(TriggerFeed, WatchRetriesBackOffFromAMinuteToAnHour) {
  EXPECT_EQ(watch_retry_delay(1), 60s);
  EXPECT_EQ(watch_retry_delay(2), 120s);
  EXPECT_EQ(watch_retry_delay(3), 240s);
  EXPECT_EQ(watch_retry_delay(6), 1920s);
  EXPECT_EQ(watch_retry_delay(7), 3600s);
  EXPECT_EQ(watch_retry_delay(1000), 3600s);
}

}  // namespace
}  // namespace latchwatch::agent
