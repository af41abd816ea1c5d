// `latchwatch run` end to end: the real binary against the simulator, a real Alertmanager, a real
// TLS webhook, the metrics endpoint and textfile, KVP, restarts and signals.

#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "reporting/sinks/webhook_sink.h"
#include "tests/fabric_sim/fabric_simulator.h"
#include "tests/support/alertmanager_process.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/daemon_state.h"
#include "tests/support/raw_server.h"
#include "tests/support/test_support.h"
#include "tests/support/tls_server.h"

namespace latchwatch {
namespace {

using namespace std::chrono_literals;
using testing::BackgroundProcess;
using testing::TempDir;
using testing::wait_for;

constexpr const char* kWebhookSecret = "whsec-3f9a1c77e2b04d5c8a6e1b2c3d4e5f60";
constexpr const char* kBearerToken = "am-token-8d7c6b5a4f3e2d1c";

bool saw_transition(const std::string& state_dir, const std::string& transition,
                    const std::string& verdict) {
  for (const auto& doc : testing::read_history(state_dir))
    if (doc["transition"] == transition && doc["debounce"]["confirmed"] == verdict) return true;
  return false;
}

net::Response http_get(std::uint16_t port, const std::string& target) {
  net::Request request;
  request.target = target;
  net::Options options;
  options.budget = 2s;
  return net::exchange({"127.0.0.1", port}, request, options);
}

class Daemon : public testing::DaemonFixture {
 protected:
  nlohmann::json base_config() const {
    auto config = DaemonFixture::base_config();
    config["sinks"]["metrics"]["textfile_dir"] = dir_.path();
    config["sinks"]["kvp"] = {{"enabled", true}, {"pool_file", dir_ / "kvp_pool_1"}};
    return config;
  }
};

TEST_F(Daemon, KeyLossFiresAfterTwoCyclesAndRecoveryResolvesAtOnce) {
  auto daemon = start(base_config());
  ASSERT_TRUE(wait_for([&] { return cycles() >= 1; }, 10s)) << daemon->err();
  auto metrics = http_get(metrics_port(), "/metrics");
  EXPECT_EQ(metrics.status, 200) << metrics.error;
  EXPECT_EQ(metrics.header("content-type").rfind("text/plain; version=0.0.4", 0), 0u);
  EXPECT_NE(metrics.body.find("latchwatch_verdict{code=\"healthy\"} 1"), std::string::npos);

  sim_->set_scenario("key_lost");
  ASSERT_TRUE(wait_for([&] { return saw_transition(state_dir_, "fired", "key_lost"); }, 15s))
      << daemon->err();
  // The first key_lost cycle was held back (pending), the second fired.
  auto lines = testing::read_history(state_dir_);
  std::size_t first_seen = 0;
  while (first_seen < lines.size() && lines[first_seen]["verdict"]["code"] != "key_lost")
    ++first_seen;
  ASSERT_LT(first_seen + 1, lines.size());
  EXPECT_EQ(lines[first_seen]["transition"], "unchanged");
  EXPECT_TRUE(lines[first_seen]["debounce"]["pending"].get<bool>());
  EXPECT_EQ(lines[first_seen + 1]["transition"], "fired");
  EXPECT_TRUE(wait_for(
      [&] {
        return http_get(metrics_port(), "/metrics").body.find("latchwatch_key_alert_firing 1") !=
               std::string::npos;
      },
      5s));
  EXPECT_NE(
      testing::read_file(dir_ / "latchwatch.prom").find("latchwatch_verdict{code=\"key_lost\"} 1"),
      std::string::npos);
  auto report = nlohmann::json::parse(testing::read_file(state_dir_ + "/report.json"));
  EXPECT_EQ(report["remedy"]["next_incarnation"], 11);

  sim_->set_scenario("healthy");
  auto before = cycles();
  ASSERT_TRUE(wait_for([&] { return saw_transition(state_dir_, "resolved", "healthy"); }, 10s));
  EXPECT_EQ(testing::read_history(state_dir_)[before]["transition"], "resolved")
      << "recovery is not debounced";

  // KVP: an independent reader of the documented record format.
  auto pool = testing::read_file(dir_ / "kvp_pool_1");
  ASSERT_EQ(pool.size() % 2560, 0u);
  ASSERT_GE(pool.size(), 2560u);
  std::string key(pool.data(), 512);
  std::string value(pool.data() + 512, 2048);
  EXPECT_EQ(key.substr(0, key.find('\0')),
            "LATCHWATCH|d0a1b2c3-0000-4000-8000-000000000001|verdict");
  EXPECT_EQ(nlohmann::json::parse(value.substr(0, value.find('\0')))["verdict"], "healthy");

  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait_exit(5s), 0) << daemon->err();
}

TEST_F(Daemon, SigtermDuringACycleExitsWithinASecond) {
  auto config = base_config();
  config["probes"]["timeout_ms"] = 20000;  // a black-holed WireServer keeps the cycle busy
  sim_->set_scenario("wireserver_blackholed");
  auto daemon = start(config);
  // The first cycle is running once the simulator has accepted a probe.
  ASSERT_TRUE(wait_for([&] { return !sim_->requests().empty(); }, 10s));
  daemon->signal(SIGTERM);
  auto code = daemon->wait_exit(1s);
  ASSERT_TRUE(code) << "still running a second after SIGTERM\n" << daemon->err();
  EXPECT_EQ(*code, 0);
}

TEST_F(Daemon, SighupWithABrokenConfigKeepsRunningOnTheOld) {
  auto daemon = start(base_config());
  ASSERT_TRUE(wait_for([&] { return cycles() >= 1; }, 10s)) << daemon->err();
  testing::write_file(dir_ / "config.json", R"({"daemon": {"interval_s": "often"}})");
  daemon->signal(SIGHUP);
  ASSERT_TRUE(wait_for(
      [&] { return daemon->err().find("config reload failed") != std::string::npos; }, 5s));
  EXPECT_NE(daemon->err().find("daemon.interval_s"), std::string::npos);
  auto after = cycles();
  EXPECT_TRUE(wait_for([&] { return cycles() >= after + 2; }, 10s))
      << "still cycling on the old config";
  EXPECT_FALSE(daemon->wait_exit(0ms));
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait_exit(5s), 0);
}

