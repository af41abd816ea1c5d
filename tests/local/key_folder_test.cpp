// GPA's key folder, listed by name only; no entry is ever opened (domain brief §3). The cases
// here run on both platforms; modes, inotify, symlinks and odd bytes in names are in
// key_folder_posix_test.cpp, Windows' own in tests/local/key_folder_windows_test.cpp.

#include "probes/local/key_folder.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/local/key_folder_test_keys.h"
#include "tests/support/test_support.h"

namespace latchwatch::probes {
namespace {

using json = nlohmann::json;
using testing::TempDir;
using testing::write_file;
using Guids = std::vector<std::string>;

using testing::keys::key_name;
using testing::keys::kGuid;
using testing::keys::kKeyHex;
using testing::keys::kOtherGuid;
using testing::keys::plant_key;

// ---- listing ----

TEST(KeyFolderTest, ListsAKeyFileByNameAndReportsItsSize) {
  TempDir dir;
  plant_key(dir.path(), kGuid);
  write_file(dir / "provisioned.tag", "2026-07-22T10:15:42.123");
  auto listing = list_key_folder(dir.path());
  ASSERT_EQ(listing.state, ReadState::ok) << listing.error;
  EXPECT_TRUE(listing.error.empty());
  EXPECT_EQ(listing.path, dir.path());
  EXPECT_EQ(listing.key_guids(), Guids{kGuid});
  EXPECT_TRUE(listing.has_key_for(kGuid));
  EXPECT_TRUE(listing.has_key_for("E3882F98-DA8D-4410-8394-06C23462781C")) << "case-insensitive";
  EXPECT_FALSE(listing.has_key_for(kOtherGuid));
  EXPECT_FALSE(listing.has_key_for(""));
  ASSERT_EQ(listing.entries.size(), 2u);
  const auto& key = listing.entries[0];
  EXPECT_EQ(key.name, key_name(kGuid));
  EXPECT_EQ(key.guid, kGuid);
  EXPECT_EQ(key.size, testing::read_file(dir / key_name(kGuid)).size());
  EXPECT_FALSE(key.is_symlink);
}

TEST(KeyFolderTest, SummaryNeverContainsTheKeyMaterial) {
  TempDir dir;
  plant_key(dir.path(), kGuid);
  plant_key(dir.path(), kOtherGuid);
  std::string text = json(list_key_folder(dir.path())).dump();
  EXPECT_EQ(text.find(kKeyHex), std::string::npos);
  EXPECT_EQ(text.find("9f86d081"), std::string::npos);
  EXPECT_NE(text.find(kGuid), std::string::npos) << "names are reported";
}

TEST(KeyFolderTest, WindowsNamesCountAndOtherNamesDoNot) {
  TempDir dir;
  write_file(dir / (std::string(kGuid) + ".encrypted"), "dpapi");
  for (const char* name :
       {"not-a-guid.key", "e3882f98-da8d-4410-8394-06c23462781c.key.bak",
        "e3882f98-da8d-4410-8394-06c23462781c.KEY", "e3882f98-da8d-4410-8394-06c23462781c",
        "g3882f98-da8d-4410-8394-06c23462781c.key", "e3882f98da8d-4410-8394-06c23462781c0.key",
        ".key", "key"})
    write_file(dir / name, "x");
  auto listing = list_key_folder(dir.path());
  EXPECT_EQ(listing.key_guids(), Guids{kGuid});
  EXPECT_EQ(listing.entries.size(), 9u) << "every entry is listed";
}

TEST(KeyFolderTest, UpperCaseGuidFileNamesAreStoredLowerCased) {
  TempDir dir;
  write_file(dir / "E3882F98-DA8D-4410-8394-06C23462781C.key", "x");
  auto listing = list_key_folder(dir.path());
  EXPECT_EQ(listing.key_guids(), Guids{kGuid});
  EXPECT_EQ(listing.entries.at(0).name, "E3882F98-DA8D-4410-8394-06C23462781C.key") << "name as is";
}

TEST(KeyFolderTest, AFolderNamedLikeAKeyDoesNotCount) {
  TempDir dir;
  ASSERT_TRUE(std::filesystem::create_directory(dir / key_name(kGuid)));
  auto listing = list_key_folder(dir.path());
  EXPECT_EQ(listing.entries.size(), 1u);
  EXPECT_TRUE(listing.key_guids().empty());
}

TEST(KeyFolderTest, TagFilesAreFlagged) {
  TempDir dir;
  auto none = list_key_folder(dir.path());
  EXPECT_FALSE(none.has_provisioned_tag);
  EXPECT_FALSE(none.has_status_tag);
  write_file(dir / "status.tag", "keyLatchStatus - Failed to acquire key details\r\n");
  auto status_only = list_key_folder(dir.path());
  EXPECT_FALSE(status_only.has_provisioned_tag);
  EXPECT_TRUE(status_only.has_status_tag);
  write_file(dir / "provisioned.tag", "");
  auto both = list_key_folder(dir.path());
  EXPECT_TRUE(both.has_provisioned_tag);
  EXPECT_TRUE(both.has_status_tag);
  EXPECT_TRUE(both.key_guids().empty());
}

TEST(KeyFolderTest, EntriesAndGuidsAreSortedByName) {
  TempDir dir;
  plant_key(dir.path(), kGuid);       // e...
  plant_key(dir.path(), kOtherGuid);  // 0...
  write_file(dir / "status.tag", "");
  write_file(dir / "a.txt", "");
  auto listing = list_key_folder(dir.path());
  std::vector<std::string> names;
  for (const auto& e : listing.entries) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{key_name(kOtherGuid), "a.txt", key_name(kGuid),
                                             "status.tag"}));
  EXPECT_EQ(listing.key_guids(), (Guids{kOtherGuid, kGuid}));
}

