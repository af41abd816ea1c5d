// Issue 22, the real binary against the fabric simulator: the /health answer across verdict
// transitions; the CloudEvents webhook parsed and validated by the official `cloudevents` SDK;
// the blob drop box against Azurite (stopped and restarted mid-incident), then `plan resets`
// over the downloaded container; a credential planted in every URL never shows in any output.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "probes/net/http_exchange.h"
#include "reporting/sinks/hmac_sha256.h"
#include "tests/fabric_sim/fabric_simulator.h"
#include "tests/support/capture_server.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/daemon_state.h"
#include "tests/support/raw_server.h"
#include "tests/support/test_support.h"

namespace latchwatch {
namespace {

using namespace std::chrono_literals;
using testing::BackgroundProcess;
using testing::CaptureServer;
using testing::TempDir;
using testing::wait_for;

const std::string kNodeDir = std::string(LATCHWATCH_SOURCE_DIR) + "/tests/support/node";

/// `npm ci` once, offline when the cache has the packages; false when node tools cannot be had.
bool node_tools_ready() {
  static const bool ready = [] {
    if (std::filesystem::exists(kNodeDir + "/node_modules/.package-lock.json")) return true;
    auto r = testing::run_process({"/bin/sh", "-c",
                                   "cd '" + kNodeDir +
                                       "' && (npm ci --offline --no-audit --no-fund || "
                                       "npm ci --prefer-offline --no-audit --no-fund)"});
    return r.exit_code == 0;
  }();
  return ready;
}

net::Response get(std::uint16_t port, const std::string& target, bool head = false) {
  net::Request request;
  request.target = target;
  (void)head;
  net::Options options;
  options.budget = 2s;
  return net::exchange({"127.0.0.1", port}, request, options);
}

/// A root-only file (the secret-file rules), as an owner would make one.
void write_secret(const std::string& path, const std::string& content) {
  testing::write_file(path, content + "\n");
  ::chmod(path.c_str(), 0600);
}

class AzureChannels : public testing::DaemonFixture {};

TEST_F(AzureChannels, HealthAnswers503OnlyWhileAKeyVerdictIsConfirmed) {
  auto config = base_config();
  config["sinks"]["metrics"]["health"] = {{"enabled", true}};
  auto daemon = start(config);
  ASSERT_TRUE(wait_for([&] { return get(metrics_port(), "/health").status == 200; }, 30s))
      << daemon->err();
  ASSERT_TRUE(wait_for([&] { return testing::read_history(state_dir_).size() >= 1; }, 30s));
  EXPECT_EQ(get(metrics_port(), "/health").status, 200);
  EXPECT_NE(get(metrics_port(), "/health").body.find("\"verdict\":\"healthy\""), std::string::npos);

  sim_->set_scenario("key_lost");
  // Pending (one cycle of key_lost) is not yet an owner action; confirmed is.
  ASSERT_TRUE(wait_for([&] { return get(metrics_port(), "/health").status == 503; }, 30s))
      << daemon->err();
  // The report-file sink writes the history on its own worker, after /health changed.
  EXPECT_TRUE(wait_for([&] { return saw("fired", "key_lost"); }, 30s))
      << "503 without a confirmed verdict";
  auto body = nlohmann::json::parse(get(metrics_port(), "/health").body);
  EXPECT_EQ(body["verdict"], "key_lost");
  EXPECT_TRUE(body["action"].is_string() &&
              body["action"].get<std::string>().find("keyIncarnationId") != std::string::npos);
  EXPECT_TRUE(body.contains("resource"));
  EXPECT_EQ(get(metrics_port(), "/metrics").status, 200) << "metrics stay served";

  sim_->set_scenario("healthy");
  ASSERT_TRUE(wait_for([&] { return get(metrics_port(), "/health").status == 200; }, 30s));
  EXPECT_TRUE(wait_for([&] { return saw("resolved", "healthy"); }, 30s));

  // Off again by a reload: /health is gone, /metrics stays.
  config["sinks"]["metrics"]["health"]["enabled"] = false;
  testing::write_file(dir_ / "config.json", config.dump(2));
  daemon->signal(SIGHUP);
  EXPECT_TRUE(wait_for([&] { return get(metrics_port(), "/health").status == 404; }, 30s));
  EXPECT_EQ(get(metrics_port(), "/metrics").status, 200);
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait_exit(10s), 0);
}

TEST_F(AzureChannels, HealthVerdictsAreConfigurableAndLatentIsNotCountedByDefault) {
  auto config = base_config();
  config["sinks"]["metrics"]["health"] = {{"enabled", true}, {"verdicts", "key_lost, nope"}};
  testing::write_file(dir_ / "config.json", config.dump(2));
  auto bad = testing::run_latchwatch({"config", "validate", dir_ / "config.json"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE((bad.out + bad.err).find("'nope' is not one"), std::string::npos) << bad.out << bad.err;
  config["sinks"]["metrics"]["health"].erase("verdicts");
  testing::write_file(dir_ / "config.json", config.dump(2));
  auto shown = testing::run_latchwatch({"config", "show", "--config", dir_ / "config.json"});
  EXPECT_NE(shown.out.find("key_lost,key_mismatch,key_suspect_mismatch"), std::string::npos)
      << shown.out;
}

TEST_F(AzureChannels, CloudEventsAreWhatTheOfficialSdkParsesAndValidates) {
  if (!node_tools_ready())
    GTEST_FAIL() << "node tools not installed: npm ci in " << kNodeDir
                 << " failed (make test-deps installs them)";
  CaptureServer topic;
  write_secret(dir_ / "aeg.key", "PLANTED-aeg-key-0123456789");
  auto config = base_config();
  config["sinks"]["webhook"] = {
      {"enabled", true},
      {"url", "http://127.0.0.1:" + std::to_string(topic.port()) + "/api/events"},
      {"format", "cloudevents"},
      {"secret", "hmac-secret"},
      {"event_grid_key_file", dir_ / "aeg.key"}};
  auto daemon = start(config);
  sim_->set_scenario("key_lost");
  ASSERT_TRUE(wait_for([&] { return !topic.captured().empty(); }, 30s)) << daemon->err();
  sim_->set_scenario("healthy");
  ASSERT_TRUE(wait_for([&] { return topic.captured().size() >= 2; }, 30s)) << daemon->err();
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait_exit(10s), 0);

  const char* types[] = {"com.latchwatch.verdict.fired", "com.latchwatch.verdict.resolved"};
  const char* subjects[] = {"key_lost", "healthy"};
  auto all = topic.captured();
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& request = all[i];
    EXPECT_EQ(request.headers.at("content-type"), "application/cloudevents+json; charset=utf-8");
    EXPECT_EQ(request.headers.at("aeg-sas-key"), "PLANTED-aeg-key-0123456789");
    EXPECT_EQ(request.headers.at("x-latchwatch-signature"),
              "sha256=" + reporting::hmac_sha256_hex("hmac-secret", request.body));
    nlohmann::json headers = request.headers;
    testing::write_file(dir_ / "headers.json", headers.dump());
    testing::write_file(dir_ / "body.json", request.body);
    auto parsed = testing::run_process({"/usr/bin/node", kNodeDir + "/parse_cloudevent.js",
                                        dir_ / "headers.json", dir_ / "body.json"});
    ASSERT_EQ(parsed.exit_code, 0) << parsed.err << "\n" << request.body;
    auto event = nlohmann::json::parse(parsed.out);
    EXPECT_EQ(event["specversion"], "1.0");
    EXPECT_EQ(event["id"], request.headers.at("x-latchwatch-delivery"));
    EXPECT_EQ(event["type"], types[i]);
    EXPECT_EQ(event["subject"], subjects[i]);
    EXPECT_EQ(event["datacontenttype"], "application/json");
    EXPECT_FALSE(event.contains("dataschema"));
    const auto source = event["source"].get<std::string>();
    EXPECT_TRUE(source.rfind("/subscriptions/", 0) == 0 || source.rfind("latchwatch://", 0) == 0)
        << source;
    EXPECT_EQ(event["data"]["transition"], i == 0 ? "fired" : "resolved");
    EXPECT_EQ(event["data"]["debounce"]["confirmed"], subjects[i]);
    if (i == 1) {
      EXPECT_FALSE(event["data"].contains("reset_ticket"));  // nothing to reset once resolved
      continue;
    }
    // The reset ticket (issue 23) rides in `data`, with the event's id as its delivery id, and
    // is what the published schema says (checked by python3-jsonschema, not by us).
    ASSERT_TRUE(event["data"].contains("reset_ticket")) << request.body;
    EXPECT_EQ(event["data"]["reset_ticket"]["delivery_id"], event["id"]);
    testing::write_file(dir_ / "ticket.json", event["data"]["reset_ticket"].dump());
    auto valid = testing::run_process(
        {"/usr/bin/python3", "-c",
         "import json,sys; from jsonschema import Draft202012Validator as V; "
         "V(json.load(open(sys.argv[1]))).validate(json.load(open(sys.argv[2])))",
         std::string(LATCHWATCH_SOURCE_DIR) + "/docs/formats/reset-ticket.schema.json",
         dir_ / "ticket.json"});
    EXPECT_EQ(valid.exit_code, 0) << valid.err;
  }
  EXPECT_TRUE(testing::files_containing(state_dir_, "PLANTED-aeg-key").empty());
}

/// Azurite's blob service on 127.0.0.1, data in `location`; stopped by the destructor.
class Azurite {
 public:
  Azurite(const std::string& location, std::uint16_t port, const std::string& log_dir, int n)
      : port_(port) {
    process_ = std::make_unique<BackgroundProcess>(
        std::vector<std::string>{"/usr/bin/node",
                                 kNodeDir + "/node_modules/azurite/dist/src/blob/main.js",
                                 "--blobHost", "127.0.0.1", "--blobPort", std::to_string(port),
                                 "--location", location, "--silent", "--skipApiVersionCheck"},
        log_dir, "azurite" + std::to_string(n));
  }
  bool ready() {
    return wait_for([&] { return get(port_, "/devstoreaccount1?comp=list").status != 0; }, 30s);
  }
  void stop() {
    process_->signal(SIGTERM);
    if (!process_->wait_exit(10s)) process_->signal(SIGKILL);
    process_->wait_exit(5s);
  }
  std::string err() const { return process_->err(); }