TEST_F(Daemon, OneInstancePerStateFolder) {
  auto first = start(base_config());
  ASSERT_TRUE(wait_for([&] { return cycles() >= 1; }, 10s)) << first->err();
  auto config = base_config();
  config["sinks"]["metrics"]["listen"] = "127.0.0.1:0";
  auto second = start(config, "second");
  EXPECT_EQ(second->wait_exit(10s), 3);
  EXPECT_NE(second->err().find("already uses"), std::string::npos) << second->err();
  first->signal(SIGTERM);
  EXPECT_EQ(first->wait_exit(5s), 0);
}

// With daemon.interval_ms set, the start line said "every 300 s" (interval_s) while the daemon
// cycled every few hundred milliseconds.
TEST_F(Daemon, TheStartLineNamesTheIntervalInUse) {
  auto config = base_config();
  config["daemon"]["interval_ms"] = 250;
  auto daemon = start(config);
  ASSERT_TRUE(wait_for([&] { return cycles() >= 1; }, 10s)) << daemon->err();
  EXPECT_NE(daemon->err().find("running: every 250 ms"), std::string::npos) << daemon->err();
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait_exit(5s), 0) << daemon->err();
}

TEST_F(Daemon, MetricsPortTakenByAnotherProcessDegradesButNothingElseStops) {
  testing::RawServer squatter([](int&) {});  // an unprivileged process got the port first
  auto config = base_config();
  config["sinks"]["metrics"]["listen"] = "127.0.0.1:" + std::to_string(squatter.endpoint().port);
  auto daemon = start(config);
  ASSERT_TRUE(wait_for([&] { return cycles() >= 2; }, 10s)) << daemon->err();
  EXPECT_NE(daemon->err().find("metrics endpoint off"), std::string::npos) << daemon->err();
  EXPECT_NE(testing::read_file(dir_ / "latchwatch.prom").find("latchwatch_cycles_total"),
            std::string::npos)
      << "the textfile still works";
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait_exit(5s), 0);
}

using Alertmanager = testing::AlertmanagerProcess;

bool has_alert(const nlohmann::json& alerts, const std::string& verdict) {
  return testing::has_active_alert(alerts, verdict);
}

