// GpaFileWatch and CycleTrigger on Windows: ReadDirectoryChangesW on real folders (under wine in
// CI, where wineserver feeds it from the host's inotify). A read completes some time after the
// change that caused it, so each check waits for the watch's event (bounded: 10 s) and reads
// what came; a change that must not count is checked on the records it produced, once they came.
// Nothing sleeps.

#include <gtest/gtest.h>
#include <windows.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "agent/config/config.h"
#include "agent/daemon/cycle_trigger.h"
#include "agent/daemon/gpa_file_watch.h"
#include "probes/os/wide_text.h"
#include "tests/support/manual_clock.h"
#include "tests/support/test_support.h"

namespace latchwatch::agent {
namespace {

using namespace std::chrono_literals;
using probes::windows::widen;
using testing::TempDir;

const std::string kKey = "e3882f98-da8d-4410-8394-06c23462781c";
const std::string kOtherKey = "0b1c2d3e-4f50-4617-8283-94a5b6c7d8e9";
constexpr DWORD kWaitMs = 10'000;

bool move(const std::string& from, const std::string& to) {
  return ::MoveFileExW(widen(from).c_str(), widen(to).c_str(), MOVEFILE_REPLACE_EXISTING);
}
bool remove_file(const std::string& path) { return ::DeleteFileW(widen(path).c_str()); }
bool make_dir(const std::string& path) { return ::CreateDirectoryW(widen(path).c_str(), nullptr); }

/// Reads events until `done` holds for what was read so far, waiting on the watch's event between
/// reads (bounded). The flags of every read are or-ed together.
GpaFileWatch::Events read_until(GpaFileWatch& watch,
                                const std::function<bool(const GpaFileWatch::Events&)>& done) {
  GpaFileWatch::Events all;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWaitMs);
  while (!done(all) && std::chrono::steady_clock::now() < deadline) {
    if (::WaitForSingleObject(LongToHandle(watch.fd()), kWaitMs) != WAIT_OBJECT_0) break;
    auto events = watch.read_events();
    all.key_folder |= events.key_folder;
    all.status_written |= events.status_written;
    all.status_gone |= events.status_gone;
    all.read += events.read;
  }
  return all;
}

bool any_read(const GpaFileWatch::Events& e) { return e.read > 0; }
bool key_seen(const GpaFileWatch::Events& e) { return e.key_folder; }

class WindowsFolderWatch : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(make_dir(key_dir_));
    testing::write_file(key_dir_ + "/" + kKey + ".encrypted", "dpapi");
    testing::write_file(key_dir_ + "/provisioned.tag", "");
    ASSERT_TRUE(make_dir(log_dir_));
    write_status("first");
  }
  /// As GPA does: status.tmp, then rename over status.json.
  void write_status(const std::string& message) {
    testing::write_file(log_dir_ + "/status.tmp", message);
    ASSERT_TRUE(move(log_dir_ + "/status.tmp", status_file_));
  }
  KeyNames names(std::initializer_list<std::string> keys) {
    std::vector<std::string> out;
    for (const auto& k : keys) out.push_back(k + ".encrypted");
    return out;
  }

  TempDir dir_;
  std::string key_dir_ = dir_ / "Keys";
  std::string log_dir_ = dir_ / "Logs";
  std::string status_file_ = log_dir_ + "/status.json";
};

TEST_F(WindowsFolderWatch, KeyFileCreateDeleteAndRenameAreSeenByName) {
  GpaFileWatch watch(key_dir_, status_file_);
  ASSERT_GE(watch.fd(), 0) << watch.error();
  auto armed = watch.arm();
  ASSERT_TRUE(armed.key_folder && armed.status) << watch.unwatched_reason();
  EXPECT_EQ(watch.key_names(), names({kKey}));

  ASSERT_TRUE(remove_file(key_dir_ + "/" + kKey + ".encrypted"));
  EXPECT_TRUE(read_until(watch, key_seen).key_folder);
  EXPECT_EQ(watch.key_names(), names({}));

  // GPA saves a key under a temporary name and renames it: the temporary file is no key file.
  testing::write_file(key_dir_ + "/" + kKey + ".tmp", "dpapi");
  auto events = read_until(watch, any_read);
  EXPECT_GT(events.read, 0) << "the create was reported";
  EXPECT_FALSE(events.key_folder);
  ASSERT_TRUE(move(key_dir_ + "/" + kKey + ".tmp", key_dir_ + "/" + kKey + ".encrypted"));
  EXPECT_TRUE(read_until(watch, key_seen).key_folder);
  EXPECT_EQ(watch.key_names(), names({kKey}));

  // Renamed to another guid: the set of names changed.
  ASSERT_TRUE(
      move(key_dir_ + "/" + kKey + ".encrypted", key_dir_ + "/" + kOtherKey + ".encrypted"));
  EXPECT_TRUE(read_until(watch, key_seen).key_folder);
  EXPECT_EQ(watch.key_names(), names({kOtherKey}));

  // Tags are not key files.
  testing::write_file(key_dir_ + "/status.tag", "x");
  events = read_until(watch, any_read);
  EXPECT_GT(events.read, 0);
  EXPECT_FALSE(events.key_folder);
}

