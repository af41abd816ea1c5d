#pragma once
/// The one fixture of the daemon tests (`latchwatch run` as a real process against the fabric
/// simulator): a temporary VM (GPA files under dir/vm), a state folder, a base configuration and
/// the daemon's own ports. The metrics listener binds 127.0.0.1:0 and the test learns the port
/// the daemon got from the daemon itself (its "metrics on http://ADDRESS/metrics" start line),
/// never by guessing a free port that another process could take first.

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/fabric_sim/fabric_simulator.h"
#include "tests/support/daemon_state.h"
#include "tests/support/test_support.h"

namespace latchwatch::testing {

class DaemonFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    sim::SimulatorOptions options;
    options.gpa_dir = dir_ / "vm";
    sim_ = std::make_unique<sim::FabricSimulator>(options);
    sim_->start();
  }

  /// A 1 s interval, debounce 2, 1 s probe deadline, the metrics listener on a port the kernel
  /// picks, the serial line into a file.
  nlohmann::json base_config() const {
    return {{"daemon", {{"interval_s", 1}, {"jitter_s", 0}, {"debounce_cycles", 2}}},
            {"probes", {{"timeout_ms", 1000}}},
            {"paths", {{"state_dir", state_dir_}}},
            {"sinks",
             {{"metrics", {{"listen", "127.0.0.1:0"}}},
              {"serial", {{"device", dir_ / "serial.log"}}}}}};
  }

  void write_config(const nlohmann::json& config) const {
    write_file(dir_ / "config.json", config.dump(2));
  }

  /// `latchwatch COMMAND --config dir/config.json` plus the simulator's endpoint flags.
  std::vector<std::string> run_args(const std::string& command) const {
    std::vector<std::string> argv{command, "--config", dir_ / "config.json"};
    for (auto& flag : sim_->check_flags()) argv.push_back(flag);
    return argv;
  }

  /// Writes `config` and starts `PREFIX... latchwatch run` (a prefix such as prlimit).
  std::unique_ptr<BackgroundProcess> start(const nlohmann::json& config,
                                           const std::string& name = "daemon",
                                           std::vector<std::string> prefix = {}) {
    write_config(config);
    prefix.push_back(LATCHWATCH_BINARY);
    for (auto& arg : run_args("run")) prefix.push_back(arg);
    auto process = std::make_unique<BackgroundProcess>(prefix, dir_.path(), name);
    last_started_ = process.get();
    return process;
  }

  /// The metrics port of the daemon started last, as it says it bound it (waits for the line).
  std::uint16_t metrics_port() const {
    std::uint16_t port = 0;
    if (!last_started_) return 0;
    wait_for(
        [&] {
          const auto err = last_started_->err();
          const std::string marker = "metrics on http://127.0.0.1:";
          auto at = err.rfind(marker);
          if (at == std::string::npos) return false;
          port = static_cast<std::uint16_t>(std::stoul(err.substr(at + marker.size())));
          return port != 0;
        },
        std::chrono::seconds(10));
    return port;
  }

  std::size_t cycles() const { return read_history(state_dir_).size(); }

  /// Whether the history holds a `transition` to the confirmed `verdict`.
  bool saw(const std::string& transition, const std::string& verdict) const {
    for (const auto& doc : read_history(state_dir_))
      if (doc["transition"] == transition && doc["debounce"]["confirmed"] == verdict) return true;
    return false;
  }

  TempDir dir_;
  std::string state_dir_ = dir_ / "state";
  std::unique_ptr<sim::FabricSimulator> sim_;

 private:
  const BackgroundProcess* last_started_ = nullptr;
};

}  // namespace latchwatch::testing
