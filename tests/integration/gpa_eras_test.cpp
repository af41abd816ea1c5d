// Every GPA era in the field × the states that matter, through the real binary and the
// simulator speaking that GPA version (scenario "NAME@VERSION", tests/fabric_sim/gpa_eras.cpp).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <ostream>

#include "tests/fabric_sim/fabric_simulator.h"
#include "tests/support/test_support.h"

namespace latchwatch {
namespace {

using testing::TempDir;

struct EraCase {
  const char* version;
  const char* state;  ///< the simulator scenario
  const char* verdict;
  int exit_code;
};

void PrintTo(const EraCase& c, std::ostream* os) {
  *os << c.state << "@" << c.version << " -> " << c.verdict;
}

class GpaEras : public ::testing::TestWithParam<EraCase> {
 protected:
  static void SetUpTestSuite() {
    vm_dir_ = new TempDir();
    sim::SimulatorOptions options;
    options.gpa_dir = *vm_dir_ / "vm";
    sim_ = new sim::FabricSimulator(options);
    sim_->start();
  }
  static void TearDownTestSuite() {
    delete sim_;
    delete vm_dir_;
  }
  static TempDir* vm_dir_;
  static sim::FabricSimulator* sim_;
};
TempDir* GpaEras::vm_dir_ = nullptr;
sim::FabricSimulator* GpaEras::sim_ = nullptr;

TEST_P(GpaEras, VerdictAndExitCodeFollowTheEra) {
  const auto& c = GetParam();
  const std::string scenario = std::string(c.state) + "@" + c.version;
  sim_->set_scenario(scenario);
  TempDir state;
  std::vector<std::string> args{"check",      "--json",       "--state-dir",
                                state.path(), "--timeout-ms", "2000"};
  for (auto& flag : sim_->check_flags()) args.push_back(flag);
  auto result = testing::run_latchwatch(args);
  auto doc = nlohmann::json::parse(result.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << result.out << result.err;
  EXPECT_EQ(doc["verdict"]["code"], c.verdict) << scenario << "\n" << doc["findings"].dump(1);
  EXPECT_EQ(result.exit_code, c.exit_code) << scenario;
  EXPECT_EQ(doc["evidence"]["status_file"]["content"]["version"], c.version);
  if (std::string(c.verdict).rfind("key_", 0) == 0) {
    EXPECT_TRUE(doc.contains("remedy")) << scenario;
  }
  EXPECT_EQ((result.out + result.err).find(sim::kPlantedKeyHex), std::string::npos);
}

std::vector<EraCase> era_cases() {
  std::vector<EraCase> cases;
  for (const char* v : {"1.0.13", "1.0.20", "1.0.25", "1.0.30", "1.0.47"}) {
    cases.push_back({v, "healthy", "healthy", 0});
    cases.push_back({v, "key_lost", "key_lost", 2});          // enforce, 401s
    cases.push_back({v, "key_mismatch", "key_mismatch", 2});  // disk moved
    cases.push_back({v, "secure_channel_disabled", "secure_channel_disabled", 0});
    cases.push_back({v, "key_lost_audit", "key_lost", 2});  // audit: no 401 anywhere
    cases.push_back({v, "key_unusable", "key_lost", 2});    // enforce, G.key unusable
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(EraByState, GpaEras, ::testing::ValuesIn(era_cases()),
                         [](const auto& info) {
                           std::string name =
                               std::string(info.param.state) + "_" + info.param.version;
                           for (auto& ch : name)
                             if (ch == '.') ch = '_';
                           return name;
                         });

TEST(GpaErasEarlyBoot, KeyAbsenceInTheFirstMinutesIsNotAKeyVerdictInAnyEra) {
  TempDir vm_dir;
  sim::SimulatorOptions options;
  options.gpa_dir = vm_dir / "vm";
  sim::FabricSimulator sim(options);
  sim.start();
  for (const char* v : {"1.0.13", "1.0.20", "1.0.47"}) {
    sim.set_scenario(std::string("early_boot@") + v);
    TempDir state;
    std::vector<std::string> args{"check", "--json", "--state-dir", state.path()};
    for (auto& flag : sim.check_flags()) args.push_back(flag);
    auto doc = nlohmann::json::parse(testing::run_latchwatch(args).out, nullptr, false);
    EXPECT_EQ(doc["verdict"]["code"], "latching_in_progress") << v;
  }
  // ≤ 1.0.24 with the stuck "started" message: only past the grace is it a refused acquire.
  sim.set_scenario("key_lost_audit@1.0.20");
  TempDir state;
  std::vector<std::string> args{"check",      "--json",         "--state-dir",
                                state.path(), "--boot-grace-s", "3601"};
  for (auto& flag : sim.check_flags()) args.push_back(flag);
  auto doc = nlohmann::json::parse(testing::run_latchwatch(args).out, nullptr, false);
  EXPECT_EQ(doc["verdict"]["code"], "latching_in_progress");
}

}  // namespace
}  // namespace latchwatch
