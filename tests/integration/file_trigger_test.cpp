// The file trigger end to end: the real daemon, real inotify, the simulator's GPA files. The
// interval is an hour, so every cycle after the first one here was started by a file change.
// Synchronised on the report history, with generous deadlines; nothing sleeps.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/fabric_sim/fabric_simulator.h"
#include "tests/support/daemon_state.h"
#include "tests/support/test_support.h"

namespace latchwatch {
namespace {

using namespace std::chrono_literals;
using testing::BackgroundProcess;
using testing::TempDir;
using testing::wait_for;

class FileTrigger : public ::testing::Test {
 protected:
  void SetUp() override {
    sim::SimulatorOptions options;
    options.gpa_dir = dir_ / "vm";
    sim_ = std::make_unique<sim::FabricSimulator>(options);
    sim_->start();
  }

  nlohmann::json config(int interval_s) {
    return {{"daemon",
             {{"interval_s", interval_s},
              {"jitter_s", 0},
              {"debounce_cycles", 2},
              {"trigger", {{"enabled", true}, {"min_gap_s", 1}, {"confirm_after_s", 2}}}}},
            {"probes", {{"timeout_ms", 1000}}},
            {"paths", {{"state_dir", state_dir_}}},
            {"sinks", {{"metrics", {{"enabled", false}}}, {"serial", {{"enabled", false}}}}}};
  }

  std::unique_ptr<BackgroundProcess> start(const nlohmann::json& config,
                                           std::vector<std::string> extra = {}) {
    testing::write_file(dir_ / "config.json", config.dump(2));
    std::vector<std::string> argv{LATCHWATCH_BINARY, "run", "--config", dir_ / "config.json"};
    for (auto& flag : sim_->check_flags()) argv.push_back(flag);
    for (auto& flag : extra) argv.push_back(flag);
    return std::make_unique<BackgroundProcess>(argv, dir_.path(), "daemon");
  }

  std::string key_file() const { return sim_->key_dir() + "/" + sim::kPlantedKeyGuid + ".key"; }

  TempDir dir_;
  std::string state_dir_ = dir_ / "state";
  std::unique_ptr<sim::FabricSimulator> sim_;
};

TEST_F(FileTrigger, DeletingTheKeyFileReportsWithoutWaitingForTheInterval) {
  auto daemon = start(config(3600));
  ASSERT_TRUE(wait_for([&] { return testing::read_history(state_dir_).size() >= 1; }, 15s))
      << daemon->err();
  ASSERT_EQ(testing::read_history(state_dir_)[0]["verdict"]["code"], "healthy");

  ASSERT_EQ(::unlink(key_file().c_str()), 0);
  // The loss is seen by a cycle the deletion started, then confirmed by the follow-up cycle
  // (confirm_after_s 2), not an hour later.
  ASSERT_TRUE(wait_for(
      [&] {
        for (const auto& line : testing::read_history(state_dir_))
          if (line["transition"] == "fired" && line["debounce"]["confirmed"] == "key_loss_latent")
            return true;
        return false;
      },
      45s))
      << daemon->err();
  auto lines = testing::read_history(state_dir_);
  ASSERT_EQ(lines.size(), 3u) << "start-up, triggered, confirmation: " << daemon->err();
  EXPECT_EQ(lines[1]["verdict"]["code"], "key_loss_latent");
  EXPECT_TRUE(lines[1]["debounce"]["pending"].get<bool>());
  EXPECT_EQ(lines[2]["transition"], "fired");

  // Recovery: the owner's reset brings a key file back; the resolution follows at once.
  sim_->set_scenario("healthy");
  ASSERT_TRUE(wait_for(
      [&] {
        auto now = testing::read_history(state_dir_);
        return now.size() > 3 && now.back()["transition"] == "resolved";
      },
      45s))
      << daemon->err();
  EXPECT_EQ(testing::read_history(state_dir_).size(), 4u);
  EXPECT_NE(daemon->err().find("starting a cycle now"), std::string::npos);
  // Names only: the key's hex reaches no output and no state file.
  EXPECT_EQ(daemon->err().find(sim::kPlantedKeyHex), std::string::npos);
  EXPECT_TRUE(testing::files_containing(state_dir_, sim::kPlantedKeyHex).empty());

  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait_exit(5s), 0) << daemon->err();
}

TEST_F(FileTrigger, AMissingKeyFolderIsWatchedOnceItAppears) {
  const std::string later = dir_ / "keys-later";
  auto daemon = start(config(1), {"--gpa-key-dir", later});
  ASSERT_TRUE(
      wait_for([&] { return daemon->err().find("not watching") != std::string::npos; }, 15s))
      << daemon->err();
  EXPECT_NE(daemon->err().find("keys-later"), std::string::npos);
  ASSERT_EQ(::mkdir(later.c_str(), 0700), 0);
  // Re-tried at every cycle: the next one (1 s interval) sets the watch.
  ASSERT_TRUE(
      wait_for([&] { return daemon->err().find("watching " + later) != std::string::npos; }, 15s))
      << daemon->err();
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait_exit(5s), 0) << daemon->err();
}

TEST_F(FileTrigger, DisabledLeavesTheTimerAlone) {
  auto cfg = config(3600);
  cfg["daemon"]["trigger"]["enabled"] = false;
  auto daemon = start(cfg);
  ASSERT_TRUE(wait_for([&] { return testing::read_history(state_dir_).size() >= 1; }, 15s))
      << daemon->err();
  EXPECT_NE(daemon->err().find("file trigger off"), std::string::npos) << daemon->err();
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait_exit(5s), 0) << daemon->err();
}

}  // namespace
}  // namespace latchwatch