 private:
  std::uint16_t port_;
  std::unique_ptr<BackgroundProcess> process_;
};

TEST_F(AzureChannels, BlobDropBoxSurvivesAzuriteRestartWithoutLossOrDuplicatesThenPlansResets) {
  if (!node_tools_ready())
    GTEST_FAIL() << "node tools not installed: npm ci in " << kNodeDir
                 << " failed (make test-deps installs them)";
  const auto port = testing::free_port();
  const std::string location = dir_ / "azurite";
  std::filesystem::create_directories(location);
  auto azurite = std::make_unique<Azurite>(location, port, dir_.path(), 1);
  ASSERT_TRUE(azurite->ready()) << azurite->err();
  auto sas = testing::run_process(
      {"/usr/bin/node", kNodeDir + "/blob_tool.js", "sas", std::to_string(port), "reports"});
  ASSERT_EQ(sas.exit_code, 0) << sas.err;
  write_secret(dir_ / "sas.url", sas.out.substr(0, sas.out.find('\n')));

  auto config = base_config();
  config["sinks"]["blob"] = {{"enabled", true}, {"url_file", dir_ / "sas.url"}};
  auto daemon = start(config);
  auto download = [&](const std::string& into) {
    auto r = testing::run_process({"/usr/bin/node", kNodeDir + "/blob_tool.js", "download",
                                   std::to_string(port), "reports", into});
    return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json::array();
  };
  auto reports_in = [&](const nlohmann::json& names) {
    std::vector<std::string> out;
    for (const auto& n : names)
      if (n.get<std::string>().rfind("reports/", 0) == 0) out.push_back(n);
    return out;
  };
  sim_->set_scenario("key_lost");
  ASSERT_TRUE(wait_for([&] { return reports_in(download(dir_ / "dl0")).size() >= 1; }, 30s))
      << daemon->err();

  // Mid-incident: the store goes away; the next transitions are kept in the spool.
  azurite->stop();
  sim_->set_scenario("healthy");
  ASSERT_TRUE(wait_for([&] { return saw("resolved", "healthy"); }, 30s));
  sim_->set_scenario("key_lost");
  ASSERT_TRUE(wait_for(
      [&] {
        std::size_t fired = 0;
        for (const auto& doc : testing::read_history(state_dir_))
          if (doc["transition"] == "fired") ++fired;
        return fired >= 2;
      },
      30s));
  EXPECT_GE(testing::read_report(state_dir_)["sinks"]["blob"]["extra"].value("spool_entries", 0), 1)
      << testing::read_report(state_dir_)["sinks"].dump();
  EXPECT_EQ(testing::read_report(state_dir_)["sinks"]["blob"].value("up", true), false);

  azurite = std::make_unique<Azurite>(location, port, dir_.path(), 2);
  ASSERT_TRUE(azurite->ready()) << azurite->err();
  ASSERT_TRUE(wait_for([&] { return reports_in(download(dir_ / "dl1")).size() >= 3; }, 60s))
      << daemon->err();
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait_exit(10s), 0);

