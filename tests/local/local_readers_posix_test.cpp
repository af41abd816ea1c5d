// Local evidence on Linux: modes, FIFOs and symlinks (local_readers_test.cpp holds the rest).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "probes/local/key_folder.h"
#include "probes/os/bounded_file.h"
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

TEST(BoundedFile, FifoIsRefusedWithoutBlocking) {
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  auto r = read_bounded_file(dir / "fifo", 1024);
  EXPECT_EQ(r.state, ReadState::not_a_regular_file);
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

}  // namespace
}  // namespace latchwatch::probes
