// The loop from outside, end to end: the real daemon against the fabric simulator writes its
// serial lines during a key-loss incident; embedded in a boot log as `az vm boot-diagnostics
// get-boot-log` prints it (kernel, systemd, cloud-init, waagent, CR LF, ANSI), `plan resets`
// reads them back into the same plan as the JSON report of the same cycle. A Resource Graph
// export names a machine known only by its SMBIOS UUID; the HTML page renders in a real
// headless Chromium and shows the rows, hostile values as text.

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <functional>

#include <fstream>
#include <nlohmann/json.hpp>

#include "reporting/report/serial_line.h"
#include "tests/fabric_sim/fabric_simulator.h"
#include "tests/support/daemon_state.h"
#include "tests/support/test_support.h"

namespace latchwatch {
namespace {

using namespace std::chrono_literals;
using testing::BackgroundProcess;
using testing::run_latchwatch;
using testing::TempDir;
using testing::wait_for;
using testing::write_file;

std::string fixture(const std::string& name) {
  return std::string(LATCHWATCH_FIXTURES_DIR) + "/" + name;
}

/// The plan without the fields that name input files (they differ by construction), and with a
/// cached identity's age to the second (the serial line carries whole seconds).
nlohmann::json without_origins(nlohmann::json doc) {
  if (doc.is_object()) {
    doc.erase("report");
    if (doc.contains("identity_age_seconds") && doc["identity_age_seconds"].is_number())
      doc["identity_age_seconds"] =
          static_cast<std::int64_t>(doc["identity_age_seconds"].get<double>());
    for (auto& [key, value] : doc.items()) value = without_origins(value);
  } else if (doc.is_array()) {
    for (auto& value : doc) value = without_origins(value);
  }
  return doc;
}

/// A realistic serial log: the boot noise, then the daemon's lines with console output around
/// and between them, CR LF throughout (the tty's ONLCR turns the sink's CR LF into CR CR LF).
std::string boot_log_around(const std::string& serial) {
  std::string log = testing::read_file(fixture("bootlog/ubuntu-2204-azure-boot.log"));
  log += "\r\n[  512.000114] hv_balloon: Max. dynamic memory size: 8192 MB\r\n";
  std::size_t start = 0;
  int n = 0;
  while (start < serial.size()) {
    std::size_t end = serial.find('\n', start);
    if (end == std::string::npos) end = serial.size();
    std::string line = serial.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    log += line + "\r\r\n";
    if (n++ % 2 == 0)
      log +=
          "\x1b[0;32m  OK  \x1b[0m] Finished \x1b[0;1;39mapt-daily.service\x1b[0m - Daily apt "
          "download activities.\r\n"
          "2026-12-01T14:10:11.402211Z INFO ExtHandler ExtHandler Downloading agent manifest\r\n";
  }
  return log +
         "[ 9999.204411] cloud-init[3120]: Cloud-init v. 24.1.3 finished at Tue, 01 Dec 2026\r\n";
}

class SerialLoop : public ::testing::Test {
 protected:
  void SetUp() override {
    sim::SimulatorOptions options;
    options.gpa_dir = dir_ / "vm";
    sim_ = std::make_unique<sim::FabricSimulator>(options);
    sim_->start();
  }

  std::unique_ptr<BackgroundProcess> start_daemon() {
    nlohmann::json config = {
        {"daemon", {{"interval_s", 1}, {"jitter_s", 0}, {"debounce_cycles", 2}}},
        {"probes", {{"timeout_ms", 1000}}},
        {"paths", {{"state_dir", state_dir_}}},
        {"sinks",
         {{"metrics", {{"enabled", false}}},
          // The console as a file the test reads; on Azure this is /dev/ttyS0, on by default.
          {"serial", {{"device", serial_}}}}}};
    write_file(dir_ / "config.json", config.dump(2));
    write_file(serial_, "");
    std::vector<std::string> argv{LATCHWATCH_BINARY, "run", "--config", dir_ / "config.json"};
    for (auto& flag : sim_->check_flags()) argv.push_back(flag);
    return std::make_unique<BackgroundProcess>(argv, dir_.path(), "daemon");
  }

  TempDir dir_;
  std::string state_dir_ = dir_ / "state";
  std::string serial_ = dir_ / "ttyS0";
  std::unique_ptr<sim::FabricSimulator> sim_;
};

TEST_F(SerialLoop, DaemonSerialLinesInABootLogPlanLikeTheJsonReport) {
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_for([&] { return !testing::read_history(state_dir_).empty(); }, 15s))
      << daemon->err();
  EXPECT_NE(daemon->err().find("serial sink on: " + serial_), std::string::npos) << daemon->err();
  sim_->set_scenario("key_lost");
  auto fired = [&]() -> std::optional<nlohmann::json> {
    for (const auto& doc : testing::read_history(state_dir_))
      if (doc["transition"] == "fired") return doc;
    return std::nullopt;
  };
  ASSERT_TRUE(wait_for([&] { return fired().has_value(); }, 20s)) << daemon->err();
  daemon->signal(SIGTERM);
  ASSERT_EQ(daemon->wait_exit(10s), 0) << daemon->err();