  // Nothing lost: every transition in history is one blob; no two blobs carry one delivery.
  auto names = download(dir_ / "container");
  auto reports = reports_in(names);
  std::size_t transitions = 0;
  for (const auto& doc : testing::read_history(state_dir_))
    if (doc["transition"] != "unchanged") ++transitions;
  EXPECT_EQ(reports.size(), transitions);
  std::set<std::string> deliveries, cycles;
  for (const auto& name : reports) {
    auto base = name.substr(name.rfind('/') + 1);
    deliveries.insert(base.substr(base.rfind('_') + 1));
    cycles.insert(base.substr(0, base.rfind('_')));
  }
  EXPECT_EQ(deliveries.size(), reports.size());
  EXPECT_EQ(cycles.size(), reports.size()) << "one blob per transition";
  EXPECT_TRUE(std::is_sorted(reports.begin(), reports.end()));
  bool latest = false;
  for (const auto& n : names)
    if (n.get<std::string>().rfind("latest/", 0) == 0) latest = true;
  EXPECT_TRUE(latest);

  // The downloaded container as is: plan resets over the folder tree.
  auto plan = testing::run_latchwatch({"plan", "resets", "--json", dir_ / "container"});
  EXPECT_NE(plan.out.find("key_lost"), std::string::npos) << plan.out << plan.err;
  EXPECT_EQ(plan.err.find("error"), std::string::npos) << plan.err;
}

