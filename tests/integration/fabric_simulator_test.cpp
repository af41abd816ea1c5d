// The fabric simulator over real loopback sockets, driven by the product's own HTTP client.
// Other tests trust the simulator to be the fabric the domain brief describes; this checks it.

#include "tests/fabric_sim/fabric_simulator.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"

extern char** environ;

namespace latchwatch::sim {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using net::Failure;
using testing::TempDir;

constexpr std::chrono::milliseconds kAnswerBudget{5000};  // generous: a loaded machine
constexpr std::chrono::milliseconds kTimeoutBudget{100};  // for endpoints that never answer

net::Request get(const std::string& target,
                 std::vector<std::pair<std::string, std::string>> headers = {}) {
  net::Request request;
  request.target = target;
  request.headers = std::move(headers);
  return request;
}

net::Options budget(std::chrono::milliseconds ms) {
  net::Options options;
  options.budget = ms;
  return options;
}

net::Response fetch(const net::Endpoint& endpoint, net::Request request,
                    std::chrono::milliseconds ms = kAnswerBudget) {
  return net::exchange(endpoint, std::move(request), budget(ms));
}

const std::string kImdsTarget = "/metadata/instance?api-version=2021-12-13";

/// Parses a status.json timestamp (UTC, no zone) or a Date header (RFC 1123) into a time_point.
std::chrono::system_clock::time_point parse_time(const std::string& text, const char* format) {
  std::tm tm{};
  if (!::strptime(text.c_str(), format, &tm)) {
    ADD_FAILURE() << "cannot parse time '" << text << "' with " << format;
    return {};
  }
  return std::chrono::system_clock::from_time_t(::timegm(&tm));
}

std::chrono::minutes minutes_from_now(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::minutes>(t - std::chrono::system_clock::now());
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

class FabricSimulatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SimulatorOptions options;
    options.gpa_dir = vm_dir_ / "vm";
    options.drip_interval = std::chrono::milliseconds(200);
    sim_ = std::make_unique<FabricSimulator>(options);
    sim_->start();
  }

  std::string key_file(const std::string& guid) const {
    return sim_->key_dir() + "/" + guid + ".key";
  }

  json status_document() const {
    return json::parse(testing::read_file(sim_->status_file()), nullptr, false);
  }

  TempDir vm_dir_;
  std::unique_ptr<FabricSimulator> sim_;
};

// ---- Every endpoint in every scenario -------------------------------------------------------

/// An expected outcome: an HTTP status, or one of these failures.
constexpr int kRefused = -1;
constexpr int kTimeout = -2;
constexpr int kTooLarge = -3;

struct Endpoints {
  const char* scenario;
  int status;     ///< WireServer /secure-channel/status
  int versions;   ///< WireServer /?comp=versions
  int health;     ///< HostGAPlugin /health
  int imds;       ///< IMDS /metadata/instance
  int provision;  ///< GPA /provision
  bool via_gpa;
};

int outcome(const net::Response& r) {
  switch (r.failure) {
    case Failure::none:
      return r.status;
    case Failure::refused:
      return kRefused;
    case Failure::timeout:
      return kTimeout;
    case Failure::too_large:
      return kTooLarge;
    default:
      return -100 - static_cast<int>(r.failure);
  }
}

class FabricSimulatorScenario : public FabricSimulatorTest,
                                public ::testing::WithParamInterface<Endpoints> {};

