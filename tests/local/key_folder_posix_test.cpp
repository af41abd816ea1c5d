// The key folder on Linux: modes, inotify (nothing is opened), symlinks, odd bytes in names
// (key_folder_test.cpp holds the cases both platforms share).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <regex>

#include "probes/local/key_folder.h"
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

void set_mtime(const std::string& path, std::time_t seconds) {
  timespec times[2] = {{seconds, 0}, {seconds, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

/// Runs the enclosed code as an unprivileged user, so file modes apply even when the tests run
/// as root (root's CAP_DAC_OVERRIDE ignores them). Restores the effective uid on destruction.
class AsUnprivilegedUser {
 public:
  AsUnprivilegedUser() {
    if (::geteuid() != 0) return;  // already unprivileged: modes apply as they are
    dropped_ = ::seteuid(kNobody) == 0;
    failed_ = !dropped_;
  }
  ~AsUnprivilegedUser() {
    if (dropped_) (void)::seteuid(0);
  }
  AsUnprivilegedUser(const AsUnprivilegedUser&) = delete;
  AsUnprivilegedUser& operator=(const AsUnprivilegedUser&) = delete;
  bool failed() const { return failed_; }

 private:
  static constexpr uid_t kNobody = 65534;
  bool dropped_ = false;
  bool failed_ = false;
};

TEST(KeyFolderTest, AnUnreadableKeyFileIsStillListedBecauseItIsNeverOpened) {
  TempDir dir;
  plant_key(dir.path(), kGuid);
  ASSERT_EQ(::chmod((dir / key_name(kGuid)).c_str(), 0), 0);
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0) << "a readable folder, an unreadable file";
  AsUnprivilegedUser user;  // so that mode 0000 really means "cannot open"
  if (user.failed()) GTEST_SKIP() << "running as root and cannot drop to an unprivileged uid";
  ASSERT_LT(::open((dir / key_name(kGuid)).c_str(), O_RDONLY), 0) << "precondition: unopenable";
  auto listing = list_key_folder(dir.path());
  ASSERT_EQ(listing.state, ReadState::ok) << listing.error;
  EXPECT_EQ(listing.key_guids(), Guids{kGuid});
}

TEST(KeyFolderTest, ListingNeverOpensOrReadsAnEntry) {
  TempDir dir;
  plant_key(dir.path(), kGuid);
  write_file(dir / "status.tag", "");
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) GTEST_SKIP() << "inotify unavailable: " << std::strerror(errno);
  const uint32_t mask = IN_OPEN | IN_ACCESS | IN_CLOSE_NOWRITE;
  ASSERT_GE(::inotify_add_watch(fd, (dir / key_name(kGuid)).c_str(), mask), 0);
  ASSERT_GE(::inotify_add_watch(fd, (dir / "status.tag").c_str(), mask), 0);

  auto listing = list_key_folder(dir.path());
  ASSERT_EQ(listing.state, ReadState::ok);
  ASSERT_EQ(listing.key_guids(), Guids{kGuid});
  alignas(inotify_event) char buffer[4096];
  EXPECT_LT(::read(fd, buffer, sizeof buffer), 0) << "an entry was opened or read";

  // The watch works: reading the key file ourselves is seen.
  EXPECT_FALSE(testing::read_file(dir / key_name(kGuid)).empty());
  EXPECT_GT(::read(fd, buffer, sizeof buffer), 0);
  ::close(fd);
}

TEST(KeyFolderTest, APlantedSymlinkIsListedButNeverMakesAKeyPresent) {
  TempDir dir;
  TempDir elsewhere;
  plant_key(elsewhere.path(), kGuid);
  ASSERT_EQ(::symlink((elsewhere / key_name(kGuid)).c_str(), (dir / key_name(kGuid)).c_str()), 0);
  ASSERT_EQ(::symlink("/nonexistent", (dir / key_name(kOtherGuid)).c_str()), 0);  // dangling
  auto listing = list_key_folder(dir.path());
  ASSERT_EQ(listing.state, ReadState::ok);
  ASSERT_EQ(listing.entries.size(), 2u);
  for (const auto& entry : listing.entries) {
    EXPECT_TRUE(entry.is_symlink) << entry.name;
    EXPECT_TRUE(entry.guid.empty()) << entry.name;
  }
  EXPECT_TRUE(listing.key_guids().empty());
  EXPECT_FALSE(listing.has_key_for(kGuid));
  json j = listing;
  EXPECT_EQ(j["entries"][0]["symlink"], true);
  EXPECT_EQ(j["keyGuids"], json::array());
}

TEST(KeyFolderTest, AFolderThatIsASymlinkIsNotFollowed) {
  TempDir dir;
  TempDir real;
  plant_key(real.path(), kGuid);
  ASSERT_EQ(::symlink(real.path().c_str(), (dir / "keys").c_str()), 0);
  auto listing = list_key_folder(dir / "keys");
  EXPECT_EQ(listing.state, ReadState::not_a_directory);
  EXPECT_NE(listing.error.find("symbolic link"), std::string::npos) << listing.error;
  EXPECT_TRUE(listing.key_guids().empty());
}

TEST(KeyFolderTest, AFolderWeMayNotReadIsPermissionDenied) {
  TempDir dir;
  const std::string keys = dir / "keys";
  ASSERT_EQ(::mkdir(keys.c_str(), 0700), 0);
  plant_key(keys, kGuid);
  // Unreadable even by its owner; root reads it anyway, hence the unprivileged uid below.
  ASSERT_EQ(::chmod(keys.c_str(), 0), 0);
  ASSERT_EQ(::chmod(dir.path().c_str(), 0711), 0);  // the parent may be traversed
  KeyFolderListing listing;
  bool dropped = false;
  {
    AsUnprivilegedUser user;
    dropped = !user.failed();
    if (dropped) listing = list_key_folder(keys);
  }
  ::chmod(keys.c_str(), 0700);  // let TempDir clean up when not running as root
  if (!dropped) GTEST_SKIP() << "running as root and cannot drop to an unprivileged uid";
  EXPECT_EQ(listing.state, ReadState::permission_denied) << listing.error;
  EXPECT_NE(listing.error.find("ermission denied"), std::string::npos) << listing.error;
  EXPECT_TRUE(listing.entries.empty());
}

TEST(KeyFolderTest, SummaryShapeAndUtcTimes) {
  TempDir dir;
  plant_key(dir.path(), kGuid);
  set_mtime(dir / key_name(kGuid), 1784715342);
  ASSERT_EQ(::symlink("elsewhere", (dir / "link").c_str()), 0);
  auto listing = list_key_folder(dir.path());
  json j = listing;
  EXPECT_EQ(j["path"], dir.path());
  EXPECT_EQ(j["state"], "ok");
  EXPECT_EQ(j["keyGuids"], json::array({kGuid}));
  EXPECT_EQ(j["provisionedTag"], false);
  EXPECT_EQ(j["statusTag"], false);
  ASSERT_EQ(j["entries"].size(), 2u);
  const auto& key = j["entries"][0];
  EXPECT_EQ(key["name"], key_name(kGuid));
  EXPECT_EQ(key["size"], listing.entries[0].size);
  EXPECT_EQ(key["mtime"], "2026-07-22T10:15:42Z");
  EXPECT_FALSE(key.contains("symlink"));
  EXPECT_EQ(j["entries"][1]["symlink"], true);
  std::regex iso(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)");
  EXPECT_TRUE(std::regex_match(j["entries"][1]["mtime"].get<std::string>(), iso));
}

TEST(KeyFolderTest, OddBytesInNamesAreSanitisedSoTheSummaryDumps) {
  TempDir dir;
  write_file(dir / "bad\xff\x1b[2Jname", "x");
  auto listing = list_key_folder(dir.path());
  ASSERT_EQ(listing.entries.size(), 1u);
  EXPECT_EQ(listing.entries[0].name, "bad??[2Jname");
  EXPECT_NO_THROW((void)json(listing).dump());
}

}  // namespace
}  // namespace latchwatch::probes