TEST_F(Daemon, EveryTransitionReachesAlertmanagerAndTheSignedWebhookInOrderAcrossRestarts) {
  Alertmanager alertmanager(dir_.path());
  ASSERT_TRUE(alertmanager.ready()) << testing::read_file(dir_ / "alertmanager.err");
  testing::make_test_certificate(dir_.path());
  const std::uint16_t webhook_port = testing::free_port();

  auto config = base_config();
  config["sinks"]["alertmanager"] = {{"enabled", true},
                                     {"url", alertmanager.url()},
                                     {"bearer_token", kBearerToken},
                                     {"resend_interval_s", 1}};
  config["sinks"]["webhook"] = {
      {"enabled", true},
      {"url", "https://127.0.0.1:" + std::to_string(webhook_port) + "/hook"},
      {"secret", kWebhookSecret},
      {"ca_file", dir_ / "cert.pem"}};

  // The webhook is down at first: the key loss is spooled.
  auto daemon = start(config);
  ASSERT_TRUE(wait_for([&] { return cycles() >= 1; }, 10s)) << daemon->err();
  sim_->set_scenario("key_lost");
  ASSERT_TRUE(wait_for([&] { return saw_transition(state_dir_, "fired", "key_lost"); }, 15s));
  ASSERT_TRUE(wait_for([&] { return has_alert(alertmanager.alerts(true), "key_lost"); }, 10s))
      << alertmanager.alerts(false).dump();
  auto fired = alertmanager.alerts(true);
  for (const auto& a : fired) {
    if (a["labels"]["verdict"] != "key_lost") continue;
    EXPECT_EQ(a["labels"]["alertname"], "LatchwatchKeyResetNeeded");
    EXPECT_EQ(a["labels"]["severity"], "critical");
    EXPECT_EQ(a["labels"]["subscription"], "8a3f1c2e-1111-4222-8333-944455566677");
    EXPECT_NE(a["annotations"]["az_command"].get<std::string>().find("keyIncarnationId"),
              std::string::npos);
  }
  EXPECT_TRUE(wait_for(
      [&] {
        auto r =
            nlohmann::json::parse(testing::read_file(state_dir_ + "/report.json"), nullptr, false);
        return !r.is_discarded() && r["sinks"].contains("webhook") &&
               !r["sinks"]["webhook"]["up"].get<bool>();
      },
      10s))
      << "the webhook's failure shows in the next report";

  // Restart while the webhook is still down; the spool survives.
  daemon->signal(SIGTERM);
  ASSERT_EQ(daemon->wait_exit(5s), 0) << daemon->err();
  EXPECT_FALSE(testing::files_containing(state_dir_ + "/spool", "key_lost").empty());
  sim_->set_scenario("healthy");
  daemon = start(config, "daemon2");
  ASSERT_TRUE(wait_for([&] { return saw_transition(state_dir_, "resolved", "healthy"); }, 15s))
      << daemon->err();
  EXPECT_TRUE(wait_for([&] { return !has_alert(alertmanager.alerts(true), "key_lost"); }, 15s))
      << "resolved in Alertmanager: " << alertmanager.alerts(false).dump();

  // Now the webhook comes up: both reports arrive, in order, signed, with delivery ids.
  testing::TlsServer webhook(dir_.path(), webhook_port);
  ASSERT_TRUE(wait_for([&] { return webhook.requests().size() >= 2; }, 20s)) << daemon->err();
  auto requests = webhook.requests();
  std::vector<std::string> transitions;
  for (const auto& r : requests) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/hook");
    EXPECT_EQ(r.headers.at("x-latchwatch-signature"),
              "sha256=" + reporting::hmac_sha256_hex(kWebhookSecret, r.body));
    EXPECT_EQ(r.headers.at("x-latchwatch-delivery").size(), 36u);
    transitions.push_back(nlohmann::json::parse(r.body)["transition"]);
  }
  ASSERT_GE(transitions.size(), 2u);
  EXPECT_EQ(transitions[0], "fired");
  EXPECT_EQ(transitions[1], "resolved");
  EXPECT_TRUE(wait_for(
      [&] { return testing::files_containing(state_dir_ + "/spool", "transition").empty(); }, 5s))
      << "the spool drains";

  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait_exit(5s), 0);
  // Secrets never reach any output or state file.
  for (const char* secret : {kWebhookSecret, kBearerToken, sim::kPlantedKeyHex}) {
    EXPECT_TRUE(testing::files_containing(state_dir_, secret).empty()) << secret;
    EXPECT_EQ(testing::read_file(dir_ / "daemon.err").find(secret), std::string::npos) << secret;
    EXPECT_EQ(testing::read_file(dir_ / "daemon2.err").find(secret), std::string::npos) << secret;
    EXPECT_EQ(testing::read_file(dir_ / "latchwatch.prom").find(secret), std::string::npos);
    EXPECT_EQ(testing::read_file(dir_ / "kvp_pool_1").find(secret), std::string::npos);
    for (const auto& r : requests) EXPECT_EQ(r.body.find(secret), std::string::npos) << secret;
  }
  EXPECT_EQ(alertmanager.alerts(false).dump().find(kBearerToken), std::string::npos);
  auto shown = testing::run_latchwatch({"config", "show", "--config", dir_ / "config.json"});
  EXPECT_EQ(shown.out.find(kWebhookSecret), std::string::npos);
  EXPECT_EQ(shown.out.find(kBearerToken), std::string::npos);
  EXPECT_NE(shown.out.find("********"), std::string::npos);
}

}  // namespace
}  // namespace latchwatch