TEST_P(FabricSimulatorScenario, EachEndpointAnswersAsTheScenarioSays) {
  const Endpoints& expected = GetParam();
  sim_->set_scenario(expected.scenario);
  EXPECT_EQ(sim_->scenario(), expected.scenario);

  struct Call {
    const char* name;
    net::Endpoint endpoint;
    net::Request request;
    int expected;
    net::Response response;
  };
  std::vector<Call> calls{
      {"status",
       sim_->wireserver(),
       get("/secure-channel/status", {{"Metadata", "True"}}),
       expected.status,
       {}},
      {"versions", sim_->wireserver(), get("/?comp=versions"), expected.versions, {}},
      {"health", sim_->hostga(), get("/health"), expected.health, {}},
      {"imds", sim_->imds(), get(kImdsTarget, {{"Metadata", "true"}}), expected.imds, {}},
      {"provision",
       sim_->gpa(),
       get("/provision", {{"Metadata", "true"}}),
       expected.provision,
       {}}};
  // All five at once on one io_context, as the product's probe cycle does.
  boost::asio::io_context ioc;
  for (auto& call : calls) {
    net::async_exchange(ioc, call.endpoint, call.request,
                        budget(call.expected == kTimeout ? kTimeoutBudget : kAnswerBudget),
                        [&call](net::Response r) { call.response = std::move(r); });
  }
  ioc.run();

  for (const auto& call : calls) {
    const auto& r = call.response;
    EXPECT_EQ(outcome(r), call.expected) << call.name << ": " << r.error;
    if (r.failure != Failure::none) continue;
    EXPECT_EQ(r.has_header(kViaGpaHeader), expected.via_gpa) << call.name;
    EXPECT_EQ(r.header("server"), "latchwatch-fabric-sim") << call.name;
    EXPECT_FALSE(r.header("date").empty()) << call.name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    FabricSimulator, FabricSimulatorScenario,
    ::testing::Values(
        // scenario, then: status, versions, health, imds, provision, via GPA
        Endpoints{"healthy", 200, 200, 200, 200, 200, true},
        Endpoints{"healthy_v1", 200, 200, 200, 200, 200, true},
        Endpoints{"vmss_healthy", 200, 200, 200, 200, 200, true},
        Endpoints{"secure_channel_disabled", 200, 200, 200, 200, 200, false},
        Endpoints{"latching_in_progress", 200, 401, 401, 401, 200, true},
        Endpoints{"key_lost", 200, 401, 401, 401, 200, true},
        Endpoints{"key_mismatch", 200, 401, 401, 401, 200, true},
        Endpoints{"key_suspect_mismatch", 200, 401, 401, 401, 200, true},
        Endpoints{"key_loss_latent", 200, 200, 200, 200, 200, true},
        Endpoints{"reset_pending", 200, 200, 200, 200, 200, true},
        Endpoints{"gpa_down", 200, 401, 401, 401, kRefused, false},
        Endpoints{"gpa_not_installed", 200, 401, 401, 401, kRefused, false},
        Endpoints{"redirect_failure", 200, 401, 401, 401, 200, false},
        Endpoints{"wireserver_blackholed", kTimeout, kTimeout, kTimeout, 200, 200, true},
        Endpoints{"wireserver_refused", kRefused, kRefused, kRefused, 200, 200, true},
        Endpoints{"imds_refused", 200, 200, 200, kRefused, 200, true},
        Endpoints{"imds_throttled", 200, 200, 200, 429, 200, true},
        Endpoints{"access_denied", 200, 200, 200, 403, 200, true},
        Endpoints{"key_store_unwritable", 200, 401, 401, 401, 200, true},
        Endpoints{"clock_skew", 200, 200, 200, 200, 200, true},
        Endpoints{"malformed_json", 200, 200, 200, 200, 200, true},
        Endpoints{"oversized_body", kTooLarge, 200, 200, 200, 200, true},
        Endpoints{"slow_drip", kTimeout, 200, 200, 200, 200, true}),
    [](const auto& info) { return std::string(info.param.scenario); });

TEST_F(FabricSimulatorTest, ScenarioTableCoversEveryNameInOrder) {
  const std::vector<std::string> expected{"healthy",
                                          "healthy_v1",
                                          "vmss_healthy",
                                          "secure_channel_disabled",
                                          "latching_in_progress",
                                          "key_lost",
                                          "key_mismatch",
                                          "key_lost_audit",
                                          "key_unusable",
                                          "early_boot",
                                          "key_suspect_mismatch",
                                          "key_loss_latent",
                                          "reset_pending",
                                          "reset_applied",
                                          "gpa_down",
                                          "gpa_not_installed",
                                          "redirect_failure",
                                          "wireserver_blackholed",
                                          "wireserver_refused",
                                          "imds_refused",
                                          "imds_throttled",
                                          "access_denied",
                                          "key_store_unwritable",
                                          "clock_skew",
                                          "status_rejected_by_gpa",
                                          "status_missing_gpa_field",
                                          "malformed_json",
                                          "oversized_body",
                                          "slow_imds",
                                          "slow_drip",
                                          "key_loss_latent_no_incarnation",
                                          "vmss_key_loss_latent",
                                          "vmss_key_loss_latent_no_incarnation",
                                          "flex_key_loss_latent",
                                          "flex_key_loss_latent_no_incarnation",
                                          "hostile_imds_key_loss_latent"};
  EXPECT_EQ(FabricSimulator::scenario_names(), expected);
  EXPECT_THROW(sim_->set_scenario("no_such_scenario"), std::invalid_argument);
  EXPECT_EQ(sim_->scenario(), "healthy");
}

// ---- Payloads --------------------------------------------------------------------------------

TEST_F(FabricSimulatorTest, HealthyPayloadsMatchTheBrief) {
  auto status = json::parse(fetch(sim_->wireserver(), get("/secure-channel/status")).body);
  EXPECT_EQ(status["version"], "2.0");
  EXPECT_EQ(status["secureChannelEnabled"], true);
  EXPECT_EQ(status["keyGuid"], kPlantedKeyGuid);
  EXPECT_EQ(status["keyIncarnationId"], kKeyIncarnationId);
  for (const char* rule : {"imds", "wireserver", "hostga"})
    EXPECT_EQ(status["authorizationRules"][rule]["mode"], "enforce") << rule;

  auto versions = fetch(sim_->wireserver(), get("/?comp=versions"));
  EXPECT_NE(versions.body.find("<Preferred>"), std::string::npos) << versions.body;
  EXPECT_EQ(fetch(sim_->hostga(), get("/health")).body, "OK");

  auto imds = json::parse(fetch(sim_->imds(), get(kImdsTarget, {{"Metadata", "true"}})).body);
  const auto& compute = imds["compute"];
  EXPECT_EQ(compute["subscriptionId"], kSubscriptionId);
  EXPECT_EQ(compute["resourceGroupName"], kResourceGroup);
  EXPECT_EQ(compute["name"], kVmName);
  EXPECT_EQ(compute["vmId"], kVmId);
  EXPECT_EQ(compute["location"], kLocation);
  EXPECT_EQ(compute["resourceId"], kResourceId);
  EXPECT_EQ(compute["vmScaleSetName"], "");
  EXPECT_EQ(compute["securityProfile"]["securityType"], "TrustedLaunch");
  EXPECT_EQ(compute["storageProfile"]["osDisk"]["diffDiskSettings"]["option"], "");
  EXPECT_TRUE(imds["network"].is_object());

  auto provision = json::parse(fetch(sim_->gpa(), get("/provision", {{"Metadata", "true"}})).body);
  EXPECT_EQ(provision, json({{"finished", true}, {"errorMessage", ""}}));
}

TEST_F(FabricSimulatorTest, StatusBodyFollowsTheScenario) {
  auto status = [this](const std::string& scenario) {
    sim_->set_scenario(scenario);
    return fetch(sim_->wireserver(), get("/secure-channel/status")).body;
  };
  auto v1 = json::parse(status("healthy_v1"));
  EXPECT_EQ(v1["version"], "1.0");
  EXPECT_EQ(v1["secureChannelState"], "WireserverAndImds");
  EXPECT_EQ(v1["keyGuid"], kPlantedKeyGuid);
  EXPECT_FALSE(v1.contains("secureChannelEnabled"));

  auto disabled = json::parse(status("secure_channel_disabled"));
  EXPECT_EQ(disabled, json::parse(testing::read_file(std::string(LATCHWATCH_FIXTURES_DIR) +
                                                     "/gpa/status-v2-disabled.json")));

  auto latching = json::parse(status("latching_in_progress"));
  EXPECT_TRUE(latching["keyGuid"].is_null());
  EXPECT_TRUE(latching["keyIncarnationId"].is_null());
  EXPECT_EQ(latching["secureChannelEnabled"], true);

  auto reset = json::parse(status("reset_pending"));
  EXPECT_EQ(reset["keyGuid"], kResetKeyGuid);
  EXPECT_EQ(reset["keyIncarnationId"], kResetKeyIncarnationId);

  auto malformed = status("malformed_json");
  EXPECT_EQ(malformed, R"({"secureChannelEnabled": true, "keyGuid": )");
  EXPECT_TRUE(json::parse(malformed, nullptr, false).is_discarded());
}

TEST_F(FabricSimulatorTest, ScaleSetInstanceIdentity) {
  sim_->set_scenario("vmss_healthy");
  auto imds = json::parse(fetch(sim_->imds(), get(kImdsTarget, {{"Metadata", "true"}})).body);
  EXPECT_EQ(imds["compute"]["name"], kScaleSetInstanceName);
  EXPECT_EQ(imds["compute"]["vmScaleSetName"], kScaleSetName);
  EXPECT_EQ(imds["compute"]["resourceId"], kScaleSetInstanceResourceId);
}

TEST_F(FabricSimulatorTest, ProvisionReportsTheKeyLatchError) {
  sim_->set_scenario("key_lost");
  // As real GPA: finished:true to a request without x-ms-azure-time-tick; the error is the news.
  auto provision = json::parse(fetch(sim_->gpa(), get("/provision", {{"Metadata", "true"}})).body);
  EXPECT_EQ(provision["finished"], true);
  EXPECT_EQ(
      provision["errorMessage"],
      "keyLatchStatus - Failed to acquire key details: Key(KeyResponse(\"acquire\", 403))\r\n");
  sim_->set_scenario("latching_in_progress");
  provision = json::parse(fetch(sim_->gpa(), get("/provision", {{"Metadata", "true"}})).body);
  EXPECT_EQ(provision["errorMessage"], "keyLatchStatus - Key latch is running\r\n");
  // Without the Metadata header GPA answers 400 and closes.
  auto bare = fetch(sim_->gpa(), get("/provision"));
  EXPECT_EQ(bare.status, 400);
}

TEST_F(FabricSimulatorTest, Gpa1047ServesItsInMemoryStatusOnTheWireServerAddress) {
  sim_->set_scenario("key_lost@1.0.47");
  auto reply = fetch(sim_->wireserver(), get("/gpa-aggregated-status", {{"Metadata", "True"}}));
  ASSERT_EQ(reply.status, 200);
  auto doc = json::parse(reply.body);
  EXPECT_EQ(doc["proxyAgentStatus"]["version"], "1.0.47");
  EXPECT_EQ(doc["proxyAgentStatus"]["keyLatchStatus"]["message"],
            "Failed to acquire key details: Key(KeyResponse(\"acquire\", 403))");
  // Older GPA (or none redirecting): WireServer knows no such path.
  sim_->set_scenario("key_lost@1.0.30");
  EXPECT_EQ(fetch(sim_->wireserver(), get("/gpa-aggregated-status", {{"Metadata", "True"}})).status,
            404);
  sim_->set_scenario("key_lost@1.0.20");
  auto file = json::parse(testing::read_file(sim_->status_file()));
  EXPECT_EQ(file["proxyAgentStatus"]["keyLatchStatus"]["message"],
            "poll secure channel status thread started.");
  EXPECT_FALSE(file["proxyAgentStatus"]["keyLatchStatus"]["states"].contains("keyGuid"));
  sim_->set_scenario("key_lost@1.0.13");
  file = json::parse(testing::read_file(sim_->status_file()));
  EXPECT_EQ(file["proxyAgentStatus"]["keyLatchStatus"]["states"]["keyGuid"],
            "00000000-0000-0000-0000-000000000000");
  EXPECT_FALSE(file.contains("failedAuthenticateSummary"));
  EXPECT_THROW(sim_->set_scenario("key_lost@1.0.48"), std::invalid_argument);
}

TEST_F(FabricSimulatorTest, ImdsWithoutMetadataHeaderIsBadRequest) {
  auto bare = fetch(sim_->imds(), get(kImdsTarget));
  EXPECT_EQ(bare.status, 400);
  EXPECT_EQ(json::parse(bare.body)["error"], "Bad request. Required metadata header not specified");
  EXPECT_EQ(fetch(sim_->imds(), get(kImdsTarget, {{"Metadata", "false"}})).status, 400);
  // The value is compared case-insensitively, as IMDS does.
  EXPECT_EQ(fetch(sim_->imds(), get(kImdsTarget, {{"Metadata", "True"}})).status, 200);
}

TEST_F(FabricSimulatorTest, ThrottledImdsIs429) {
  sim_->set_scenario("imds_throttled");
  auto r = fetch(sim_->imds(), get(kImdsTarget, {{"Metadata", "true"}}));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.body, "Too many requests");
}

