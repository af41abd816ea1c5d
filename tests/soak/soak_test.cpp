// Soak: the daemon at a 50 ms interval for 10,000 cycles against rotating scenarios. After
// warm-up, resident memory, open file descriptors and the webhook spool must stay flat.
// Run by `make soak` (CI), not by `make test`: it takes minutes.

#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/fabric_sim/fabric_simulator.h"
#include "tests/support/test_support.h"

namespace latchwatch {
namespace {

using namespace std::chrono_literals;

/// The process's anonymous memory (heap, stacks: what it allocated itself), from smaps_rollup.
/// Not RSS, which also counts file pages the kernel may share or drop at will.
long anon_kib(pid_t pid) {
  std::ifstream rollup("/proc/" + std::to_string(pid) + "/smaps_rollup");
  for (std::string line; std::getline(rollup, line);)
    if (line.rfind("Anonymous:", 0) == 0) return std::stol(line.substr(10));
  return -1;
}

int open_fds(pid_t pid) {
  int count = 0;
  DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (!dir) return -1;
  while (dirent* entry = ::readdir(dir))
    if (entry->d_name[0] != '.') ++count;
  ::closedir(dir);
  return count;
}

std::uint64_t current_cycle(const std::string& state_dir) {
  auto doc = nlohmann::json::parse(testing::read_file(state_dir + "/report.json"), nullptr, false);
  return doc.is_discarded() ? 0 : doc.value("cycle", std::uint64_t{0});
}

std::size_t spool_entries(const std::string& dir) {
  std::size_t n = 0;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return 0;
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n;
}

TEST(Soak, TenThousandCyclesStayFlat) {
  constexpr std::uint64_t kCycles = 10000;
  constexpr std::uint64_t kWarmUp = 1000;
  constexpr int kSpoolMax = 50;
  testing::TempDir dir;
  sim::SimulatorOptions options;
  options.gpa_dir = dir / "vm";
  sim::FabricSimulator sim(options);
  sim.start();
  const std::string state = dir / "state";
  nlohmann::json config = {
      {"daemon", {{"interval_ms", 50}, {"jitter_s", 0}, {"debounce_cycles", 2}}},
      {"probes", {{"timeout_ms", 500}}},
      {"paths", {{"state_dir", state}}},
      {"sinks",
       {{"metrics", {{"listen", "127.0.0.1:0"}, {"textfile_dir", dir.path()}}},
        {"report_file", {{"history_max_bytes", 262144}}},
        {"kvp", {{"enabled", true}, {"pool_file", dir / "kvp_pool_1"}}},
        {"serial", {{"enabled", false}}},
        // Nobody listens there: every transition is spooled, and the spool must stay bounded.
        {"webhook",
         {{"enabled", true},
          {"url", "http://127.0.0.1:" + std::to_string(testing::free_port()) + "/hook"},
          {"secret", "soak-secret"},
          {"spool_max_entries", kSpoolMax}}}}}};
  testing::write_file(dir / "config.json", config.dump());
  std::vector<std::string> argv{LATCHWATCH_BINARY, "run", "--config", dir / "config.json"};
  for (auto& flag : sim.check_flags()) argv.push_back(flag);
  testing::BackgroundProcess daemon(argv, dir.path(), "soak");

  std::atomic<bool> done{false};
  std::thread rotate([&] {
    // Scenarios that keep every port listening: the simulator rebinds a refusing port, which can
    // collide with connections still open under this load.
    const char* scenarios[] = {"healthy",       "key_lost",     "healthy",        "imds_throttled",
                               "access_denied", "key_mismatch", "malformed_json", "reset_pending"};
    for (std::size_t i = 0; !done; ++i) {
      sim.set_scenario(scenarios[i % std::size(scenarios)]);
      testing::wait_for([&] { return done.load(); }, 300ms);
    }
  });

  ASSERT_TRUE(testing::wait_for([&] { return current_cycle(state) >= kWarmUp; }, 600s))
      << daemon.err();
  // Samples land anywhere in a cycle, so a window holds the cycle's transient descriptors too
  // (probe sockets, files being replaced). Flat means: the late window is no higher than the
  // early one, at its floor (what is held between cycles) and at its peak.
  struct Window {
    std::vector<long> anon;
    std::vector<int> fds;
    void sample(pid_t pid) {
      anon.push_back(anon_kib(pid));
      fds.push_back(open_fds(pid));
    }
  };
  Window early;
  Window late;
  std::size_t peak_spool = 0;
  bool reached = testing::wait_for(
      [&] {
        auto cycle = current_cycle(state);
        if (cycle < kWarmUp + 500) early.sample(daemon.pid());
        if (cycle >= kCycles - 500) late.sample(daemon.pid());
        peak_spool = std::max(peak_spool, spool_entries(state + "/spool"));
        return cycle >= kCycles;
      },
      1500s);
  done = true;
  rotate.join();
  ASSERT_TRUE(reached) << "cycle " << current_cycle(state) << "\n" << daemon.err();
  ASSERT_FALSE(early.fds.empty());
  ASSERT_FALSE(late.fds.empty());
  auto min_of = [](const auto& v) { return *std::min_element(v.begin(), v.end()); };
  auto max_of = [](const auto& v) { return *std::max_element(v.begin(), v.end()); };
  std::cout << "soak: anonymous KiB early " << min_of(early.anon) << "-" << max_of(early.anon)
            << ", late " << min_of(late.anon) << "-" << max_of(late.anon) << "; fds early "
            << min_of(early.fds) << "-" << max_of(early.fds) << ", late " << min_of(late.fds) << "-"
            << max_of(late.fds) << "; spool peak " << peak_spool << "\n";
  EXPECT_LE(max_of(late.anon), max_of(early.anon) + max_of(early.anon) / 10 + 512)
      << "anonymous memory grows";
  EXPECT_LE(min_of(late.fds), min_of(early.fds) + 1) << "file descriptors leak";
  EXPECT_LE(max_of(late.fds), max_of(early.fds) + 2) << "file descriptors leak";
  EXPECT_LE(peak_spool, static_cast<std::size_t>(kSpoolMax)) << "spool unbounded";
  EXPECT_LE(testing::read_file(state + "/history.jsonl").size(), 262144u + 65536u);
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait_exit(5s), 0) << daemon.err();
}

}  // namespace
}  // namespace latchwatch
