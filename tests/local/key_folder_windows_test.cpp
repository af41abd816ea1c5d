// GPA's Windows key folder (%SYSTEMDRIVE%\WindowsAzure\ProxyAgent\Keys): `{guid}.encrypted`
// files listed by name with FindFirstFileExW, never opened, reparse points never followed.
// Real folders and files, real share modes and links.

#include <windows.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "probes/base/json_limits.h"
#include "probes/local/key_folder.h"
#include "probes/os/wide_text.h"
#include "tests/support/test_support.h"
#include "tests/windows/folder_link.h"

namespace latchwatch::probes {
namespace {

using testing::TempDir;
using testing::write_file;
using Guids = std::vector<std::string>;

constexpr const char* kGuid = "e3882f98-da8d-4410-8394-06c23462781c";
constexpr const char* kOtherGuid = "0b1c2d3e-4f50-4617-8283-94a5b6c7d8e9";
constexpr const char* kDpapiBlob = "01000000d08c9ddf0115d1118c7a00c04fc297eb";

std::string encrypted(const std::string& guid) { return guid + ".encrypted"; }

/// A handle that nobody else may open while it is held: share mode 0.
class ExclusiveHandle {
 public:
  explicit ExclusiveHandle(const std::string& path)
      : handle_(::CreateFileW(windows::widen(path).c_str(), GENERIC_READ | GENERIC_WRITE, 0,
                              nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr)) {}
  ~ExclusiveHandle() {
    if (handle_ != INVALID_HANDLE_VALUE) ::CloseHandle(handle_);
  }
  ExclusiveHandle(const ExclusiveHandle&) = delete;
  ExclusiveHandle& operator=(const ExclusiveHandle&) = delete;
  bool held() const { return handle_ != INVALID_HANDLE_VALUE; }

 private:
  HANDLE handle_;
};

/// What any open of `path` (even for attributes only) gets while another handle holds it.
DWORD open_error(const std::string& path, DWORD access) {
  HANDLE h = ::CreateFileW(windows::widen(path).c_str(), access,
                           FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                           OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr);
  if (h == INVALID_HANDLE_VALUE) return ::GetLastError();
  ::CloseHandle(h);
  return ERROR_SUCCESS;
}

void set_mtime(const std::string& path, long long unix_seconds) {
  HANDLE h = ::CreateFileW(windows::widen(path).c_str(), FILE_WRITE_ATTRIBUTES,
                           FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_EXISTING,
                           FILE_FLAG_BACKUP_SEMANTICS, nullptr);
  ASSERT_NE(h, INVALID_HANDLE_VALUE) << path;
  ULONGLONG ticks = (static_cast<ULONGLONG>(unix_seconds) + 11644473600ULL) * 10000000ULL;
  FILETIME t{static_cast<DWORD>(ticks & 0xffffffffu), static_cast<DWORD>(ticks >> 32)};
  EXPECT_TRUE(::SetFileTime(h, nullptr, nullptr, &t));
  ::CloseHandle(h);
}

TEST(KeyFolderWindows, EncryptedKeyFilesAreListedByNameWithSizeAndTime) {
  TempDir dir;
  write_file(dir / encrypted(kGuid), kDpapiBlob);
  write_file(dir / "0B1C2D3E-4F50-4617-8283-94A5B6C7D8E9.encrypted", "x");
  write_file(dir / "status.tag", "keyLatchStatus - Failed to acquire key details\r\n");
  write_file(dir / "notes.txt", "x");
  write_file(dir / (std::string(kGuid) + ".encrypted.bak"), "x");
  set_mtime(dir / encrypted(kGuid), 1784715342);
  auto listing = list_key_folder(dir.path());
  ASSERT_EQ(listing.state, ReadState::ok) << listing.error;
  EXPECT_EQ(listing.key_guids(), (Guids{kOtherGuid, kGuid}));
  EXPECT_TRUE(listing.has_key_for("E3882F98-DA8D-4410-8394-06C23462781C"));
  EXPECT_TRUE(listing.has_status_tag);
  EXPECT_FALSE(listing.has_provisioned_tag);
  std::vector<std::string> names;
  for (const auto& e : listing.entries) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "0B1C2D3E-4F50-4617-8283-94A5B6C7D8E9.encrypted", encrypted(kGuid),
                       std::string(kGuid) + ".encrypted.bak", "notes.txt", "status.tag"}));
  const auto& key = listing.entries[1];
  EXPECT_EQ(key.size, std::string(kDpapiBlob).size());
  EXPECT_EQ(format_utc(key.mtime, false), "2026-07-22T10:15:42Z");
  EXPECT_FALSE(key.is_symlink);
  EXPECT_EQ(nlohmann::json(listing).dump().find(kDpapiBlob), std::string::npos);
}