TEST_F(FabricSimulatorTest, AccessDeniedIs403EmptyBodyAndConnectionClose) {
  sim_->set_scenario("access_denied");
  auto r = fetch(sim_->imds(), get(kImdsTarget, {{"Metadata", "true"}}));
  ASSERT_EQ(r.failure, Failure::none) << r.error;
  EXPECT_EQ(r.status, 403);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(r.header("connection"), "close");
  // Only the deny says Connection: close; ordinary answers leave the connection to the client.
  EXPECT_FALSE(fetch(sim_->hostga(), get("/health")).has_header("connection"));
}

TEST_F(FabricSimulatorTest, UnauthorizedUpstreamHasAnEmptyBody) {
  sim_->set_scenario("key_lost");
  auto r = fetch(sim_->hostga(), get("/health"));
  EXPECT_EQ(r.status, 401);
  EXPECT_TRUE(r.body.empty());
  EXPECT_TRUE(r.has_header(kViaGpaHeader));
}

TEST_F(FabricSimulatorTest, UnknownPathIs404AndNonGetIs405OnEveryRole) {
  for (const auto& endpoint : {sim_->wireserver(), sim_->hostga(), sim_->imds(), sim_->gpa()}) {
    auto missing = fetch(endpoint, get("/no/such/path", {{"Metadata", "true"}}));
    EXPECT_EQ(missing.status, 404) << endpoint.to_string();
    EXPECT_FALSE(missing.header("date").empty());
    net::Request post = get("/secure-channel/key");
    post.method = net::Method::post;
    auto refused = fetch(endpoint, post);
    EXPECT_EQ(refused.status, 405) << endpoint.to_string();
    EXPECT_EQ(refused.header("allow"), "GET");
  }
}