TEST(KeyFolderTest, EmptyFolderIsOkWithNothingInIt) {
  TempDir dir;
  auto listing = list_key_folder(dir.path());
  EXPECT_EQ(listing.state, ReadState::ok);
  EXPECT_TRUE(listing.entries.empty());
  json j = listing;
  EXPECT_TRUE(j["keyGuids"].is_array());
  EXPECT_TRUE(j["entries"].is_array());
  EXPECT_FALSE(j.contains("error"));
}

// ---- errors ----

TEST(KeyFolderTest, MissingFolderIsMissingAndNamed) {
  TempDir dir;
  auto listing = list_key_folder(dir / "keys");
  EXPECT_EQ(listing.state, ReadState::missing);
  EXPECT_NE(listing.error.find(dir / "keys"), std::string::npos) << listing.error;
  EXPECT_TRUE(listing.entries.empty());
  json j = listing;
  EXPECT_EQ(j["state"], "missing");
  EXPECT_EQ(j["error"], listing.error);
}

TEST(KeyFolderTest, AFileOrAPathThroughAFileIsNotADirectory) {
  TempDir dir;
  write_file(dir / "file", "x");
  EXPECT_EQ(list_key_folder(dir / "file").state, ReadState::not_a_directory);
  EXPECT_EQ(list_key_folder(dir / "file/keys").state, ReadState::not_a_directory) << "ENOTDIR";
}

// ---- summary ----

TEST(KeyFolderTest, ReadStateNames) {
  EXPECT_STREQ(to_string(ReadState::ok), "ok");
  EXPECT_STREQ(to_string(ReadState::missing), "missing");
  EXPECT_STREQ(to_string(ReadState::permission_denied), "permission_denied");
  EXPECT_STREQ(to_string(ReadState::not_a_directory), "not_a_directory");
  EXPECT_STREQ(to_string(ReadState::not_a_regular_file), "not_a_regular_file");
  EXPECT_STREQ(to_string(ReadState::too_large), "too_large");
  EXPECT_STREQ(to_string(ReadState::malformed), "malformed");
  EXPECT_STREQ(to_string(ReadState::stale), "stale");
  EXPECT_STREQ(to_string(ReadState::error), "error");
}

}  // namespace
}  // namespace latchwatch::probes
