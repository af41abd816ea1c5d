// probes/os/atomic_file.h on Linux: touch without following a link (the identity cache's
// "confirmed unchanged" mark), and a folder reached through a link when the owner allows it.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "probes/os/atomic_file.h"
#include "tests/support/test_support.h"

namespace latchwatch::probes {
namespace {

using testing::TempDir;

void set_mtime(const std::string& path, std::time_t seconds) {
  timespec times[2] = {{seconds, 0}, {seconds, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

std::time_t mtime_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mtim.tv_sec;
}

TEST(AtomicFile, TouchMovesTheMtimeToNow) {
  TempDir dir;
  testing::write_file(dir / "identity.json", "{}");
  set_mtime(dir / "identity.json", 1420070400);  // 2015
  ASSERT_EQ(touch(dir / "identity.json"), "");
  EXPECT_GT(mtime_of(dir / "identity.json"), 1420070400 + 365 * 86400);
  EXPECT_EQ(testing::read_file(dir / "identity.json"), "{}") << "content untouched";
  EXPECT_NE(touch(dir / "none").find("none"), std::string::npos);
}

TEST(AtomicFile, TouchSetsALinksOwnTimeNeverItsTargets) {
  TempDir dir;
  testing::write_file(dir / "target", "x");
  set_mtime(dir / "target", 1420070400);
  ASSERT_EQ(::symlink((dir / "target").c_str(), (dir / "link").c_str()), 0);
  set_mtime(dir / "link", 1420070400);
  ASSERT_EQ(touch(dir / "link"), "");
  EXPECT_EQ(mtime_of(dir / "target"), 1420070400) << "the target was not touched";
  EXPECT_GT(mtime_of(dir / "link"), 1420070400);
}

TEST(AtomicFile, ALinkedFolderIsRefusedUnlessTheOwnerNamedIt) {
  TempDir dir;
  TempDir real;
  ASSERT_EQ(::symlink(real.path().c_str(), (dir / "out").c_str()), 0);
  EXPECT_NE(write_file_atomically(dir / "out/page.html", "x").find("symbolic link"),
            std::string::npos);
  ASSERT_EQ(write_file_atomically(dir / "out/page.html", "<html>", 0644, false, false), "");
  EXPECT_EQ(testing::read_file(real / "page.html"), "<html>");
}

TEST(AtomicFile, ATextfileFolderSwappedForALinkWhileWritingIsNeverWrittenThrough) {
  // The hostile neighbour of issue 26: while root rewrites latchwatch.prom, a local user keeps
  // swapping the textfile folder for a link to a folder of their choosing. Every write lands in
  // the real folder or is refused; none goes through the link (the folder is opened O_NOFOLLOW
  // once and written relative to that descriptor). Against the code before (lstat, then
  // mkostemp and rename by path) 2,000 swaps put 20 to 150 files in the victim's folder.
  TempDir dir;
  TempDir victim;
  const std::string folder = dir / "textfile";
  ASSERT_EQ(::mkdir(folder.c_str(), 0755), 0);
  std::atomic<bool> done{false};
  std::atomic<long> swaps{0};
  std::thread swapper([&] {
    const std::string aside = dir / "textfile.real";
    while (!done) {
      if (::rename(folder.c_str(), aside.c_str()) != 0) continue;
      if (::symlink(victim.path().c_str(), folder.c_str()) == 0) {
        ::unlink(folder.c_str());
        ++swaps;
      }
      ::rename(aside.c_str(), folder.c_str());
    }
  });
  while (swaps == 0) std::this_thread::yield();  // the swapping has begun (an event, not a time)
  long written = 0, refused = 0;
  for (int i = 0; i < 200000 && (i < 2000 || swaps < 2000); ++i) {
    auto error =
        write_file_atomically(folder + "/latchwatch.prom", "latchwatch_up 1\n", 0644, false);
    (error.empty() ? written : refused)++;
  }
  done = true;
  swapper.join();
  EXPECT_GT(swaps.load(), 0);
  // With the folder left alone, the write lands where it belongs.
  ASSERT_EQ(write_file_atomically(folder + "/latchwatch.prom", "latchwatch_up 1\n", 0644, false),
            "");
  EXPECT_EQ(testing::read_file(folder + "/latchwatch.prom"), "latchwatch_up 1\n");
  std::vector<std::string> planted;
  for (const auto& entry : std::filesystem::directory_iterator(victim.path()))
    planted.push_back(entry.path().filename().string());
  EXPECT_TRUE(planted.empty()) << planted.size() << " files written through the link, first "
                               << planted.front() << " (" << written << " written, " << refused
                               << " refused)";
}

}  // namespace
}  // namespace latchwatch::probes