TEST_F(FabricSimulatorTest, DateHeaderIsNowOrAnHourAheadUnderClockSkew) {
  auto date = [this] {
    return parse_time(fetch(sim_->hostga(), get("/health")).header("date"),
                      "%a, %d %b %Y %H:%M:%S GMT");
  };
  EXPECT_LT(std::abs(minutes_from_now(date()).count()), 30);
  sim_->set_scenario("clock_skew");
  auto skew = minutes_from_now(date()).count();
  EXPECT_GT(skew, 30);
  EXPECT_LT(skew, 90);
}

// ---- Network failures ------------------------------------------------------------------------

TEST_F(FabricSimulatorTest, RefusedRoleRefusesAndKeepsItsPort) {
  const auto port = sim_->imds().port;
  sim_->set_scenario("imds_refused");
  EXPECT_EQ(sim_->imds().port, port);
  auto r = fetch(sim_->imds(), get(kImdsTarget, {{"Metadata", "true"}}));
  EXPECT_EQ(r.failure, Failure::refused) << r.error;
  EXPECT_EQ(r.timings.connect_ms, -1);  // refused at connect, not accepted and reset

  sim_->set_scenario("healthy");
  EXPECT_EQ(fetch(sim_->imds(), get(kImdsTarget, {{"Metadata", "true"}})).status, 200);
  sim_->set_scenario("imds_refused");  // and back again: the port is rebound once more
  EXPECT_EQ(fetch(sim_->imds(), get(kImdsTarget)).failure, Failure::refused);
  EXPECT_EQ(sim_->imds().port, port);
}

