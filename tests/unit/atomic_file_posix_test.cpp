// probes/os/atomic_file.h on Linux: touch without following a link (the identity cache's
// "confirmed unchanged" mark), and a folder reached through a link when the owner allows it.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

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

}  // namespace
}  // namespace latchwatch::probes
