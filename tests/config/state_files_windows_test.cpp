// Files latchwatch writes on Windows: atomic replacement (MoveFileExW), touch without following
// a link, the history's append and rotation, and the secret file's DACL check. Real files and
// real security descriptors.

// The project's headers before <aclapi.h>, whose objbase.h defines `interface` (a field name in
// probes/local/host_facts.h).
#include <windows.h>

#include <aclapi.h>
#include <gtest/gtest.h>
#include <sddl.h>

#include <algorithm>
#include <filesystem>

#include "agent/config/secret_file.h"
#include "probes/os/atomic_file.h"
#include "probes/os/bounded_file.h"
#include "probes/os/wide_text.h"
#include "reporting/sinks/report_file_sink.h"
#include "tests/support/test_support.h"
#include "tests/windows/folder_link.h"

namespace latchwatch {
namespace {

namespace fs = std::filesystem;
using probes::windows::widen;
using testing::TempDir;

std::vector<std::string> names_in(const std::string& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(fs::u8path(folder)))
    names.push_back(entry.path().filename().u8string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(AtomicFileWindows, ReplacesTheFileWholeAndLeavesNoTempFile) {
  TempDir dir;
  ASSERT_EQ(latchwatch::probes::write_file_atomically(dir / "identity.json", "old"), "");
  ASSERT_EQ(latchwatch::probes::write_file_atomically(dir / "identity.json", "new content"), "");
  EXPECT_EQ(testing::read_file(dir / "identity.json"), "new content");
  ASSERT_EQ(latchwatch::probes::write_file_atomically(dir / "report.json", "r", 0640, false), "");
  EXPECT_EQ(names_in(dir.path()), (std::vector<std::string>{"identity.json", "report.json"}));
}

TEST(AtomicFileWindows, AReaderHoldingTheFileMakesTheReplaceFailWholeUntilItCloses) {
  // Windows renames over an open file only once every handle is closed (even one sharing
  // delete): the write then fails, named, the old content whole and no temp file left.
  TempDir dir;
  ASSERT_EQ(latchwatch::probes::write_file_atomically(dir / "report.json", "old"), "");
  HANDLE reader = ::CreateFileW(widen(dir / "report.json").c_str(), GENERIC_READ,
                                FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                                OPEN_EXISTING, 0, nullptr);
  ASSERT_NE(reader, INVALID_HANDLE_VALUE);
  auto error = latchwatch::probes::write_file_atomically(dir / "report.json", "new");
  ::CloseHandle(reader);
  if (error.empty()) {
    // Newer Windows may replace with POSIX semantics: then the new content is there whole.
    EXPECT_EQ(testing::read_file(dir / "report.json"), "new");
  } else {
    EXPECT_NE(error.find("report.json"), std::string::npos) << error;
    EXPECT_EQ(testing::read_file(dir / "report.json"), "old");
  }
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"report.json"}) << "no temp file left";
  ASSERT_EQ(latchwatch::probes::write_file_atomically(dir / "report.json", "new"), "");
  EXPECT_EQ(testing::read_file(dir / "report.json"), "new");
}

TEST(AtomicFileWindows, AMissingFolderFailsNamedAndEnsureDirectoryCreatesIt) {
  TempDir dir;
  auto error = latchwatch::probes::write_file_atomically(dir / "state/x.json", "x");
  EXPECT_NE(error.find("x.json"), std::string::npos) << error;
  ASSERT_EQ(latchwatch::probes::ensure_directory(dir / "state/sub"), "");
  EXPECT_TRUE(fs::is_directory(dir / "state/sub"));
  ASSERT_EQ(latchwatch::probes::ensure_directory(dir / "state/sub"), "") << "idempotent";
  testing::write_file(dir / "file", "");
  EXPECT_NE(latchwatch::probes::ensure_directory(dir / "file").find("is not a folder"),
            std::string::npos);
}

TEST(AtomicFileWindows, TouchMovesTheMtimeForward) {
  TempDir dir;
  ASSERT_EQ(latchwatch::probes::write_file_atomically(dir / "identity.json", "x"), "");
  HANDLE h = ::CreateFileW(widen(dir / "identity.json").c_str(), FILE_WRITE_ATTRIBUTES, 0, nullptr,
                           OPEN_EXISTING, 0, nullptr);
  ASSERT_NE(h, INVALID_HANDLE_VALUE);
  FILETIME old_time{0, 0x01d00000};  // 2015
  ASSERT_TRUE(::SetFileTime(h, nullptr, nullptr, &old_time));
  ::CloseHandle(h);
  auto before = probes::read_bounded_file(dir / "identity.json").mtime;
  ASSERT_EQ(latchwatch::probes::touch(dir / "identity.json"), "");
  auto after = probes::read_bounded_file(dir / "identity.json").mtime;
  EXPECT_GT(after - before, std::chrono::hours(24 * 365)) << "from 2015 to now";
  EXPECT_NE(latchwatch::probes::touch(dir / "none"), "");
}

TEST(AtomicFileWindows, AStateFolderThatIsALinkIsRefused) {
  TempDir dir;
  TempDir elsewhere;
  std::string why;
  if (!testing::make_folder_link(dir / "state", elsewhere.path(), why))
    GTEST_SKIP() << "no symbolic links here: " << why;
  EXPECT_NE(
      latchwatch::probes::write_file_atomically(dir / "state/x.json", "x").find("symbolic link"),
      std::string::npos);
  EXPECT_NE(latchwatch::probes::ensure_directory(dir / "state").find("symbolic link"),
            std::string::npos);
  EXPECT_NE(reporting::append_history_line(dir / "state/history.jsonl", "line\n", 1 << 20), "");
  EXPECT_TRUE(names_in(elsewhere.path()).empty()) << "nothing written through the link";
}

TEST(AtomicFileWindows, AFileLinkAtTheTargetIsRefusedNotWrittenThrough) {
  TempDir dir;
  TempDir elsewhere;
  testing::write_file(elsewhere / "victim", "keep");
  if (!::CreateSymbolicLinkW(widen(dir / "report.json").c_str(),
                             widen(elsewhere / "victim").c_str(),
                             SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE) ||
      !testing::is_reparse_point(dir / "report.json"))
    GTEST_SKIP() << "no file symbolic links here (wine 8 makes none)";
  auto error = latchwatch::probes::write_file_atomically(dir / "report.json", "x");
  EXPECT_NE(error.find("refused"), std::string::npos) << error;
  EXPECT_NE(reporting::append_history_line(dir / "report.json", "line\n", 1 << 20), "");
  EXPECT_EQ(testing::read_file(elsewhere / "victim"), "keep");
}

TEST(ReportFileWindows, AppendsWithFileAppendDataAndRotatesOneGeneration) {
  TempDir dir;
  const std::string history = dir / "history.jsonl";
  ASSERT_EQ(reporting::append_history_line(history, "one\n", 8), "");
  ASSERT_EQ(reporting::append_history_line(history, "two\n", 8), "");
  ASSERT_EQ(reporting::append_history_line(history, "three\n", 8), "");
  EXPECT_EQ(testing::read_file(history + ".1"), "one\ntwo\n");
  EXPECT_EQ(testing::read_file(history), "three\n");
}

/// Sets `path`'s DACL from SDDL, protected from inheritance, and returns the DACL read back as
/// SDDL (what the file really has: wine derives DACLs from Unix modes and keeps no other).
std::string set_dacl(const std::string& path, const wchar_t* sddl) {
  PSECURITY_DESCRIPTOR sd = nullptr;
  if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, &sd, nullptr))
    return {};
  BOOL present = FALSE, defaulted = FALSE;
  PACL dacl = nullptr;
  ::GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted);
  std::wstring wide = widen(path);
  ::SetNamedSecurityInfoW(wide.data(), SE_FILE_OBJECT,
                          DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, nullptr,
                          nullptr, dacl, nullptr);
  ::LocalFree(sd);
  PSECURITY_DESCRIPTOR back = nullptr;
  PACL back_dacl = nullptr;
  if (::GetNamedSecurityInfoW(wide.c_str(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, nullptr,
                              nullptr, &back_dacl, nullptr, &back) != ERROR_SUCCESS)
    return {};
  wchar_t* text = nullptr;
  std::string result;
  if (::ConvertSecurityDescriptorToStringSecurityDescriptorW(
          back, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &text, nullptr))
    result = probes::windows::narrow(text);
  ::LocalFree(text);
  ::LocalFree(back);
  return result;
}