TEST_F(FabricSimulatorTest, GpaRefusedWhenDownOrNotInstalled) {
  for (const char* scenario : {"gpa_down", "gpa_not_installed"}) {
    sim_->set_scenario(scenario);
    EXPECT_EQ(fetch(sim_->gpa(), get("/provision")).failure, Failure::refused) << scenario;
  }
}

TEST_F(FabricSimulatorTest, BlackHoledRoleAcceptsAndNeverAnswers) {
  sim_->set_scenario("wireserver_blackholed");
  for (const auto& endpoint : {sim_->wireserver(), sim_->hostga()}) {
    auto r = fetch(endpoint, get("/health"), kTimeoutBudget);
    EXPECT_EQ(r.failure, Failure::timeout) << r.error;
    EXPECT_GE(r.timings.connect_ms, 0) << "the connection was accepted";
    EXPECT_EQ(r.timings.first_byte_ms, -1);
  }
  sim_->set_scenario("healthy");
  EXPECT_EQ(fetch(sim_->hostga(), get("/health")).status, 200);
}

TEST_F(FabricSimulatorTest, OversizedBodyExceedsTheDefaultLimitButIsValidJson) {
  sim_->set_scenario("oversized_body");
  auto limited = net::exchange(sim_->wireserver(), get("/secure-channel/status"), net::Options{});
  EXPECT_EQ(limited.failure, Failure::too_large) << limited.error;

  net::Options roomy;
  roomy.body_limit = 4 * 1024 * 1024;
  auto whole = net::exchange(sim_->wireserver(), get("/secure-channel/status"), roomy);
  ASSERT_EQ(whole.failure, Failure::none) << whole.error;
  EXPECT_GE(whole.body.size(), 2u * 1024 * 1024);
  auto doc = json::parse(whole.body, nullptr, false);
  ASSERT_FALSE(doc.is_discarded());
  EXPECT_EQ(doc["keyGuid"], kPlantedKeyGuid);
}

TEST_F(FabricSimulatorTest, SlowDripTimesOutAndDoesNotStallOtherRoles) {
  sim_->set_scenario("slow_drip");
  auto r = fetch(sim_->wireserver(), get("/secure-channel/status"), kTimeoutBudget);
  EXPECT_EQ(r.failure, Failure::timeout) << r.error;
  EXPECT_GE(r.timings.connect_ms, 0);
  // The drip runs on a timer, not a blocked thread: everything else still answers.
  EXPECT_EQ(fetch(sim_->wireserver(), get("/?comp=versions")).status, 200);
  EXPECT_EQ(fetch(sim_->hostga(), get("/health")).status, 200);
}

TEST_F(FabricSimulatorTest, StoppedSimulatorRefusesEverywhere) {
  const auto endpoints = {sim_->wireserver(), sim_->hostga(), sim_->imds(), sim_->gpa(),
                          sim_->control()};
  sim_->stop();
  sim_->stop();  // idempotent
  for (const auto& endpoint : endpoints)
    EXPECT_EQ(fetch(endpoint, get("/health")).failure, Failure::refused) << endpoint.to_string();
  EXPECT_EQ(sim_->wireserver(), *endpoints.begin());
}

TEST(FabricSimulatorLifecycle, StartTwiceAndUnknownScenarioAreErrors) {
  TempDir dir;
  SimulatorOptions options;
  options.gpa_dir = dir / "vm";
  FabricSimulator sim(options);
  sim.start();
  EXPECT_THROW(sim.start(), std::logic_error);

  options.scenario = "no_such_scenario";
  FabricSimulator bad(options);
  EXPECT_THROW(bad.start(), std::invalid_argument);
}

TEST(FabricSimulatorLifecycle, ScenarioSetBeforeStartIsTheOneServed) {
  TempDir dir;
  SimulatorOptions options;
  options.gpa_dir = dir / "vm";
  FabricSimulator sim(options);
  sim.set_scenario("key_lost");
  EXPECT_FALSE(fs::exists(sim.key_dir() + "/" + kPlantedKeyGuid + ".key"));
  sim.start();
  EXPECT_EQ(sim.scenario(), "key_lost");
  EXPECT_EQ(fetch(sim.hostga(), get("/health")).status, 401);
}

