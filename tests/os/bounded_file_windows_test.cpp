// read_bounded_file on Windows: CreateFileW without following a final reparse point, sharing
// with GPA's writers, regular files only, the size cap, mtime from the handle. Real files.

#include <windows.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "probes/base/json_limits.h"
#include "probes/os/bounded_file.h"
#include "probes/os/wide_text.h"
#include "tests/support/test_support.h"
#include "tests/windows/folder_link.h"

namespace latchwatch::probes {
namespace {

using testing::TempDir;
using testing::write_file;

TEST(BoundedFileWindows, ReadsAFileWithItsMtimeFromTheHandle) {
  TempDir dir;
  write_file(dir / "status.json", "{\"version\":\"1.0\"}");
  HANDLE h = ::CreateFileW(windows::widen(dir / "status.json").c_str(), FILE_WRITE_ATTRIBUTES,
                           FILE_SHARE_READ, nullptr, OPEN_EXISTING, 0, nullptr);
  ASSERT_NE(h, INVALID_HANDLE_VALUE);
  ULONGLONG ticks = (1784715342ULL + 11644473600ULL) * 10000000ULL + 1234567;
  FILETIME t{static_cast<DWORD>(ticks & 0xffffffffu), static_cast<DWORD>(ticks >> 32)};
  ASSERT_TRUE(::SetFileTime(h, nullptr, nullptr, &t));
  ::CloseHandle(h);
  auto r = read_bounded_file(dir / "status.json", 64);
  ASSERT_EQ(r.state, ReadState::ok) << r.error;
  EXPECT_EQ(r.content, "{\"version\":\"1.0\"}");
  EXPECT_EQ(format_utc(r.mtime, false), "2026-07-22T10:15:42Z");
}

TEST(BoundedFileWindows, TooLargeMissingAndAFolderAreNamed) {
  TempDir dir;
  write_file(dir / "over", std::string(101, 'a'));
  auto over = read_bounded_file(dir / "over", 100);
  EXPECT_EQ(over.state, ReadState::too_large);
  EXPECT_TRUE(over.content.empty());
  EXPECT_NE(over.error.find("101 bytes"), std::string::npos) << over.error;

  auto missing = read_bounded_file(dir / "none", 100);
  EXPECT_EQ(missing.state, ReadState::missing) << missing.error;
  EXPECT_NE(missing.error.find(dir / "none"), std::string::npos) << missing.error;
  EXPECT_EQ(read_bounded_file(dir / "none/inner", 100).state, ReadState::missing);

  auto folder = read_bounded_file(dir.path(), 100);
  EXPECT_EQ(folder.state, ReadState::not_a_regular_file) << folder.error;
}

TEST(BoundedFileWindows, ACharacterDeviceIsNotARegularFile) {
  auto r = read_bounded_file("NUL", 100);
  EXPECT_EQ(r.state, ReadState::not_a_regular_file) << r.error;
}

TEST(BoundedFileWindows, AFileAWriterHoldsOpenIsStillRead) {
  // GPA keeps writing its status file; the reader shares read, write and delete.
  TempDir dir;
  write_file(dir / "status.json", "{}");
  HANDLE writer = ::CreateFileW(windows::widen(dir / "status.json").c_str(), GENERIC_WRITE,
                                FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                                OPEN_EXISTING, 0, nullptr);
  ASSERT_NE(writer, INVALID_HANDLE_VALUE);
  auto r = read_bounded_file(dir / "status.json", 64);
  ::CloseHandle(writer);
  EXPECT_EQ(r.state, ReadState::ok) << r.error;
  EXPECT_EQ(r.content, "{}");
}

TEST(BoundedFileWindows, AFinalSymbolicLinkIsNotFollowedUnlessAsked) {
  TempDir dir;
  write_file(dir / "target", "secret");
  if (!::CreateSymbolicLinkW(windows::widen(dir / "link").c_str(),
                             windows::widen(dir / "target").c_str(),
                             SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE) ||
      !testing::is_reparse_point(dir / "link"))
    GTEST_SKIP() << "no file symbolic links here (wine 8 makes none): "
                 << windows::error_text(::GetLastError());
  auto refused = read_bounded_file(dir / "link", 1024);
  EXPECT_EQ(refused.state, ReadState::error);
  EXPECT_TRUE(refused.content.empty());
  EXPECT_NE(refused.error.find("not followed"), std::string::npos) << refused.error;
  auto followed = read_bounded_file(dir / "link", 1024, FinalLink::follow);
  EXPECT_EQ(followed.state, ReadState::ok) << followed.error;
  EXPECT_EQ(followed.content, "secret");
}

TEST(BoundedFileWindows, ALinkToAFolderIsNeverRead) {
  TempDir dir;
  TempDir elsewhere;
  std::string why;
  if (!testing::make_folder_link(dir / "status.json", elsewhere.path(), why))
    GTEST_SKIP() << "no symbolic links here: " << why;
  auto r = read_bounded_file(dir / "status.json", 1024);
  EXPECT_NE(r.state, ReadState::ok);
  EXPECT_TRUE(r.content.empty());
}

}  // namespace
}  // namespace latchwatch::probes
