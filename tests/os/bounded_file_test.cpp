// read_bounded_file: regular files only, no final symlink, never blocks, never reads past a limit.
// The cases here run on both platforms; FIFOs, /proc, devices, symlinks and modes are in
// bounded_file_posix_test.cpp, reparse points in tests/os/bounded_file_windows_test.cpp.

#include "probes/os/bounded_file.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/test_support.h"

namespace latchwatch::probes {
namespace {

using testing::TempDir;
using testing::write_file;

TEST(BoundedFileTest, EmptyAndBinaryFilesAreReadExactly) {
  TempDir dir;
  write_file(dir / "empty", "");
  auto empty = read_bounded_file(dir / "empty", 10);
  EXPECT_EQ(empty.state, ReadState::ok);
  EXPECT_TRUE(empty.content.empty());
  const std::string binary("a\0b\xff", 4);
  write_file(dir / "bin", binary);
  EXPECT_EQ(read_bounded_file(dir / "bin", 10).content, binary);
}

TEST(BoundedFileTest, ExactlyTheLimitIsReadOneMoreByteIsTooLarge) {
  TempDir dir;
  write_file(dir / "at", std::string(100, 'a'));
  write_file(dir / "over", std::string(101, 'a'));
  auto at = read_bounded_file(dir / "at", 100);
  EXPECT_EQ(at.state, ReadState::ok);
  EXPECT_EQ(at.content.size(), 100u);
  auto over = read_bounded_file(dir / "over", 100);
  EXPECT_EQ(over.state, ReadState::too_large);
  EXPECT_TRUE(over.content.empty());
  EXPECT_NE(over.error.find("100"), std::string::npos) << over.error;
}

TEST(BoundedFileTest, LargerThanTheChunkSizeIsReadWhole) {
  TempDir dir;
  std::string big(200 * 1024 + 7, 'x');
  big[123456] = 'y';
  write_file(dir / "big", big);
  auto r = read_bounded_file(dir / "big", big.size());
  ASSERT_EQ(r.state, ReadState::ok) << r.error;
  EXPECT_EQ(r.content, big);
}

TEST(BoundedFileTest, MissingFilesAndPathsThroughFilesAreMissing) {
  TempDir dir;
  auto r = read_bounded_file(dir / "none", 10);
  EXPECT_EQ(r.state, ReadState::missing);
  EXPECT_NE(r.error.find(dir / "none"), std::string::npos) << r.error;
  write_file(dir / "file", "x");
  EXPECT_EQ(read_bounded_file(dir / "file/inner", 10).state, ReadState::missing);
}

TEST(BoundedFileTest, AFolderIsNotARegularFile) {
  TempDir dir;
  auto r = read_bounded_file(dir.path(), 1024);
  EXPECT_EQ(r.state, ReadState::not_a_regular_file) << r.error;
  EXPECT_TRUE(r.content.empty());
}

TEST(BoundedFileTest, AHugeSparseFileIsTooLargeWithoutBeingRead) {
  TempDir dir;
  write_file(dir / "huge", "");
  std::filesystem::resize_file(dir / "huge", 1ull << 30);  // 1 GiB: reading it would show
  auto r = read_bounded_file(dir / "huge", 1024);
  EXPECT_EQ(r.state, ReadState::too_large);
  EXPECT_TRUE(r.content.empty());
  EXPECT_NE(r.error.find("1073741824 bytes"), std::string::npos) << r.error;
  EXPECT_NE(r.mtime, std::chrono::system_clock::time_point{}) << "mtime comes from the handle";
}

TEST(BoundedFileTest, FollowingAFinalLinkStillReadsAPlainFile) {
  TempDir dir;
  write_file(dir / "f", "plain");
  auto r = read_bounded_file(dir / "f", 10, FinalLink::follow);
  EXPECT_EQ(r.state, ReadState::ok) << r.error;
  EXPECT_EQ(r.content, "plain");
  EXPECT_EQ(read_bounded_file(dir / "none", 10, FinalLink::follow).state, ReadState::missing);
}

}  // namespace
}  // namespace latchwatch::probes
