// Local evidence: the key folder (listed, never opened), bounded file reads, GPA presence, SMBIOS.

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "probes/local/bounded_file.h"
#include "probes/local/gpa_presence.h"
#include "probes/local/key_folder.h"
#include "probes/local/smbios.h"
#include "tests/fabric_sim/fabric_simulator.h"
#include "tests/support/test_support.h"

namespace latchwatch::probes {
namespace {

using testing::TempDir;
using testing::write_file;

constexpr const char* kGuid = "e3882f98-da8d-4410-8394-06c23462781c";

void plant_key(const std::string& dir, const std::string& guid) {
  write_file(dir + "/" + guid + ".key",
             std::string("{\"guid\":\"") + guid + "\",\"key\":\"" + sim::kPlantedKeyHex + "\"}");
}

TEST(KeyFolder, ListsKeyFilesByNameWithoutOpeningThem) {
  TempDir dir;
  plant_key(dir.path(), kGuid);
  // Mode 0000 and a root-only folder do not matter: the listing never opens an entry.
  ::chmod((dir / (std::string(kGuid) + ".key")).c_str(), 0);
  write_file(dir / "provisioned.tag", "");
  write_file(dir / "notes.txt", "x");
  auto listing = list_key_folder(dir.path());
  ASSERT_EQ(listing.state, ReadState::ok) << listing.error;
  EXPECT_EQ(listing.key_guids(), std::vector<std::string>{kGuid});
  EXPECT_TRUE(listing.has_key_for("E3882F98-DA8D-4410-8394-06C23462781C"));
  EXPECT_TRUE(listing.has_provisioned_tag);
  EXPECT_FALSE(listing.has_status_tag);
  EXPECT_EQ(listing.entries.size(), 3u);
  EXPECT_GT(listing.entries[0].size, 0u);
  EXPECT_EQ(nlohmann::json(listing).dump().find(sim::kPlantedKeyHex), std::string::npos);
}

TEST(KeyFolder, WindowsNamesCountAndOddNamesDoNot) {
  TempDir dir;
  write_file(dir / (std::string(kGuid) + ".encrypted"), "x");
  write_file(dir / "not-a-guid.key", "x");
  write_file(dir / (std::string(kGuid) + ".key.bak"), "x");
  auto listing = list_key_folder(dir.path());
  EXPECT_EQ(listing.key_guids(), std::vector<std::string>{kGuid});
}

TEST(KeyFolder, PlantedSymlinkIsListedButNeverCountsAsAKey) {
  TempDir dir;
  TempDir elsewhere;
  plant_key(elsewhere.path(), kGuid);
  ASSERT_EQ(::symlink((elsewhere / (std::string(kGuid) + ".key")).c_str(),
                      (dir / (std::string(kGuid) + ".key")).c_str()),
            0);
  auto listing = list_key_folder(dir.path());
  ASSERT_EQ(listing.entries.size(), 1u);
  EXPECT_TRUE(listing.entries[0].is_symlink);
  EXPECT_TRUE(listing.key_guids().empty());
}

TEST(KeyFolder, FolderThatIsASymlinkIsNotFollowed) {
  TempDir dir;
  TempDir real;
  plant_key(real.path(), kGuid);
  ASSERT_EQ(::symlink(real.path().c_str(), (dir / "keys").c_str()), 0);
  auto listing = list_key_folder(dir / "keys");
  EXPECT_NE(listing.state, ReadState::ok);
  EXPECT_TRUE(listing.key_guids().empty());
}

TEST(KeyFolder, MissingAndNotAFolderAreNamed) {
  TempDir dir;
  auto missing = list_key_folder(dir / "nope");
  EXPECT_EQ(missing.state, ReadState::missing);
  EXPECT_NE(missing.error.find("nope"), std::string::npos);
  write_file(dir / "file", "x");
  EXPECT_EQ(list_key_folder(dir / "file").state, ReadState::not_a_directory);
  EXPECT_EQ(list_key_folder(dir / "file/keys").state, ReadState::not_a_directory);
}

TEST(BoundedFile, ReadsASmallRegularFile) {
  TempDir dir;
  write_file(dir / "f", "hello");
  auto r = read_bounded_file(dir / "f", 10);
  EXPECT_EQ(r.state, ReadState::ok);
  EXPECT_EQ(r.content, "hello");
}

TEST(BoundedFile, FifoIsRefusedWithoutBlocking) {
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  auto r = read_bounded_file(dir / "fifo", 1024);
  EXPECT_EQ(r.state, ReadState::not_a_regular_file);
}

TEST(BoundedFile, HugeFileIsTooLargeWithoutReadingIt) {
  TempDir dir;
  int fd = ::open((dir / "big").c_str(), O_CREAT | O_WRONLY, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, 1L << 30), 0);  // 1 GiB, sparse
  ::close(fd);
  auto r = read_bounded_file(dir / "big", 1024 * 1024);
  EXPECT_EQ(r.state, ReadState::too_large);
  EXPECT_TRUE(r.content.empty());
}

TEST(BoundedFile, SymlinkIsNotFollowed) {
  TempDir dir;
  write_file(dir / "target", "secret");
  ASSERT_EQ(::symlink((dir / "target").c_str(), (dir / "link").c_str()), 0);
  auto r = read_bounded_file(dir / "link", 1024);
  EXPECT_NE(r.state, ReadState::ok);
  EXPECT_TRUE(r.content.empty());
  EXPECT_NE(r.error.find("symbolic link"), std::string::npos);
}

TEST(BoundedFile, MissingIsMissing) {
  TempDir dir;
  EXPECT_EQ(read_bounded_file(dir / "none", 10).state, ReadState::missing);
}

// GpaPresence.AnyTraceCounts: gpa_presence_posix_test.cpp (Linux's traces).

TEST(Smbios, ReadsAndValidatesTheUuid) {
  TempDir dir;
  write_file(dir / "uuid", "D0A1B2C3-0000-4000-8000-000000000001\n");
  auto uuid = read_smbios_uuid(dir / "uuid");
  ASSERT_TRUE(uuid) << uuid.error;
  EXPECT_EQ(*uuid.value, "d0a1b2c3-0000-4000-8000-000000000001");
  write_file(dir / "bad", "not a uuid");
  EXPECT_FALSE(read_smbios_uuid(dir / "bad"));
  EXPECT_FALSE(read_smbios_uuid(dir / "missing"));
}

TEST(Smbios, Gen1ByteSwapMatchesVmId) {
  EXPECT_EQ(byte_swapped_uuid("d0a1b2c3-0000-4000-8000-000000000001"),
            "c3b2a1d0-0000-0040-8000-000000000001");
  EXPECT_TRUE(smbios_matches_vm_id("d0a1b2c3-0000-4000-8000-000000000001",
                                   "C3B2A1D0-0000-0040-8000-000000000001"));
  EXPECT_TRUE(smbios_matches_vm_id("d0a1b2c3-0000-4000-8000-000000000001",
                                   "d0a1b2c3-0000-4000-8000-000000000001"));
  EXPECT_FALSE(smbios_matches_vm_id("d0a1b2c3-0000-4000-8000-000000000001",
                                    "11111111-0000-4000-8000-000000000001"));
}

}  // namespace
}  // namespace latchwatch::probes