TEST_F(WindowsFolderWatch, StatusRewrittenByRenameOrInPlaceIsSeenOtherFilesAreNot) {
  GpaFileWatch watch(key_dir_, status_file_);
  ASSERT_TRUE(watch.arm().status) << watch.unwatched_reason();
  // GPA's log shares the folder.
  testing::write_file(log_dir_ + "/ProxyAgent.log", "line");
  auto events = read_until(watch, any_read);
  EXPECT_GT(events.read, 0);
  EXPECT_FALSE(events.status_written);
  EXPECT_FALSE(events.key_folder);

  write_status("second");
  auto written = [](const GpaFileWatch::Events& e) { return e.status_written; };
  EXPECT_TRUE(read_until(watch, written).status_written);
  // GPA ≤ 1.0.23 rewrites the file in place: the last-write filter sees it.
  testing::write_file(status_file_, "third");
  EXPECT_TRUE(read_until(watch, written).status_written);

  ASSERT_TRUE(remove_file(status_file_));
  auto gone = [](const GpaFileWatch::Events& e) { return e.status_gone; };
  EXPECT_TRUE(read_until(watch, gone).status_gone);
  EXPECT_EQ(watch.status_fingerprint(), "unreadable:missing");
}

TEST_F(WindowsFolderWatch, AMissingFolderIsUnwatchedWithItsReasonThenWatchedOnceItExists) {
  const std::string later = dir_ / "not-yet";
  GpaFileWatch watch(later, status_file_);
  auto armed = watch.arm();
  EXPECT_FALSE(armed.key_folder);
  EXPECT_TRUE(armed.status);
  EXPECT_FALSE(watch.key_folder_watched());
  EXPECT_NE(watch.unwatched_reason().find("not-yet"), std::string::npos)
      << watch.unwatched_reason();
  EXPECT_EQ(watch.key_names(), std::nullopt);

  ASSERT_TRUE(make_dir(later));
  EXPECT_TRUE(watch.arm().key_folder);
  EXPECT_TRUE(watch.unwatched_reason().empty()) << watch.unwatched_reason();
  testing::write_file(later + "/" + kKey + ".encrypted", "dpapi");
  EXPECT_TRUE(read_until(watch, key_seen).key_folder);
  EXPECT_EQ(watch.key_names(), names({kKey}));
}

// The watch never stands in GPA's way: the folder it holds open can still be removed (every
// share mode). What follows the removal differs: on Windows the pending read ends with an error
// and the watch lets go at once; wine 8 keeps the folder "delete pending" (still listed, empty)
// until the watch's handle closes and completes no read, so the loss is seen by the next cycle's
// own listing, not by the watch. Checked here: the removal succeeds and completes once the watch
// is gone.
TEST_F(WindowsFolderWatch, TheWatchedKeyFolderCanStillBeRemoved) {
  {
    GpaFileWatch watch(key_dir_, status_file_);
    ASSERT_TRUE(watch.arm().key_folder) << watch.unwatched_reason();
    ASSERT_TRUE(remove_file(key_dir_ + "/" + kKey + ".encrypted"));
    ASSERT_TRUE(remove_file(key_dir_ + "/provisioned.tag"));
    EXPECT_TRUE(read_until(watch, key_seen).key_folder);
    EXPECT_TRUE(::RemoveDirectoryW(widen(key_dir_).c_str())) << ::GetLastError();
  }
  EXPECT_EQ(::GetFileAttributesW(widen(key_dir_).c_str()), INVALID_FILE_ATTRIBUTES);
}

