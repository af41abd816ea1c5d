// `latchwatch check` end to end: the real binary, the real simulator on loopback, real files.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "tests/fabric_sim/fabric_simulator.h"
#include "tests/support/test_support.h"

namespace latchwatch {
namespace {

using testing::ProcessResult;
using testing::TempDir;

constexpr int kTimeoutMs = 1000;

class CheckAgainstSimulator : public ::testing::Test {
 protected:
  void SetUp() override {
    sim::SimulatorOptions options;
    options.gpa_dir = vm_dir_ / "vm";
    options.drip_interval = std::chrono::milliseconds(400);
    sim_ = std::make_unique<sim::FabricSimulator>(options);
    sim_->start();
  }

  /// Runs `latchwatch check --json` against the simulator in `scenario`.
  ProcessResult check(const std::string& scenario, std::vector<std::string> extra = {}) {
    sim_->set_scenario(scenario);
    std::vector<std::string> args{"check",           "--json",       "--state-dir",
                                  state_dir_.path(), "--timeout-ms", std::to_string(kTimeoutMs)};
    for (auto& flag : sim_->check_flags()) args.push_back(flag);
    for (auto& flag : extra) args.push_back(flag);
    auto result = testing::run_latchwatch(args);
    outputs_ += result.out + result.err;
    return result;
  }