TEST(FabricSimulatorLifecycle, WithoutGpaDirItUsesAFolderOfItsOwnAndRemovesIt) {
  std::string root;
  {
    FabricSimulator sim;
    sim.start();
    root = fs::path(sim.key_dir()).parent_path().string();
    EXPECT_TRUE(fs::exists(sim.key_dir() + "/" + kPlantedKeyGuid + ".key"));
  }
  EXPECT_FALSE(fs::exists(root));
}

// ---- Switching, logging, control ---------------------------------------------------------------

TEST_F(FabricSimulatorTest, SetScenarioSwitchesBehaviourAndRewritesFiles) {
  EXPECT_EQ(fetch(sim_->hostga(), get("/health")).status, 200);
  EXPECT_TRUE(fs::exists(key_file(kPlantedKeyGuid)));

  sim_->set_scenario("key_lost");
  EXPECT_EQ(fetch(sim_->hostga(), get("/health")).status, 401);
  EXPECT_FALSE(fs::exists(key_file(kPlantedKeyGuid)));
  EXPECT_EQ(status_document()["proxyAgentStatus"]["keyLatchStatus"]["message"],
            "Failed to acquire key details: Key(KeyResponse(\"acquire\", 403))");

  sim_->set_scenario("healthy");
  EXPECT_EQ(fetch(sim_->hostga(), get("/health")).status, 200);
  EXPECT_TRUE(fs::exists(key_file(kPlantedKeyGuid)));
  EXPECT_EQ(status_document()["proxyAgentStatus"]["keyLatchStatus"]["states"]["keyGuid"],
            kPlantedKeyGuid);
}

TEST_F(FabricSimulatorTest, RequestLogRecordsMethodTargetAndLowerCasedHeaders) {
  sim_->clear_requests();
  fetch(sim_->imds(), get(kImdsTarget, {{"Metadata", "true"}, {"X-Probe-Id", "Abc"}}));
  net::Request post = get("/secure-channel/key");
  post.method = net::Method::post;
  fetch(sim_->wireserver(), post);
  fetch(sim_->control(), get("/scenario"));  // control calls are not fabric traffic

  auto requests = sim_->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].role, Role::imds);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, kImdsTarget);
  EXPECT_EQ(requests[0].headers.at("metadata"), "true");
  EXPECT_EQ(requests[0].headers.at("x-probe-id"), "Abc");
  EXPECT_EQ(requests[0].headers.at("host"), sim_->imds().to_string());
  EXPECT_EQ(requests[1].role, Role::wireserver);
  EXPECT_EQ(requests[1].method, "POST");
  EXPECT_EQ(requests[1].target, "/secure-channel/key");

  sim_->clear_requests();
  EXPECT_TRUE(sim_->requests().empty());
}

TEST_F(FabricSimulatorTest, ControlEndpointSwitchesScenarioAndShowsRequests) {
  net::Request post = get("/scenario/key_lost");
  post.method = net::Method::post;
  auto switched = fetch(sim_->control(), post);
  ASSERT_EQ(switched.status, 200) << switched.body;
  EXPECT_EQ(sim_->scenario(), "key_lost");
  EXPECT_EQ(fetch(sim_->hostga(), get("/health")).status, 401);
  EXPECT_FALSE(fs::exists(key_file(kPlantedKeyGuid)));

  auto current = json::parse(fetch(sim_->control(), get("/scenario")).body);
  EXPECT_EQ(current["scenario"], "key_lost");
  EXPECT_EQ(current["scenarios"].size(), FabricSimulator::scenario_names().size());

  auto requests = json::parse(fetch(sim_->control(), get("/requests")).body);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0]["role"], "hostga");
  EXPECT_EQ(requests[0]["target"], "/health");

  post.target = "/scenario/no_such_scenario";
  EXPECT_EQ(fetch(sim_->control(), post).status, 404);
  EXPECT_EQ(sim_->scenario(), "key_lost");
  EXPECT_EQ(fetch(sim_->control(), get("/nothing")).status, 404);
}

TEST_F(FabricSimulatorTest, CheckFlagsPointAtThisSimulator) {
  const std::vector<std::string> expected{"--wireserver",
                                          sim_->wireserver().to_string(),
                                          "--hostga",
                                          sim_->hostga().to_string(),
                                          "--imds",
                                          sim_->imds().to_string(),
                                          "--gpa",
                                          sim_->gpa().to_string(),
                                          "--gpa-key-dir",
                                          sim_->key_dir(),
                                          "--gpa-status-file",
                                          sim_->status_file(),
                                          "--gpa-unit-file",
                                          sim_->unit_file(),
                                          "--gpa-binary",
                                          sim_->binary(),
                                          "--smbios-uuid-file",
                                          sim_->smbios_file(),
                                          "--uptime-file",
                                          vm_dir_ / "vm/uptime"};
  EXPECT_EQ(sim_->check_flags(), expected);
  EXPECT_EQ(sim_->key_dir(), vm_dir_ / "vm/keys");
}