bool names_a_wide_group(const std::string& sddl) {
  for (const char* group : {";;;WD)", ";;;BU)", ";;;AU)"})
    if (sddl.find(group) != std::string::npos) return true;
  return false;
}

TEST(SecretFileWindows, ADaclForSystemAndAdministratorsOnlyIsAccepted) {
  TempDir dir;
  const std::string path = dir / "webhook.secret";
  testing::write_file(path, "topsecret\r\n");
  auto dacl = set_dacl(path, L"D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;OW)");
  if (dacl.empty() || names_a_wide_group(dacl))
    GTEST_SKIP() << "this system keeps no DACL set on a file (wine: from the Unix mode): " << dacl;
  std::string secret;
  ASSERT_EQ(agent::read_secret_file("sinks.webhook.secret_file", path, secret), "");
  EXPECT_EQ(secret, "topsecret");
}

TEST(SecretFileWindows, ADaclLettingEveryoneUsersOrAuthenticatedUsersInIsRefused) {
  TempDir dir;
  const std::string path = dir / "webhook.secret";
  testing::write_file(path, "topsecret");
  int checked = 0;
  for (const wchar_t* open : {L"D:P(A;;FA;;;SY)(A;;FR;;;WD)", L"D:P(A;;FA;;;SY)(A;;FW;;;BU)",
                              L"D:P(A;;FA;;;SY)(A;;GR;;;AU)"}) {
    auto dacl = set_dacl(path, open);
    if (!names_a_wide_group(dacl)) continue;  // not kept here; see the skip below
    ++checked;
    std::string none;
    auto error = agent::read_secret_file("sinks.webhook.secret_file", path, none);
    EXPECT_NE(error.find("read or write it"), std::string::npos) << dacl << ": " << error;
    EXPECT_NE(error.find("sinks.webhook.secret_file"), std::string::npos) << error;
    EXPECT_EQ(error.find("topsecret"), std::string::npos) << error;
    EXPECT_TRUE(none.empty());
  }
  if (checked == 0) GTEST_SKIP() << "no DACL naming a wide group could be set here";
}

TEST(SecretFileWindows, AFolderAMissingFileAndAnOversizedOneAreRefused) {
  TempDir dir;
  std::string secret;
  EXPECT_NE(agent::read_secret_file("k", dir.path(), secret).find("not a regular file"),
            std::string::npos);
  EXPECT_NE(agent::read_secret_file("k", dir / "none", secret).find("cannot be opened"),
            std::string::npos);
  testing::write_file(dir / "big", std::string(5000, 'a'));
  (void)set_dacl(dir / "big", L"D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;OW)");
  EXPECT_NE(agent::read_secret_file("k", dir / "big", secret), "") << "too large or too open";
  EXPECT_TRUE(secret.empty());
}

}  // namespace
}  // namespace latchwatch