  static nlohmann::json document(const ProcessResult& result) {
    auto doc = nlohmann::json::parse(result.out, nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << "stdout is not one JSON document:\n" << result.out;
    return doc;
  }

  static nlohmann::json probe(const nlohmann::json& doc, const std::string& target) {
    for (const auto& p : doc["probes"])
      if (p["target"] == target) return p;
    ADD_FAILURE() << "no probe " << target;
    return {};
  }

  TempDir vm_dir_;
  TempDir state_dir_;
  std::unique_ptr<sim::FabricSimulator> sim_;
  std::string outputs_;
};

struct Expectation {
  const char* scenario;
  const char* verdict;
  int exit_code;
};

class VerdictPerScenario : public CheckAgainstSimulator,
                           public ::testing::WithParamInterface<Expectation> {};

TEST_P(VerdictPerScenario, GivesTheCataloguedVerdictAndExitCode) {
  const auto& expected = GetParam();
  auto result = check(expected.scenario);
  auto doc = document(result);
  EXPECT_EQ(doc["verdict"]["code"], expected.verdict) << result.out;
  EXPECT_EQ(result.exit_code, expected.exit_code) << result.err;
  EXPECT_EQ(doc["verdict"]["exit_code"], expected.exit_code);
  // Six targets at most; GPA's /provision only where its version says it is harmless
  // (docs/gpa-eras.md), so a GPA of unknown version gets five.
  EXPECT_GE(doc["probes"].size(), 5u);
  EXPECT_LE(doc["probes"].size(), 6u);
  EXPECT_EQ(outputs_.find(sim::kPlantedKeyHex), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Catalogue, VerdictPerScenario,
    ::testing::Values(
        Expectation{"healthy", "healthy", 0}, Expectation{"healthy_v1", "healthy", 0},
        Expectation{"vmss_healthy", "healthy", 0},
        Expectation{"secure_channel_disabled", "secure_channel_disabled", 0},
        Expectation{"latching_in_progress", "latching_in_progress", 1},
        Expectation{"key_lost", "key_lost", 2}, Expectation{"key_mismatch", "key_mismatch", 2},
        Expectation{"key_lost_audit", "key_lost", 2}, Expectation{"key_unusable", "key_lost", 2},
        Expectation{"early_boot", "latching_in_progress", 1},
        Expectation{"key_suspect_mismatch", "key_suspect_mismatch", 2},
        Expectation{"key_loss_latent", "key_loss_latent", 1},
        Expectation{"reset_pending", "reset_pending", 1},
        Expectation{"reset_applied", "healthy", 0}, Expectation{"gpa_down", "gpa_down", 2},
        Expectation{"gpa_not_installed", "gpa_not_installed", 2},
        Expectation{"redirect_failure", "redirect_failure", 2},
        Expectation{"wireserver_blackholed", "wireserver_unreachable", 2},
        Expectation{"wireserver_refused", "wireserver_unreachable", 2},
        Expectation{"imds_refused", "imds_unreachable", 2},
        Expectation{"imds_throttled", "imds_throttled", 1},
        Expectation{"access_denied", "access_denied_by_rules", 1},
        Expectation{"key_store_unwritable", "key_store_unwritable", 2},
        Expectation{"clock_skew", "clock_skew", 1},
        Expectation{"status_rejected_by_gpa", "unknown", 3},
        Expectation{"status_missing_gpa_field", "unknown", 3},
        Expectation{"malformed_json", "unknown", 3}, Expectation{"oversized_body", "unknown", 3},
        Expectation{"slow_imds", "healthy", 0},
        Expectation{"slow_drip", "wireserver_unreachable", 2}),
    [](const auto& info) { return std::string(info.param.scenario); });

TEST_F(CheckAgainstSimulator, EachProbeOutcomeIsReported) {
  auto healthy = document(check("healthy"));
  for (const char* target : {"wireserver_status", "wireserver_versions", "hostga_health",
                             "imds_instance", "gpa_provision"}) {
    auto p = probe(healthy, target);
    EXPECT_EQ(p["outcome"], "ok") << target;
    EXPECT_EQ(p["http_status"], 200) << target;
    EXPECT_TRUE(p["via_gpa"].get<bool>()) << target;
    EXPECT_GE(p["timings_ms"]["connect"].get<double>(), 0) << target;
    EXPECT_GE(p["timings_ms"]["first_byte"].get<double>(), 0) << target;
  }
  EXPECT_EQ(probe(healthy, "wireserver_status")["summary"]["keyIncarnationId"], 10);

  EXPECT_EQ(probe(document(check("wireserver_refused")), "wireserver_status")["outcome"],
            "refused");
  EXPECT_EQ(probe(document(check("wireserver_blackholed")), "wireserver_status")["outcome"],
            "timeout");
  EXPECT_EQ(probe(document(check("key_lost")), "imds_instance")["outcome"], "http_error");
  EXPECT_EQ(probe(document(check("malformed_json")), "wireserver_status")["outcome"],
            "bad_payload");
  EXPECT_EQ(probe(document(check("oversized_body")), "wireserver_status")["outcome"], "too_large");
  // A body GPA's serde rejects (no authorizationScheme) is a named parse error, not a healthy read.
  auto unschemed = probe(document(check("status_missing_gpa_field")), "wireserver_status");
  EXPECT_EQ(unschemed["outcome"], "bad_payload");
  EXPECT_NE(unschemed["error"].get<std::string>().find("/authorizationScheme is missing"),
            std::string::npos)
      << unschemed.dump();
  auto throttled = probe(document(check("imds_throttled")), "imds_instance");
  EXPECT_EQ(throttled["outcome"], "http_error");
  EXPECT_EQ(throttled["http_status"], 429);
}

TEST_F(CheckAgainstSimulator, BlackHoledWireServerCostsOneTimeoutNotTheSum) {
  auto doc = document(check("wireserver_blackholed"));
  EXPECT_EQ(doc["verdict"]["code"], "wireserver_unreachable");
  // Probes run in parallel under one deadline each: the cycle is about one timeout long,
  // whatever the number of silent endpoints (two here). Generous slack for a loaded machine.
  EXPECT_LT(doc["cycle_wall_ms"].get<double>(), 2 * kTimeoutMs);
  EXPECT_EQ(probe(doc, "hostga_health")["outcome"], "timeout");
  EXPECT_EQ(probe(doc, "imds_instance")["outcome"], "ok");
  EXPECT_EQ(probe(doc, "gpa_provision")["outcome"], "ok");
}

TEST_F(CheckAgainstSimulator, SendsOnlyAllowListedGets) {
  for (const auto& scenario : sim::FabricSimulator::scenario_names()) check(scenario);
  // GPA 1.0.47 also answers the in-memory status: the new target is asked in every era.
  for (const char* scenario : {"healthy@1.0.47", "key_lost@1.0.47", "key_lost@1.0.20",
                               "secure_channel_disabled@1.0.25", "secure_channel_disabled@1.0.24"})
    check(scenario);
  const std::set<std::string> allowed{"/secure-channel/status",
                                      "/?comp=versions",
                                      "/health",
                                      "/metadata/instance?api-version=2021-12-13",
                                      "/provision",
                                      "/gpa-aggregated-status"};
  auto requests = sim_->requests();
  ASSERT_GE(requests.size(), sim::FabricSimulator::scenario_names().size());
  for (const auto& request : requests) {
    EXPECT_EQ(request.method, "GET") << request.target;
    EXPECT_EQ(allowed.count(request.target), 1u) << request.target;
    EXPECT_EQ(request.headers.count("x-ms-azure-notify"), 0u) << request.target;
    // What the request did to the simulated GPA of that era (docs/gpa-eras.md): nothing.
    EXPECT_EQ(request.effect, "") << request.target;
    if (request.role == sim::Role::imds || request.role == sim::Role::gpa ||
        request.target == "/gpa-aggregated-status") {
      EXPECT_EQ(request.headers.count("metadata"), 1u) << request.target;
    }
  }
}

TEST_F(CheckAgainstSimulator, NoOutputOrStateFileCarriesThePlantedKey) {
  for (const auto& scenario : sim::FabricSimulator::scenario_names()) check(scenario);
  auto human = testing::run_latchwatch([&] {
    std::vector<std::string> args{"check", "--state-dir", state_dir_.path()};
    for (auto& flag : sim_->check_flags()) args.push_back(flag);
    return args;
  }());
  outputs_ += human.out + human.err;
  EXPECT_EQ(outputs_.find(sim::kPlantedKeyHex), std::string::npos);
  EXPECT_TRUE(testing::files_containing(state_dir_.path(), sim::kPlantedKeyHex).empty());
  // The planted key really is there to be leaked: the test would catch a reader.
  sim_->set_scenario("healthy");
  EXPECT_FALSE(testing::files_containing(sim_->key_dir(), sim::kPlantedKeyHex).empty());
}

TEST_F(CheckAgainstSimulator, CachedIdentityNamesTheResourceWhenImdsIsCutOff) {
  ASSERT_EQ(check("healthy").exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(testing::read_file(state_dir_ / "identity.json"))["cloud"],
            "AzurePublicCloud");
  auto doc = document(check("key_lost"));
  ASSERT_EQ(doc["verdict"]["code"], "key_lost");
  const auto& remedy = doc["remedy"];
  EXPECT_EQ(remedy["identity_source"], "cache");
  EXPECT_EQ(remedy["cloud"], "AzurePublicCloud") << "the cloud comes from the cache too";
  EXPECT_EQ(remedy["resource_id"],
            "/subscriptions/8a3f1c2e-1111-4222-8333-944455566677/resourceGroups/rg-latch/"
            "providers/Microsoft.Compute/virtualMachines/vm-latch-01");
  EXPECT_EQ(remedy["next_incarnation"], 11);
  EXPECT_EQ(remedy["request"]["method"], "PATCH");
  EXPECT_EQ(remedy["request"]["url"],
            "/subscriptions/8a3f1c2e-1111-4222-8333-944455566677/"
            "resourceGroups/rg-latch/providers/Microsoft.Compute/virtualMachines/vm-latch-01"
            "?api-version=2024-03-01");
  EXPECT_EQ(remedy["request"]["body"]["properties"]["securityProfile"]["proxyAgentSettings"]
                  ["keyIncarnationId"],
            11);
}

TEST_F(CheckAgainstSimulator, ScaleSetInstanceRemedyUsesTheInstanceResourceId) {
  ASSERT_EQ(check("vmss_healthy").exit_code, 0);
  auto doc = document(check("key_lost"));
  EXPECT_EQ(doc["remedy"]["resource_id"],
            "/subscriptions/8a3f1c2e-1111-4222-8333-944455566677/resourceGroups/rg-latch/"
            "providers/Microsoft.Compute/virtualMachineScaleSets/ss-latch/virtualMachines/3");
  EXPECT_NE(doc["remedy"]["scale_set_note"].get<std::string>().find("per instance"),
            std::string::npos);
}

TEST_F(CheckAgainstSimulator, WithoutCacheTheRemedyKeepsAPlaceholderAndFindsTheVm) {
  auto doc = document(check("key_lost"));
  const auto& remedy = doc["remedy"];
  EXPECT_EQ(remedy["resource_id"], nullptr);
  EXPECT_EQ(remedy["request"]["url"], "{resourceId}?api-version=2024-03-01");
  EXPECT_NE(remedy["find_vm"].get<std::string>().find("d0a1b2c3-0000-4000-8000-000000000001"),
            std::string::npos);
}

TEST_F(CheckAgainstSimulator, DiskMovedToAnotherVmIsToldAndTheOldResourceWithheld) {
  ASSERT_EQ(check("healthy").exit_code, 0);
  sim_->set_scenario("key_mismatch");
  testing::write_file(sim_->smbios_file(), "11111111-2222-3333-4444-555555555555\n");
  std::vector<std::string> args{"check", "--json", "--state-dir", state_dir_.path()};
  for (auto& flag : sim_->check_flags()) args.push_back(flag);
  auto doc = document(testing::run_latchwatch(args));
  EXPECT_EQ(doc["verdict"]["code"], "key_mismatch");
  EXPECT_TRUE(doc["identity"]["moved_to_other_vm"].get<bool>());
  EXPECT_EQ(doc["remedy"]["resource_id"], nullptr);
  EXPECT_NE(doc.dump().find("disk_moved_to_other_vm"), std::string::npos);
}

TEST_F(CheckAgainstSimulator, CorruptIdentityCacheIsReportedNotFatal) {
  testing::write_file(state_dir_ / "identity.json", "{\"schema\": 1, \"resource_id\": ");
  auto result = check("healthy");
  auto doc = document(result);
  EXPECT_EQ(doc["verdict"]["code"], "healthy");
  EXPECT_NE(result.out.find("identity_cache_unusable"), std::string::npos);
  // ...and the next healthy run replaced it with a good one.
  auto again = document(check("healthy"));
  EXPECT_EQ(again.dump().find("identity_cache_unusable"), std::string::npos);
}

TEST_F(CheckAgainstSimulator, OwnersResetIsSeenThroughToRecovery) {
  ASSERT_EQ(check("healthy").exit_code, 0);
  auto lost = document(check("key_lost"));
  ASSERT_EQ(lost["remedy"]["next_incarnation"], 11);
  EXPECT_EQ(document(check("reset_pending"))["verdict"]["code"], "reset_pending");
  auto recovered = document(check("reset_applied"));
  EXPECT_EQ(recovered["verdict"]["code"], "healthy");
  EXPECT_EQ(recovered["resolved"]["old_incarnation"], 10);
  EXPECT_EQ(recovered["resolved"]["new_incarnation"], 11);
  EXPECT_EQ(recovered["resolved"]["new_key_guid"], sim::kResetKeyGuid);
}

TEST_F(CheckAgainstSimulator, TheCachedCloudIsNamedWhenImdsIsCutOffAndAnOldCacheStillLoads) {
  ASSERT_EQ(check("healthy").exit_code, 0);
  auto cache = nlohmann::json::parse(testing::read_file(state_dir_ / "identity.json"));
  cache["cloud"] = "AzureUSGovernmentCloud";  // as IMDS names Azure Government
  testing::write_file(state_dir_ / "identity.json", cache.dump());
  sim_->set_scenario("key_lost");
  std::vector<std::string> args{"check", "--state-dir", state_dir_.path()};
  for (auto& flag : sim_->check_flags()) args.push_back(flag);
  auto human = testing::run_latchwatch(args);
  EXPECT_NE(human.out.find("AzureUSGovernmentCloud"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("az cloud set --name AzureUSGovernment"), std::string::npos)
      << human.out;

  // A cache written before the cloud was kept: still the resource, and the cloud said unknown.
  cache.erase("cloud");
  testing::write_file(state_dir_ / "identity.json", cache.dump());
  auto doc = document(check("key_lost"));
  EXPECT_EQ(doc["remedy"]["identity_source"], "cache");
  EXPECT_EQ(doc["remedy"]["resource_id"], cache["resource_id"]);
  EXPECT_TRUE(doc["remedy"]["cloud"].is_null()) << doc["remedy"].dump();
}

TEST_F(CheckAgainstSimulator, ResetObservedIsReportedAsResolved) {
  ASSERT_EQ(check("healthy").exit_code, 0);
  auto cache = nlohmann::json::parse(testing::read_file(state_dir_ / "identity.json"));
  cache["last_key_guid"] = sim::kOtherVmKeyGuid;  // the key before the owner's reset
  cache["last_key_incarnation_id"] = 9;
  testing::write_file(state_dir_ / "identity.json", cache.dump());
  auto doc = document(check("healthy"));
  EXPECT_EQ(doc["resolved"]["old_incarnation"], 9);
  EXPECT_EQ(doc["resolved"]["new_incarnation"], 10);
}

TEST_F(CheckAgainstSimulator, HumanOutputShowsTheVerdictAndTheReset) {
  sim_->set_scenario("key_lost");
  std::vector<std::string> args{"check", "--state-dir", state_dir_.path()};
  for (auto& flag : sim_->check_flags()) args.push_back(flag);
  auto result = testing::run_latchwatch(args);
  EXPECT_EQ(result.exit_code, 2);
  // The first line is a monitoring plugin's: status word, text, perfdata with the incarnation.
  auto first_line = result.out.substr(0, result.out.find('\n'));
  EXPECT_EQ(first_line.rfind("LATCHWATCH CRITICAL - key_lost: ", 0), 0u) << first_line;
  EXPECT_NE(first_line.find(" | wireserver_status="), std::string::npos) << first_line;
  EXPECT_NE(first_line.find("ms;;;0"), std::string::npos) << first_line;
  EXPECT_NE(first_line.find(" incarnation=10;;;0"), std::string::npos) << first_line;
  EXPECT_NE(result.out.find("az rest --method patch"), std::string::npos);
  EXPECT_EQ(result.out.find("\033["), std::string::npos) << "no colour when not a terminal";
}

TEST(CheckFlags, BadFlagOrValueIsOneLineNamingItAndExitThree) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"check", "--wireserver", "nonsense"},
                                             {"check", "--timeout-ms", "-5"},
                                             {"check", "--imds", "127.0.0.1:99999"},
                                             {"check", "--bogus", "1"},
                                             {"check", "--gpa-key-dir", "relative/path"}}) {
    auto result = testing::run_latchwatch(args);
    EXPECT_EQ(result.exit_code, 3) << args[1];
    EXPECT_NE(result.err.find(args[1]), std::string::npos) << result.err;
    EXPECT_TRUE(result.out.empty());
  }
}

TEST(CheckFlags, BadConfigLineNamesTheKey) {
  TempDir dir;
  testing::write_file(dir / "config.json", R"({"endpoints": {"wireserver": 80}})");
  auto result = testing::run_latchwatch({"check", "--config", dir / "config.json"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find("endpoints.wireserver"), std::string::npos) << result.err;
  testing::write_file(dir / "config.json", R"({"endpoints": {"wireservr": "1.2.3.4:80"}})");
  result = testing::run_latchwatch({"config", "validate", dir / "config.json"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find("endpoints.wireservr"), std::string::npos) << result.err;
}

TEST(Explain, PrintsMeaningAndOwnerActionForEveryVerdict) {
  auto result = testing::run_latchwatch({"explain", "key_mismatch"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.out.find("Action:"), std::string::npos);
  EXPECT_NE(result.out.find("(by the owner)"), std::string::npos);
  EXPECT_NE(result.out.find("keyIncarnationId"), std::string::npos);
  EXPECT_NE(testing::run_latchwatch({"explain", "gpa_down"}).out.find("(by the operator)"),
            std::string::npos);
  EXPECT_EQ(testing::run_latchwatch({"explain", "no_such_code"}).exit_code, 3);
}

}  // namespace
}  // namespace latchwatch
