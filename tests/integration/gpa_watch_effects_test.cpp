// "Never change what it watches", per GPA era: the simulator models what each request does to a
// GPA of that release (GPA's source at the tag; tests/fabric_sim/scenarios.h apply_gpa_effect),
// and `latchwatch check` and a few `latchwatch run` cycles must leave every modelled effect at
// zero in every era, whatever GPA's channel state. The model itself is tested first, so that a
// latchwatch that sent a harmful request would be caught.

#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <ostream>

#include "probes/net/http_exchange.h"
#include "tests/fabric_sim/fabric_simulator.h"
#include "tests/support/daemon_state.h"
#include "tests/support/test_support.h"

namespace latchwatch {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

/// One request straight to the simulated GPA's listener, as another program might send it.
net::Response gpa_get(const sim::FabricSimulator& sim, const std::string& target,
                      std::vector<std::pair<std::string, std::string>> headers) {
  net::Request request;
  request.target = target;
  request.headers = std::move(headers);
  net::Options options;
  options.budget = 2s;
  return net::exchange(sim.gpa(), request, options);
}

bool untouched(const sim::GpaState& s) {
  return !s.provision_reset && s.warning_events == 0 && s.misdirected == 0 &&
         s.key_keeper_wakeups == 0 && s.log_warnings == 0;
}

std::string describe(const sim::FabricSimulator& sim) {
  std::string text =
      nlohmann::json::object({{"provision_reset", sim.gpa_state().provision_reset},
                              {"warning_events", sim.gpa_state().warning_events},
                              {"key_keeper_wakeups", sim.gpa_state().key_keeper_wakeups},
                              {"log_warnings", sim.gpa_state().log_warnings}})
          .dump();
  for (const auto& r : sim.requests())
    text += "\n  " + std::string(sim::to_string(r.role)) + " " + r.method + " " + r.target +
            (r.effect.empty() ? "" : "  -> " + r.effect);
  return text;
}

class GpaModel : public ::testing::Test {
 protected:
  void SetUp() override {
    sim::SimulatorOptions options;
    options.gpa_dir = dir_ / "vm";
    sim_ = std::make_unique<sim::FabricSimulator>(options);
    sim_->start();
  }
  TempDir dir_;
  std::unique_ptr<sim::FabricSimulator> sim_;
};

// ---- the model, per era (what a careless watcher would do) ------------------------------------

TEST_F(GpaModel, Gpa1024And1025ResetProvisionStateOnAProvisionGetWhileDisabled) {
  for (const char* v : {"1.0.22", "1.0.24", "1.0.25"}) {
    sim_->set_scenario(std::string("secure_channel_disabled@") + v);
    auto first = gpa_get(*sim_, "/provision", {{"Metadata", "true"}});
    ASSERT_EQ(first.status, 200) << v;
    EXPECT_TRUE(nlohmann::json::parse(first.body)["finished"].get<bool>()) << v;
    EXPECT_TRUE(sim_->gpa_state().provision_reset) << v;
    EXPECT_EQ(sim_->requests().back().effect, "provision_reset") << v;
    // Until GPA restarts, it says it is not provisioned: the watcher's own side effect.
    auto second = gpa_get(*sim_, "/provision", {{"Metadata", "true"}});
    EXPECT_FALSE(nlohmann::json::parse(second.body)["finished"].get<bool>()) << v;
  }
  // Enabled with a key, the same GET only wakes the key keeper (and logs a warning).
  sim_->set_scenario("healthy@1.0.25");
  gpa_get(*sim_, "/provision", {{"Metadata", "true"}});
  EXPECT_FALSE(sim_->gpa_state().provision_reset);
  EXPECT_EQ(sim_->gpa_state().key_keeper_wakeups, 1);
  // A GPA refused since it started still has the Unknown state: reset as well.
  sim_->set_scenario("key_lost@1.0.24");
  gpa_get(*sim_, "/provision", {{"Metadata", "true"}});
  EXPECT_TRUE(sim_->gpa_state().provision_reset);
}

TEST_F(GpaModel, UpTo1020AProvisionGetIsMisdirectedWithAWarningEvent) {
  for (const char* v : {"1.0.13", "1.0.17", "1.0.20"}) {
    sim_->set_scenario(std::string("healthy@") + v);
    auto reply = gpa_get(*sim_, "/provision", {{"Metadata", "true"}});
    EXPECT_EQ(reply.status, 421) << v;
    EXPECT_EQ(sim_->gpa_state().warning_events, 1) << v;
    EXPECT_EQ(sim_->requests().back().effect, "warning_event") << v;
  }
  sim_->set_scenario("healthy@1.0.21");
  gpa_get(*sim_, "/provision", {{"Metadata", "true"}});
  EXPECT_EQ(sim_->gpa_state().key_keeper_wakeups, 1);
}

TEST_F(GpaModel, From1026OnlyTheNotifyHeaderWakesAndTheTimeTickSparesTheLog) {
  sim_->set_scenario("latching_in_progress@1.0.30");
  gpa_get(*sim_, "/provision", {{"Metadata", "true"}});
  EXPECT_EQ(sim_->requests().back().effect, "log_warning");  // no time tick
  gpa_get(*sim_, "/provision", {{"Metadata", "true"}, {"x-ms-azure-time_tick", "0"}});
  EXPECT_EQ(sim_->requests().back().effect, "");
  gpa_get(*sim_, "/provision",
          {{"Metadata", "true"}, {"x-ms-azure-time_tick", "0"}, {"x-ms-azure-notify", "true"}});
  EXPECT_EQ(sim_->requests().back().effect, "key_keeper_woken");
  // 1.0.37 renamed the header: the old name no longer counts.
  sim_->set_scenario("healthy@1.0.37");
  gpa_get(*sim_, "/provision", {{"Metadata", "true"}, {"x-ms-azure-time_tick", "0"}});
  EXPECT_EQ(sim_->requests().back().effect, "log_warning");
  gpa_get(*sim_, "/provision", {{"Metadata", "true"}, {"x-ms-azure-time-tick", "0"}});
  EXPECT_EQ(sim_->requests().back().effect, "");
}

TEST_F(GpaModel, ControlEndpointShowsTheGpaStateAndASwitchRestartsGpa) {
  sim_->set_scenario("secure_channel_disabled@1.0.25");
  gpa_get(*sim_, "/provision", {{"Metadata", "true"}});
  net::Request request;
  request.target = "/gpa-state";
  net::Options options;
  options.budget = 2s;
  auto state = nlohmann::json::parse(net::exchange(sim_->control(), request, options).body);
  EXPECT_EQ(state["provision_reset"], true);
  EXPECT_EQ(state["key_keeper_wakeups"], 1);
  sim_->set_scenario("secure_channel_disabled@1.0.25");
  EXPECT_TRUE(untouched(sim_->gpa_state()));
}

// ---- latchwatch, per era ---------------------------------------------------------------------

struct EraWatch {
  const char* version;
  bool provision_expected;  ///< only where GET /provision has no effect
};

void PrintTo(const EraWatch& c, std::ostream* os) { *os << c.version; }

class WatchWithoutTouching : public GpaModel, public ::testing::WithParamInterface<EraWatch> {};

TEST_P(WatchWithoutTouching, CheckSendsNothingWithAnEffectOnThisEra) {
  const auto& c = GetParam();
  for (const char* state : {"secure_channel_disabled", "healthy", "key_lost", "gpa_down"}) {
    const std::string scenario = std::string(state) + "@" + c.version;
    sim_->set_scenario(scenario);
    sim_->clear_requests();
    TempDir state_dir;
    std::vector<std::string> args{"check", "--json", "--state-dir", state_dir.path()};
    for (auto& flag : sim_->check_flags()) args.push_back(flag);
    auto result = testing::run_latchwatch(args);
    auto doc = nlohmann::json::parse(result.out, nullptr, false);
    ASSERT_FALSE(doc.is_discarded()) << result.err;
    EXPECT_TRUE(untouched(sim_->gpa_state())) << scenario << describe(*sim_);
    bool provision_sent = false;
    for (const auto& r : sim_->requests()) {
      EXPECT_EQ(r.effect, "") << scenario << describe(*sim_);
      EXPECT_EQ(r.method, "GET");
      if (r.role == sim::Role::gpa) provision_sent = true;
    }
    if (std::string(state) != "gpa_down") {  // GPA's port refuses: nothing is logged there
      EXPECT_EQ(provision_sent, c.provision_expected) << scenario << describe(*sim_);
    }
    // The verdict holds in every era without /provision (gpa_down from a stale status.json and
    // no GPA process), and latchwatch never reports its own side effect as GPA's.
    EXPECT_EQ(doc["verdict"]["code"], state) << scenario << doc["findings"].dump(1);
    // (key_lost's errorMessage is GPA's own news, not a side effect.)
    if (std::string(state) == "healthy" || std::string(state) == "secure_channel_disabled") {
      for (const auto& f : doc["findings"]) EXPECT_NE(f["id"], "gpa_not_provisioned") << scenario;
    }
    if (std::string(state) == "key_lost") {
      // The owner is told what else is broken (enforce everywhere) and what still gets out.
      ASSERT_TRUE(doc.contains("blast_radius")) << scenario;
      const auto broken = doc["blast_radius"]["also_broken"].dump();
      EXPECT_NE(broken.find("Run Command"), std::string::npos) << broken;
      EXPECT_NE(broken.find("managed-identity tokens"), std::string::npos) << broken;
      EXPECT_FALSE(doc["blast_radius"]["channels"].empty());
    } else {
      EXPECT_FALSE(doc.contains("blast_radius")) << scenario;
    }
  }
}

TEST_P(WatchWithoutTouching, DaemonCyclesSendNothingWithAnEffectOnThisEra) {
  const auto& c = GetParam();
  const std::string scenario = std::string("secure_channel_disabled@") + c.version;
  sim_->set_scenario(scenario);
  sim_->clear_requests();
  const std::string state_dir = dir_ / "state";
  nlohmann::json config = {{"daemon", {{"interval_s", 1}, {"jitter_s", 0}}},
                           {"probes", {{"timeout_ms", 1000}}},
                           {"paths", {{"state_dir", state_dir}}},
                           {"sinks",
                            {{"metrics", {{"enabled", false}}},
                             {"kvp", {{"enabled", false}}},
                             {"serial", {{"device", dir_ / "serial.log"}}}}}};
  testing::write_file(dir_ / "config.json", config.dump(2));
  std::vector<std::string> argv{LATCHWATCH_BINARY, "run", "--config", dir_ / "config.json"};
  for (auto& flag : sim_->check_flags()) argv.push_back(flag);
  testing::BackgroundProcess daemon(argv, dir_.path(), "daemon");
  ASSERT_TRUE(testing::wait_for([&] { return testing::read_history(state_dir).size() >= 3; }, 30s))
      << daemon.err();
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait_exit(10s), 0) << daemon.err();
  EXPECT_TRUE(untouched(sim_->gpa_state())) << scenario << describe(*sim_);
  for (const auto& r : sim_->requests()) EXPECT_EQ(r.effect, "") << scenario;
  EXPECT_GE(sim_->requests().size(), 9u);  // three cycles really ran against this GPA
}