TEST(KeyFolderWindows, AKeyFileHeldWithoutSharingIsStillListedBecauseItIsNeverOpened) {
  TempDir dir;
  write_file(dir / encrypted(kGuid), kDpapiBlob);
  write_file(dir / "provisioned.tag", "");
  ExclusiveHandle held(dir / encrypted(kGuid));
  ASSERT_TRUE(held.held());
  // Precondition: any open of the file now fails, even one asking for attributes only.
  ASSERT_EQ(open_error(dir / encrypted(kGuid), GENERIC_READ), DWORD{ERROR_SHARING_VIOLATION});
  auto listing = list_key_folder(dir.path());
  ASSERT_EQ(listing.state, ReadState::ok) << listing.error;
  EXPECT_EQ(listing.key_guids(), Guids{kGuid});
  EXPECT_EQ(listing.entries.at(0).size, std::string(kDpapiBlob).size());
  EXPECT_TRUE(listing.has_provisioned_tag);
}

TEST(KeyFolderWindows, AFolderNamedLikeAKeyDoesNotCount) {
  TempDir dir;
  ASSERT_TRUE(std::filesystem::create_directory(dir / encrypted(kGuid)));
  auto listing = list_key_folder(dir.path());
  ASSERT_EQ(listing.entries.size(), 1u);
  EXPECT_TRUE(listing.key_guids().empty());
}

TEST(KeyFolderWindows, MissingNotAFolderAndThroughAFileAreNamedAsOnLinux) {
  TempDir dir;
  auto missing = list_key_folder(dir / "Keys");
  EXPECT_EQ(missing.state, ReadState::missing);
  EXPECT_NE(missing.error.find(dir / "Keys"), std::string::npos) << missing.error;
  write_file(dir / "file", "x");
  EXPECT_EQ(list_key_folder(dir / "file").state, ReadState::not_a_directory);
  EXPECT_EQ(list_key_folder(dir / "file/Keys").state, ReadState::not_a_directory);
  EXPECT_EQ(list_key_folder(dir / "none/Keys").state, ReadState::missing);
}

TEST(KeyFolderWindows, BackslashesAndAnEmptyFolderWork) {
  TempDir dir;
  std::string windows_path = dir.path();
  for (char& c : windows_path)
    if (c == '/') c = '\\';
  auto empty = list_key_folder(windows_path);
  EXPECT_EQ(empty.state, ReadState::ok) << empty.error;
  EXPECT_TRUE(empty.entries.empty());
  write_file(dir / encrypted(kGuid), "x");
  EXPECT_EQ(list_key_folder(windows_path + "\\").key_guids(), Guids{kGuid});
}

TEST(KeyFolderWindows, TheEntryCapMakesTheListingUnreadable) {
  TempDir dir;
  for (std::size_t i = 0; i <= kMaxKeyFolderEntries; ++i)
    write_file(dir / ("f" + std::to_string(i)), "");
  auto listing = list_key_folder(dir.path());
  EXPECT_EQ(listing.state, ReadState::too_large);
  EXPECT_EQ(listing.entries.size(), kMaxKeyFolderEntries);
}

TEST(KeyFolderWindows, AReparsePointIsListedAsASymlinkAndNeverMakesAKeyPresent) {
  TempDir dir;
  TempDir elsewhere;
  write_file(elsewhere / encrypted(kGuid), kDpapiBlob);
  std::string why;
  // A link named like the key, to a folder holding the key: listed, flagged, never followed.
  if (!testing::make_folder_link(dir / encrypted(kGuid), elsewhere.path(), why))
    GTEST_SKIP() << "no symbolic links here: " << why;
  write_file(dir / "status.tag", "");
  auto listing = list_key_folder(dir.path());
  ASSERT_EQ(listing.state, ReadState::ok) << listing.error;
  ASSERT_EQ(listing.entries.size(), 2u);
  EXPECT_EQ(listing.entries[0].name, encrypted(kGuid));
  EXPECT_TRUE(listing.entries[0].is_symlink);
  EXPECT_FALSE(listing.entries[1].is_symlink);
  EXPECT_TRUE(listing.key_guids().empty());
  EXPECT_FALSE(listing.has_key_for(kGuid));
  nlohmann::json j = listing;
  EXPECT_EQ(j["entries"][0]["symlink"], true);
  EXPECT_EQ(j["keyGuids"], nlohmann::json::array());
}

TEST(KeyFolderWindows, AKeyFolderThatIsAReparsePointIsNotFollowed) {
  TempDir dir;
  TempDir real;
  write_file(real / encrypted(kGuid), kDpapiBlob);
  std::string why;
  if (!testing::make_folder_link(dir / "Keys", real.path(), why))
    GTEST_SKIP() << "no symbolic links here: " << why;
  auto listing = list_key_folder(dir / "Keys");
  EXPECT_EQ(listing.state, ReadState::not_a_directory);
  EXPECT_NE(listing.error.find("not followed"), std::string::npos) << listing.error;
  EXPECT_TRUE(listing.entries.empty());
  EXPECT_TRUE(listing.key_guids().empty());
}

}  // namespace
}  // namespace latchwatch::probes