/// The real trigger on real folders: the policy (shared with Linux) with no quiet window, so a
/// change is due the moment it is seen; the clock stands still.
class WindowsCycleTrigger : public WindowsFolderWatch {
 protected:
  Config config() {
    Config c;
    c.sources.key_dir = key_dir_;
    c.sources.status_file = status_file_;
    c.trigger_enabled = true;
    c.trigger_min_gap_s = 0;
    c.trigger_max_per_hour = 60;
    return c;
  }
  void wake() {
    std::lock_guard<std::mutex> lock(mutex_);
    ++wakes_;
    cv_.notify_all();
  }
  /// Waits (bounded) until the trigger has called wake `count` times in all.
  bool woken(int count) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, std::chrono::milliseconds(kWaitMs), [&] { return wakes_ >= count; });
  }
  int wakes() {
    std::lock_guard<std::mutex> lock(mutex_);
    return wakes_;
  }
  /// One cycle as the run loop runs it (no key verdict pending): the baseline for the next change.
  void cycle(CycleTrigger& trigger) {
    trigger.cycle_started();
    trigger.cycle_finished(false);
  }

  testing::ManualClock clock_;
  std::mutex mutex_;
  std::condition_variable cv_;
  int wakes_ = 0;
};

TEST_F(WindowsCycleTrigger, DeletingCreatingAndRenamingAKeyFileStartsACycle) {
  CycleTrigger trigger(
      config(), [this] { wake(); }, clock_);
  cycle(trigger);

  ASSERT_TRUE(remove_file(key_dir_ + "/" + kKey + ".encrypted"));
  ASSERT_TRUE(woken(1)) << "deleting the key file started no cycle";
  cycle(trigger);

  testing::write_file(key_dir_ + "/" + kKey + ".encrypted", "dpapi");
  ASSERT_TRUE(woken(2)) << "a new key file started no cycle";
  cycle(trigger);

  ASSERT_TRUE(
      move(key_dir_ + "/" + kKey + ".encrypted", key_dir_ + "/" + kOtherKey + ".encrypted"));
  ASSERT_TRUE(woken(3)) << "renaming the key file started no cycle";
  cycle(trigger);
  EXPECT_EQ(wakes(), 3);
}

TEST_F(WindowsCycleTrigger, AKeyFolderMissingAtStartIsWatchedFromTheCycleAfterItAppears) {
  const std::string later = dir_ / "Keys-later";
  auto c = config();
  c.sources.key_dir = later;
  CycleTrigger trigger(
      c, [this] { wake(); }, clock_);
  cycle(trigger);
  ASSERT_TRUE(make_dir(later));
  cycle(trigger);  // re-arms: the empty folder is the baseline, not a change
  testing::write_file(later + "/" + kKey + ".encrypted", "dpapi");
  ASSERT_TRUE(woken(1)) << "a key file in the folder that appeared started no cycle";
}

TEST_F(WindowsCycleTrigger, StopEndsTheWatcherAtOnceNotAtTheWaitsBound) {
  // Nothing is due, so the watcher waits on its events for up to a minute; stopping sets the
  // nudge event, which ends the wait now.
  auto trigger = std::make_unique<CycleTrigger>(
      config(), [this] { wake(); }, clock_);
  cycle(*trigger);
  auto stopped = std::async(std::launch::async, [&] { trigger.reset(); });
  EXPECT_EQ(stopped.wait_for(10s), std::future_status::ready)
      << "stop waited for the watcher's 60 s bound";
  stopped.wait();
  EXPECT_EQ(wakes(), 0);
}

TEST(WindowsFileTrigger, OffWhenDisabledInTheConfiguration) {
  TempDir dir;
  Config c;
  c.sources.key_dir = dir / "Keys";
  c.sources.status_file = dir / "status.json";
  c.trigger_enabled = false;
  int wakes = 0;
  CycleTrigger trigger(c, [&] { ++wakes; });
  trigger.cycle_started();
  trigger.cycle_finished(true);
  EXPECT_EQ(wakes, 0);
}

}  // namespace
}  // namespace latchwatch::agent