// ---- GPA files ---------------------------------------------------------------------------------

struct Files {
  const char* scenario;
  std::vector<std::string> key_folder;  ///< file names; empty and !installed: no folder
  bool installed;                       ///< unit, binary, status.json
  const char* latch_message;            ///< prefix of keyLatchStatus.message
  bool states_key;                      ///< states.keyGuid present
  bool fresh;                           ///< status.json timestamp within 5 minutes
};

class FabricSimulatorFiles : public FabricSimulatorTest,
                             public ::testing::WithParamInterface<Files> {};

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST_P(FabricSimulatorFiles, MaterialisesTheScenariosDisk) {
  const Files& expected = GetParam();
  sim_->set_scenario("key_mismatch");  // from a scenario with other files, to see them removed
  sim_->set_scenario(expected.scenario);

  EXPECT_EQ(testing::read_file(sim_->smbios_file()), "D0A1B2C3-0000-4000-8000-000000000001\n");
  EXPECT_EQ(fs::exists(sim_->unit_file()), expected.installed);
  EXPECT_EQ(fs::exists(sim_->binary()), expected.installed);
  EXPECT_EQ(fs::exists(sim_->status_file()), expected.installed);
  EXPECT_EQ(fs::exists(sim_->key_dir()), expected.installed);
  if (!expected.installed) return;

  EXPECT_EQ(mode_of(sim_->key_dir()), 0700u);
  EXPECT_EQ(mode_of(sim_->status_file()), 0640u);
  auto wanted = expected.key_folder;
  std::sort(wanted.begin(), wanted.end());
  EXPECT_EQ(names_in(sim_->key_dir()), wanted);
  for (const auto& name : wanted) {
    if (name.size() < 4 || name.substr(name.size() - 4) != ".key") continue;
    EXPECT_EQ(mode_of(sim_->key_dir() + "/" + name), 0600u) << name;
    auto key = json::parse(testing::read_file(sim_->key_dir() + "/" + name));
    EXPECT_EQ(key["guid"].get<std::string>() + ".key", name);
    EXPECT_EQ(key["key"], kPlantedKeyHex);
  }

  auto doc = status_document();
  ASSERT_FALSE(doc.is_discarded());
  const auto& latch = doc["proxyAgentStatus"]["keyLatchStatus"];
  EXPECT_EQ(latch["message"].get<std::string>().rfind(expected.latch_message, 0), 0u)
      << latch["message"];
  EXPECT_EQ(latch["states"].contains("keyGuid"), expected.states_key);
  if (expected.states_key) {
    EXPECT_EQ(latch["states"]["keyGuid"], kPlantedKeyGuid);
    EXPECT_EQ(latch["states"]["keyIncarnationId"], "10");
  }
  const std::string timestamp = doc["timestamp"];
  EXPECT_EQ(timestamp.size(), 23u) << timestamp;  // YYYY-MM-DDTHH:MM:SS.mmm, no zone
  auto age = -minutes_from_now(parse_time(timestamp, "%Y-%m-%dT%H:%M:%S")).count();
  if (expected.fresh) {
    EXPECT_LT(age, 5) << timestamp;
  } else {
    EXPECT_GE(age, 5) << timestamp;
  }
  for (const auto& entry : fs::recursive_directory_iterator(vm_dir_.path()))
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
}

const std::string kG = std::string(kPlantedKeyGuid) + ".key";
const std::string kOther = std::string(kOtherVmKeyGuid) + ".key";
const std::vector<std::string> kTags{"provisioned.tag", "status.tag"};
std::vector<std::string> with_tags(const std::string& key) {
  return {key, "provisioned.tag", "status.tag"};
}

INSTANTIATE_TEST_SUITE_P(
    FabricSimulator, FabricSimulatorFiles,
    ::testing::Values(
        Files{"healthy", with_tags(kG), true, "Found key details from local and ready to use.",
              true, true},
        Files{"secure_channel_disabled",
              {"provisioned.tag"},
              true,
              "Customer has not enforce the secure channel state.",
              false,
              true},
        Files{"latching_in_progress", kTags, true, "Key latch is running", false, true},
        Files{"key_lost", kTags, true,
              "Failed to acquire key details: Key(KeyResponse(\"acquire\", 403))", false, true},
        Files{"key_mismatch", with_tags(kOther), true, "Failed to acquire key details", false,
              true},
        Files{"key_suspect_mismatch", with_tags(kG), true, "Found key details", true, true},
        Files{"key_loss_latent", kTags, true, "Found key details", true, true},
        Files{"reset_pending", with_tags(kG), true, "Found key details", true, true},
        Files{"gpa_down", with_tags(kG), true, "Found key details", true, false},
        Files{"gpa_not_installed", {}, false, "", false, false},
        Files{"key_store_unwritable",
              {"provisioned.tag"},
              true,
              "Failed to save key details to file",
              false,
              true}),
    [](const auto& info) { return std::string(info.param.scenario); });