TEST_F(AzureChannels, ACredentialPlantedInEveryUrlNeverShowsInAnyOutput) {
  const std::string closed = std::to_string(testing::free_port());
  CaptureServer refusing(500);
  const std::vector<std::string> planted = {"PLANTEDsigWEBHOOK1", "PLANTEDtokAM2",
                                            "PLANTEDsasBLOB3", "PLANTEDuserinfo4"};
  write_secret(dir_ / "webhook.url",
               "http://127.0.0.1:" + std::to_string(refusing.port()) +
                   "/workflows/x/triggers/manual/paths/invoke?api-version=1&sig=" + planted[0]);
  write_secret(dir_ / "blob.url", "http://127.0.0.1:" + closed +
                                      "/devstoreaccount1/reports?sv=2021-12-02&sig=" + planted[2]);
  auto config = base_config();
  config["sinks"]["webhook"] = {
      {"enabled", true}, {"url_file", dir_ / "webhook.url"}, {"secret", "hmac-secret"}};
  // Alertmanager's URL takes no query (issue 26: refused, below); its credential is the token.
  config["sinks"]["alertmanager"] = {
      {"enabled", true}, {"url", "http://127.0.0.1:" + closed}, {"bearer_token", planted[1]}};
  config["sinks"]["blob"] = {{"enabled", true}, {"url_file", dir_ / "blob.url"}};
  testing::write_file(dir_ / "config.json", config.dump(2));

  std::string outputs;
  auto show = testing::run_latchwatch({"config", "show", "--config", dir_ / "config.json"});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  outputs += show.out + show.err;
  auto validate = testing::run_latchwatch({"config", "validate", dir_ / "config.json"});
  outputs += validate.out + validate.err;
  // A SaaS name gets the drop-in advice, not a request for addresses.
  auto saas = config;
  saas["sinks"]["webhook"] = {
      {"enabled", true},
      {"secret", "hmac-secret"},
      {"url", "https://prod-00.westeurope.logic.azure.com/workflows/x?sig=" + planted[0]}};
  testing::write_file(dir_ / "saas.json", saas.dump(2));
  auto saas_validate = testing::run_latchwatch({"config", "validate", dir_ / "saas.json"});
  outputs += saas_validate.out + saas_validate.err;
  EXPECT_NE((saas_validate.out + saas_validate.err).find("IPAddressAllow=any"), std::string::npos)
      << saas_validate.out << saas_validate.err;
  // Bad URLs: the errors name the key, never the credential.
  for (const std::string& bad :
       {"ftp://127.0.0.1/?sig=" + planted[0], "http://user:" + planted[3] + "@127.0.0.1/hook",
        "http://127.0.0.1:99999?sig=" + planted[0]}) {
    auto broken = config;
    broken["sinks"]["webhook"] = {{"enabled", true}, {"url", bad}, {"secret", "hmac-secret"}};
    testing::write_file(dir_ / "broken.json", broken.dump(2));
    auto r = testing::run_latchwatch({"config", "show", "--config", dir_ / "broken.json"});
    EXPECT_NE(r.exit_code, 0) << bad;
    outputs += r.out + r.err;
  }
  {
    auto broken = config;
    broken["sinks"]["alertmanager"]["url"] = "http://127.0.0.1:1/?token=" + planted[1];
    testing::write_file(dir_ / "broken.json", broken.dump(2));
    auto r = testing::run_latchwatch({"config", "show", "--config", dir_ / "broken.json"});
    EXPECT_NE(r.exit_code, 0) << "a query in the Alertmanager URL is refused";
    outputs += r.out + r.err;
  }

  auto daemon = start(config);
  sim_->set_scenario("key_lost");
  ASSERT_TRUE(wait_for([&] { return saw("fired", "key_lost"); }, 30s)) << daemon->err();
  ASSERT_TRUE(wait_for(
      [&] {
        auto sinks = testing::read_report(state_dir_)["sinks"];
        return sinks["webhook"].value("failures", 0) > 0 &&
               sinks["blob"].value("failures", 0) > 0 &&
               sinks["alertmanager"].value("failures", 0) > 0;
      },
      30s))
      << testing::read_report(state_dir_).dump();
  outputs += get(metrics_port(), "/metrics").body;
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait_exit(10s), 0);
  outputs += daemon->out() + daemon->err();
  EXPECT_FALSE(refusing.captured().empty()) << "the webhook was really tried";
  for (const auto& secret : planted) {
    EXPECT_EQ(outputs.find(secret), std::string::npos) << secret << " in:\n" << outputs;
    EXPECT_TRUE(testing::files_containing(state_dir_, secret).empty()) << secret;
  }
}

}  // namespace
}  // namespace latchwatch