INSTANTIATE_TEST_SUITE_P(EveryEra, WatchWithoutTouching,
                         ::testing::Values(EraWatch{"1.0.13", false}, EraWatch{"1.0.17", false},
                                           EraWatch{"1.0.20", false}, EraWatch{"1.0.21", false},
                                           EraWatch{"1.0.23", false}, EraWatch{"1.0.24", false},
                                           EraWatch{"1.0.25", false}, EraWatch{"1.0.26", true},
                                           EraWatch{"1.0.30", true}, EraWatch{"1.0.37", true},
                                           EraWatch{"1.0.47", true}),
                         [](const auto& info) {
                           std::string name = info.param.version;
                           for (auto& ch : name)
                             if (ch == '.') ch = '_';
                           return name;
                         });

TEST_F(GpaModel, UnknownVersionGetsOnlyWhatIsHarmlessEverywhere) {
  // status.json unreadable: GPA's version is unknown, and /provision is not sent.
  sim_->set_scenario("secure_channel_disabled@1.0.25");
  testing::write_file(sim_->status_file(), "{\"timestamp\": \"2026-");
  sim_->clear_requests();
  TempDir state_dir;
  std::vector<std::string> args{"check", "--json", "--state-dir", state_dir.path()};
  for (auto& flag : sim_->check_flags()) args.push_back(flag);
  auto doc = nlohmann::json::parse(testing::run_latchwatch(args).out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded());
  EXPECT_TRUE(untouched(sim_->gpa_state())) << describe(*sim_);
  for (const auto& r : sim_->requests()) EXPECT_NE(r.role, sim::Role::gpa) << r.target;
  bool said = false;
  for (const auto& f : doc["findings"])
    if (f["id"] == "gpa_requests")
      said = f["message"].get<std::string>().find("unknown") != std::string::npos;
  EXPECT_TRUE(said) << doc["findings"].dump(1);
}

}  // namespace
}  // namespace latchwatch
