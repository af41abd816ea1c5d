// Hostile local state: whatever the disk holds, `check` finishes, loses nothing it had accepted,
// never crashes and says what it found.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/fabric_sim/fabric_simulator.h"
#include "tests/support/test_support.h"

namespace latchwatch {
namespace {

using testing::TempDir;

class HostileLocalState : public ::testing::Test {
 protected:
  void SetUp() override {
    sim::SimulatorOptions options;
    options.gpa_dir = vm_dir_ / "vm";
    sim_ = std::make_unique<sim::FabricSimulator>(options);
    sim_->start();
  }

  nlohmann::json check(const std::string& scenario, int* exit_code = nullptr) {
    if (sim_->scenario() != scenario) sim_->set_scenario(scenario);
    return check_as_is(exit_code);
  }

  /// Runs check without touching the simulator's files (a test may have planted something).
  nlohmann::json check_as_is(int* exit_code = nullptr) {
    std::vector<std::string> args{"check",    "--json",       "--state-dir",
                                  state_dir_, "--timeout-ms", "1000"};
    for (auto& flag : sim_->check_flags()) args.push_back(flag);
    auto result = testing::run_latchwatch(args);
    if (exit_code) *exit_code = result.exit_code;
    EXPECT_EQ(result.signal, 0) << result.err;
    EXPECT_EQ(result.out.find(sim::kPlantedKeyHex), std::string::npos);
    auto doc = nlohmann::json::parse(result.out, nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << result.out << result.err;
    return doc;
  }

  static bool has_finding(const nlohmann::json& doc, const std::string& id) {
    for (const auto& f : doc["findings"])
      if (f["id"] == id) return true;
    return false;
  }

  TempDir vm_dir_;
  TempDir state_root_;
  std::string state_dir_ = state_root_ / "state";
  std::unique_ptr<sim::FabricSimulator> sim_;
};

TEST_F(HostileLocalState, StatusFileReplacedByAFifoDoesNotHang) {
  sim_->set_scenario("healthy");
  ::unlink(sim_->status_file().c_str());
  ASSERT_EQ(::mkfifo(sim_->status_file().c_str(), 0600), 0);
  auto doc = check_as_is();
  EXPECT_EQ(doc["evidence"]["status_file"]["state"], "not_a_regular_file");
  EXPECT_TRUE(has_finding(doc, "status_file_unreadable"));
  EXPECT_NE(doc["verdict"]["code"], "healthy");
}

TEST_F(HostileLocalState, StatusFileOfOneGigabyteIsRefusedUnread) {
  sim_->set_scenario("healthy");
  int fd = ::open(sim_->status_file().c_str(), O_WRONLY | O_TRUNC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, 1L << 30), 0);
  ::close(fd);
  auto doc = check_as_is();
  EXPECT_EQ(doc["evidence"]["status_file"]["state"], "too_large");
  EXPECT_EQ(doc["verdict"]["code"], "unknown");
}

TEST_F(HostileLocalState, SymlinkPlantedInTheKeyFolderIsNotAKey) {
  sim_->set_scenario("key_lost");
  TempDir elsewhere;
  testing::write_file(elsewhere / "real.key", sim::kPlantedKeyHex);
  std::string planted = sim_->key_dir() + "/" + sim::kPlantedKeyGuid + ".key";
  ASSERT_EQ(::symlink((elsewhere / "real.key").c_str(), planted.c_str()), 0);
  auto doc = check_as_is();
  EXPECT_EQ(doc["verdict"]["code"], "key_lost") << "a link named like the key is not the key";
  EXPECT_TRUE(has_finding(doc, "key_folder_symlink"));
}

TEST_F(HostileLocalState, KeyFolderReplacedByAFileGivesUnknownNotAKeyVerdict) {
  sim_->set_scenario("key_lost");
  std::filesystem::remove_all(sim_->key_dir());
  testing::write_file(sim_->key_dir(), "not a folder");
  auto doc = check_as_is();
  EXPECT_EQ(doc["evidence"]["key_folder"]["state"], "not_a_directory");
  EXPECT_EQ(doc["verdict"]["code"], "unknown");
}

TEST_F(HostileLocalState, SymlinkedCacheIsNotFollowedAndItsTargetIsNotOverwritten) {
  TempDir elsewhere;
  testing::write_file(elsewhere / "precious", "do not touch");
  ASSERT_EQ(::mkdir(state_dir_.c_str(), 0750), 0);
  ASSERT_EQ(::symlink((elsewhere / "precious").c_str(), (state_dir_ + "/identity.json").c_str()),
            0);
  auto doc = check("healthy");
  EXPECT_TRUE(has_finding(doc, "identity_cache_unusable"));
  EXPECT_EQ(testing::read_file(elsewhere / "precious"), "do not touch");
  struct stat st {};
  ASSERT_EQ(::lstat((state_dir_ + "/identity.json").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode)) << "the link was replaced by a real cache file";
}

TEST_F(HostileLocalState, FullDiskKeepsTheOldCacheAndSaysSo) {
  ASSERT_EQ(::mkdir(state_dir_.c_str(), 0750), 0);
  if (::mount("tmpfs", state_dir_.c_str(), "tmpfs", 0, "size=64k") != 0)
    GTEST_SKIP() << "cannot mount a small tmpfs here: " << std::strerror(errno);
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{state_dir_};

  ASSERT_EQ(check("healthy")["verdict"]["code"], "healthy");
  const std::string cache = testing::read_file(state_dir_ + "/identity.json");
  ASSERT_NE(cache.find("vm-latch-01"), std::string::npos);
  // Fill the filesystem to the last byte.
  {
    int fd = ::open((state_dir_ + "/filler").c_str(), O_CREAT | O_WRONLY, 0600);
    ASSERT_GE(fd, 0);
    std::string block(4096, 'x');
    while (::write(fd, block.data(), block.size()) > 0) {
    }
    ::close(fd);
  }
  int exit_code = -1;
  auto doc = check("vmss_healthy", &exit_code);  // a new identity that cannot be written
  EXPECT_EQ(doc["verdict"]["code"], "healthy");
  EXPECT_EQ(exit_code, 0);
  EXPECT_TRUE(has_finding(doc, "identity_cache_unwritable"));
  EXPECT_EQ(testing::read_file(state_dir_ + "/identity.json"), cache) << "old cache intact";
  for (const auto& entry : std::filesystem::directory_iterator(state_dir_))
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos)
        << "temp file left behind: " << entry.path();
}

}  // namespace
}  // namespace latchwatch