TEST_F(FabricSimulatorTest, StatusFileCarriesTheScenariosEvidence) {
  auto summary_count = [this](const std::string& response_status) {
    const auto doc = status_document();  // a named copy: a temporary's member would dangle
    for (const auto& entry : doc["proxyConnectionSummary"])
      if (entry["responseStatus"] == response_status) return entry["count"].get<int>();
    return 0;
  };
  EXPECT_EQ(summary_count("401 Unauthorized"), 0);
  EXPECT_EQ(status_document()["proxyAgentStatus"]["keyLatchStatus"]["states"]["secureChannelState"],
            "WireServer Enforce -  IMDS Enforce - HostGA Enforce");
  sim_->set_scenario("key_lost");
  EXPECT_EQ(summary_count("401 Unauthorized"), 3);
  sim_->set_scenario("key_suspect_mismatch");
  EXPECT_EQ(summary_count("401 Unauthorized"), 5);
  sim_->set_scenario("secure_channel_disabled");
  EXPECT_EQ(status_document()["proxyAgentStatus"]["keyLatchStatus"]["states"]["secureChannelState"],
            "WireServer Disabled - IMDS Disabled - HostGA Disabled");
  sim_->set_scenario("redirect_failure");
  auto ebpf = status_document()["proxyAgentStatus"]["ebpfProgramStatus"];
  EXPECT_EQ(ebpf["status"], "STOPPED");
  EXPECT_EQ(ebpf["message"], "Failed to start redirector: cgroup2 not mounted");
}

// ---- The standalone binary ---------------------------------------------------------------------

TEST(FabricSimulatorBinary, ListsScenariosAndRejectsBadArguments) {
  auto list = testing::run_process({LATCHWATCH_SIM_BINARY, "--list"});
  EXPECT_EQ(list.exit_code, 0);
  std::string expected;
  for (const auto& name : FabricSimulator::scenario_names()) expected += name + "\n";
  EXPECT_EQ(list.out, expected);

  for (const auto& args : std::vector<std::vector<std::string>>{{"--scenario", "no_such_scenario"},
                                                                {"--drip-ms", "soon"},
                                                                {"--bogus", "1"},
                                                                {"--gpa-version", "1.0.48"},
                                                                {"--gpa-version", "2"},
                                                                {"--scenario", "healthy@1.0.12"},
                                                                {"--scenario"}}) {
    std::vector<std::string> argv{LATCHWATCH_SIM_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    auto result = testing::run_process(argv);
    EXPECT_EQ(result.exit_code, 2) << args[0];
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
    EXPECT_NE(result.err.find(args[0]), std::string::npos) << result.err;
  }
}

/// Reads one line from `fd`, waiting for it for at most `limit` (the child's start-up).
std::string read_line(int fd, std::chrono::milliseconds limit) {
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  char c = 0;
  while (line.empty() || line.back() != '\n') {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd pfd{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
    if (::read(fd, &c, 1) != 1) break;
    line += c;
  }
  return line;
}

TEST(FabricSimulatorBinary, ServesUntilSigtermThenExitsZeroWithARequestLog) {
  TempDir dir;
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  std::vector<std::string> args{LATCHWATCH_SIM_BINARY, "--scenario",    "key_lost",
                                "--gpa-dir",           dir / "vm",      "--ports-file",
                                dir / "ports.json",    "--request-log", dir / "requests.jsonl"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);

  // The stdout line is printed after the ports file is in place: no polling for the file.
  auto printed = json::parse(read_line(out[0], std::chrono::seconds(30)), nullptr, false);
  ::close(out[0]);
  bool started = !printed.is_discarded();
  if (started) {
    EXPECT_EQ(json::parse(testing::read_file(dir / "ports.json")), printed);
    EXPECT_EQ(printed["key_dir"], dir / "vm/keys");
    EXPECT_EQ(printed["check_flags"][0], "--wireserver");
    net::Endpoint hostga;
    std::string error;
    ASSERT_TRUE(net::parse_endpoint(printed["hostga"], hostga, error)) << error;
    EXPECT_EQ(fetch(hostga, get("/health")).status, 401);
  }
  ::kill(pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(started) << "no ports line on stdout";
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  auto line = json::parse(testing::read_file(dir / "requests.jsonl"));
  EXPECT_EQ(line["role"], "hostga");
  EXPECT_EQ(line["method"], "GET");
  EXPECT_EQ(line["target"], "/health");
  EXPECT_TRUE(line["headers"].contains("host"));
}

}  // namespace
}  // namespace latchwatch::sim