  std::string serial = testing::read_file(serial_);
  ASSERT_FALSE(serial.empty()) << "the key loss reached the console";
  for (char c : serial) EXPECT_TRUE(c == '\r' || c == '\n' || (c >= 0x20 && c < 0x7f));
  std::size_t first_end = serial.find("\r\n");
  ASSERT_NE(first_end, std::string::npos);
  EXPECT_LE(first_end, reporting::kSerialLineMax);
  EXPECT_EQ(
      serial.rfind("latchwatch: v1 fired key_lost " + (*fired())["generated_at"].get<std::string>(),
                   0),
      0u)
      << serial;
  EXPECT_EQ(serial.find(sim::kPlantedKeyHex), std::string::npos) << "no key material";
  EXPECT_EQ(serial.find(sim::kPlantedKeyGuid), std::string::npos);

  // The JSON report of the same cycle, and the boot log holding the daemon's own lines.
  // The serial line (v1) has no field for the cloud; the JSON report names it (from the identity
  // cache here: IMDS is cut off). The plans are compared with the report's cloud left out.
  nlohmann::json report = *fired();
  EXPECT_EQ(report["remedy"]["cloud"], "AzurePublicCloud");
  std::function<void(nlohmann::json&)> drop_cloud = [&](nlohmann::json& j) {
    if (j.is_object()) j.erase("cloud");
    if (j.is_structured())
      for (auto& child : j) drop_cloud(child);
  };
  drop_cloud(report);
  write_file(dir_ / "fired.json", report.dump());
  write_file(dir_ / "vm-latch-01.log", boot_log_around(serial));
  auto from_json = run_latchwatch({"plan", "resets", "--json", dir_ / "fired.json"});
  auto from_log =
      run_latchwatch({"plan", "resets", "--json", "--boot-logs", dir_ / "vm-latch-01.log"});
  ASSERT_EQ(from_json.exit_code, 0) << from_json.err << from_json.out;
  ASSERT_EQ(from_log.exit_code, 0) << from_log.err << from_log.out;
  auto json_plan = nlohmann::json::parse(from_json.out);
  auto log_plan = nlohmann::json::parse(from_log.out);
  ASSERT_EQ(json_plan["vms"].size(), 1u) << json_plan.dump(2);
  EXPECT_EQ(json_plan["vms"][0]["resource_id"], sim::kResourceId);
  EXPECT_EQ(json_plan["vms"][0]["remedy"]["next_incarnation"], 11);
  EXPECT_EQ(without_origins(log_plan), without_origins(json_plan))
      << "from the log:\n"
      << log_plan.dump(2) << "\nfrom the report:\n"
      << json_plan.dump(2);
  EXPECT_NE(log_plan["vms"][0]["report"].get<std::string>().find("vm-latch-01.log:"),
            std::string::npos);
}

TEST_F(SerialLoop, AResourceGraphExportNamesAMachineKnownOnlyByItsSmbiosUuid) {
  // vm-batch-07 (Gen1) lost its key with IMDS unreachable and no cache: its line names only the
  // hardware. The export maps it, and its keyIncarnationId 11 makes the next value exact.
  std::string body =
      "latchwatch: v1 fired key_lost 2026-12-01T10:00:00.000Z inc=?>? vm=- "
      "hw=109a7e3f-b2c4-584d-a6e1-92b0d7c5f834";
  char crc[9];
  std::snprintf(crc, sizeof crc, "%08x", reporting::crc32_ieee(body));
  write_file(dir_ / "vm-batch-07.log",
             testing::read_file(fixture("bootlog/ubuntu-2204-azure-boot.log")) + "\r\n" + body +
                 " crc=" + crc + "\r\n");

  auto without =
      run_latchwatch({"plan", "resets", "--json", "--boot-logs", dir_ / "vm-batch-07.log"});
  EXPECT_EQ(without.exit_code, 1) << "unidentified: needs a person";
  EXPECT_EQ(nlohmann::json::parse(without.out)["unidentified"].size(), 1u);

  auto with = run_latchwatch({"plan", "resets", "--json", "--boot-logs", dir_ / "vm-batch-07.log",
                              "--resource-graph", fixture("resource_graph/graph-vms.json")});
  ASSERT_EQ(with.exit_code, 0) << with.err << with.out;
  auto plan = nlohmann::json::parse(with.out);
  ASSERT_EQ(plan["vms"].size(), 1u) << plan.dump(2);
  EXPECT_EQ(plan["vms"][0]["resource_id"],
            "/subscriptions/6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f/resourceGroups/rg-batch/providers/"
            "Microsoft.Compute/virtualMachines/vm-batch-07");
  EXPECT_EQ(plan["vms"][0]["remedy"]["next_incarnation"], 12);
  EXPECT_EQ(plan["resource_graph"]["identified"], 1);
  EXPECT_TRUE(plan["unidentified"].empty());

  // The older az shape gives the same plan.
  auto old = run_latchwatch({"plan", "resets", "--json", "--boot-logs", dir_ / "vm-batch-07.log",
                             "--resource-graph", fixture("resource_graph/graph-vms-old-az.json")});
  ASSERT_EQ(old.exit_code, 0) << old.err;
  EXPECT_EQ(nlohmann::json::parse(old.out)["vms"], plan["vms"]);
}

std::string report_json(const std::string& code, const std::string& resource_id,
                        std::int64_t incarnation,
                        const std::string& generated_at = "2026-12-01T10:00:00Z") {
  nlohmann::json doc = {{"schema_version", 1},
                        {"generated_at", generated_at},
                        {"verdict", {{"code", code}}},
                        {"identity", {{"source", "imds"}, {"resource_id", resource_id}}}};
  if (code != "healthy") doc["remedy"] = {{"current_incarnation", incarnation}};
  return doc.dump();
}

TEST_F(SerialLoop, TheHtmlPageRendersInHeadlessChromiumWithRowsAndHostileValuesAsText) {
  if (::access("/usr/bin/chromium", X_OK) != 0)
    GTEST_FAIL() << "chromium missing: packaging/install-deps.sh test installs it";
  const std::string sub = "/subscriptions/6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f/resourceGroups/";
  ::mkdir((dir_ / "reports").c_str(), 0755);
  write_file(dir_ / "reports/a.json",
             report_json("key_lost",
                         sub + "rg-web/providers/Microsoft.Compute/virtualMachines/vm-web-01", 6));
  write_file(dir_ / "reports/b.json",
             report_json("key_mismatch",
                         sub + "rg-pool/providers/Microsoft.Compute/virtualMachineScaleSets/pool-a/"
                               "virtualMachines/3",
                         2));
  write_file(
      dir_ / "reports/c.json",
      report_json("healthy",
                  sub + "rg-batch/providers/Microsoft.Compute/virtualMachines/vm-batch-08", 0));
  // Hostile: a file name and a verdict that are markup; both end up in the page as text.
  write_file(dir_ / "reports/<img src=x onerror=alert(1)>.json", "{\"verdict\": 1}");
  write_file(dir_ / "reports/d.json",
             report_json("<script>alert(2)</script>",
                         sub + "rg/providers/Microsoft.Compute/virtualMachines/x", 1));

  std::string page = dir_ / "plan.html";
  auto result = run_latchwatch({"plan", "resets", "--html", page, "--resource-graph",
                                fixture("resource_graph/graph-vms.json"), dir_ / "reports"});
  ASSERT_EQ(result.exit_code, 1) << "input errors need a person\n" << result.err << result.out;
  std::string html = testing::read_file(page);
  EXPECT_EQ(html.find("http://"), std::string::npos) << "self-contained: no external asset";
  EXPECT_EQ(html.find("https://fonts"), std::string::npos);

  std::string profile = dir_ / "chromium-profile";
  ::mkdir(profile.c_str(), 0700);
  auto chromium =
      testing::run_process({"/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                            "--disable-dev-shm-usage", "--disable-background-networking",
                            "--disable-component-update", "--disable-sync", "--no-first-run",
                            "--user-data-dir=" + profile, "--dump-dom", "file://" + page},
                           {"HOME=" + std::string(dir_.path())});
  ASSERT_EQ(chromium.exit_code, 0) << chromium.err;
  const std::string& dom = chromium.out;
  ASSERT_NE(dom.find("<h1>Key resets: 2</h1>"), std::string::npos) << dom;
  EXPECT_NE(dom.find("<h2>Subscription 6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f</h2>"),
            std::string::npos);
  EXPECT_NE(dom.find("<td>vm-web-01 (rg-web)</td><td>key_lost</td><td>6</td><td><b>7</b></td>"
                     "<td>WireServer Enforce, IMDS Audit</td>"),
            std::string::npos)
      << dom;
  EXPECT_NE(dom.find("Scale set pool-a (rg-pool): 1 instances"), std::string::npos);
  EXPECT_NE(dom.find("<td>3</td><td>key_mismatch</td><td>2</td><td><b>3</b></td>"),
            std::string::npos)
      << dom;
  EXPECT_NE(dom.find("<pre class=\"cmd\">az rest --method patch"), std::string::npos);
  EXPECT_NE(dom.find("healthy in its newest report"), std::string::npos)
      << "skipped, with its reason";
  // Hostile values are text: escaped in the serialised DOM, never elements.
  EXPECT_EQ(dom.find("<img"), std::string::npos) << dom;
  EXPECT_EQ(dom.find("<script"), std::string::npos) << dom;
  EXPECT_NE(dom.find("&lt;img src=x onerror=alert(1)&gt;.json"), std::string::npos) << dom;
  EXPECT_NE(dom.find("&lt;script&gt;alert(2)&lt;/script&gt;"), std::string::npos) << dom;
  // MSP-enabled VMs no report speaks for, from the export.
  EXPECT_NE(dom.find("<table id=\"silent\">"), std::string::npos);
}

}  // namespace
}  // namespace latchwatch
