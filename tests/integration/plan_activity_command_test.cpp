// `latchwatch plan resets --activity-log` as the owner runs it: the real binary on reports and
// the az activity-log export of tests/fixtures/activity_log/, in text, JSON and HTML; a file that
// is not an export is refused with a clear error.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "reporting/report/report.h"
#include "reporting/report/verdict.h"
#include "tests/support/test_support.h"

namespace latchwatch {
namespace {

using testing::read_file;
using testing::run_latchwatch;
using testing::TempDir;
using testing::write_file;

const std::string kVm =
    "/subscriptions/6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f/resourceGroups/rg-web/providers/"
    "Microsoft.Compute/virtualMachines/";

std::string fixture() {
  return std::string(LATCHWATCH_FIXTURES_DIR) + "/activity_log/activity-log.json";
}

std::string report(const std::string& name, const std::string& at = "2026-11-20T10:00:00Z") {
  latchwatch::Report r;
  r.generated_at = at;
  r.verdict.code = latchwatch::VerdictCode::key_lost;
  r.verdict.severity = latchwatch::info(r.verdict.code).severity;
  r.identity.source = "imds";
  r.identity.resource_id = kVm + name;
  latchwatch::Remedy remedy;
  remedy.current_incarnation = 2;
  r.remedy = remedy;
  return latchwatch::report_document(r).dump(2);
}

TEST(PlanActivityCommand, ExplainedAndUnexplainedInTextJsonAndHtml) {
  TempDir dir;
  write_file(dir / "vm-swapped.json", report("vm-swapped"));
  write_file(dir / "vm-neighbour.json", report("vm-neighbour"));
  // A history: the loss was first reported at 09:40, repeated at 10:00 (the window starts from
  // the first report, so the OS-disk change at 09:31 explains it either way).
  write_file(dir / "vm-swapped-older.json", report("vm-swapped", "2026-11-20T09:40:00Z"));

  auto text = run_latchwatch({"plan", "resets", "--activity-log", fixture(), "--html",
                              dir / "plan.html", dir / "vm-swapped.json",
                              dir / "vm-swapped-older.json", dir / "vm-neighbour.json"});
  EXPECT_EQ(text.exit_code, 1) << text.err;  // an unexplained loss needs a person
  EXPECT_NE(text.out.find("Activity log: 1 explained, 1 unexplained (window 24 h"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("    explained: OS-disk change (swap, repair restore, attach) "
                          "(Microsoft.Compute/virtualMachines/write) at "
                          "2026-11-20T09:31:12.8000000Z by carol@contoso.example, 8 min before "
                          "the loss was first reported"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("    ! unexplained: no Succeeded reimage"), std::string::npos);

  auto json = run_latchwatch({"plan", "resets", "--json", "--activity-log", fixture(),
                              dir / "vm-swapped.json", dir / "vm-neighbour.json"});
  ASSERT_EQ(json.exit_code, 1) << json.err;
  auto doc = nlohmann::json::parse(json.out);
  EXPECT_EQ(doc["summary"]["unexplained"], 1);
  EXPECT_EQ(doc["activity_log"]["events_read"], 35);
  EXPECT_EQ(doc["activity_log"]["window_seconds"], 86400);
  ASSERT_EQ(doc["vms"].size(), 2u);
  const auto& neighbour = doc["vms"][0];  // ordered by resource id
  const auto& swapped = doc["vms"][1];
  EXPECT_EQ(neighbour["activity_cause"]["explained"], false);
  EXPECT_EQ(swapped["activity_cause"]["explained"], true);
  EXPECT_EQ(swapped["activity_cause"]["kind"], "os_disk");
  EXPECT_EQ(swapped["activity_cause"]["caller"], "carol@contoso.example");
  EXPECT_EQ(swapped["activity_cause"]["operation"], "Microsoft.Compute/virtualMachines/write");
  // The ticket stays as it is: its schema allows no new member.
  EXPECT_EQ(swapped["reset_ticket"]["resource_id"], kVm + "vm-swapped");
  EXPECT_FALSE(swapped["reset_ticket"].contains("activity_cause"));

  std::string html = read_file(dir / "plan.html");
  EXPECT_NE(html.find("<div class=\"cause explained\">explained: OS-disk change"),
            std::string::npos);
  EXPECT_NE(html.find("<div class=\"cause unexplained\">unexplained:"), std::string::npos);
  EXPECT_NE(html.find("id=\"n-unexplained\""), std::string::npos);
}

TEST(PlanActivityCommand, AllExplainedExitsZeroAndTheWindowIsAnOption) {
  TempDir dir;
  write_file(dir / "vm-old.json", report("vm-old"));
  auto narrow =
      run_latchwatch({"plan", "resets", "--activity-log", fixture(), dir / "vm-old.json"});
  EXPECT_EQ(narrow.exit_code, 1);
  auto wide = run_latchwatch({"plan", "resets", "--activity-log", fixture(), "--activity-window",
                              "4d", dir / "vm-old.json"});
  EXPECT_EQ(wide.exit_code, 0) << wide.out;
  EXPECT_NE(wide.out.find("explained: reimage"), std::string::npos);
  auto bad = run_latchwatch({"plan", "resets", "--activity-log", fixture(), "--activity-window",
                             "forever", dir / "vm-old.json"});
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_NE(bad.err.find("--activity-window: 'forever' is not a duration"), std::string::npos)
      << bad.err;
}

TEST(PlanActivityCommand, WithoutAnActivityLogNothingChanges) {
  TempDir dir;
  write_file(dir / "vm-neighbour.json", report("vm-neighbour"));
  auto json = run_latchwatch({"plan", "resets", "--json", dir / "vm-neighbour.json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto doc = nlohmann::json::parse(json.out);
  EXPECT_FALSE(doc["vms"][0].contains("activity_cause"));
  EXPECT_FALSE(doc.contains("activity_log"));
  EXPECT_TRUE(doc["summary"]["unexplained"].is_null());
}

TEST(PlanActivityCommand, AFileThatIsNotAnExportIsRefused) {
  TempDir dir;
  write_file(dir / "vm-old.json", report("vm-old"));
  write_file(dir / "log.json", "{\"count\": 2, \"data\": []}");
  auto result =
      run_latchwatch({"plan", "resets", "--activity-log", dir / "log.json", dir / "vm-old.json"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find("latchwatch plan: --activity-log " + dir / "log.json" +
                            ": not an activity-log export: expected the JSON array that 'az "
                            "monitor activity-log list' prints, found an object"),
            std::string::npos)
      << result.err;
  EXPECT_TRUE(result.out.empty());
  auto missing = run_latchwatch(
      {"plan", "resets", "--activity-log", dir / "missing.json", dir / "vm-old.json"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.err.find("missing.json"), std::string::npos);
}

TEST(PlanActivityCommand, AMalformedEventIsAnInputErrorAndTheRestIsUsed) {
  TempDir dir;
  write_file(dir / "vm-reimaged.json", report("vm-reimaged"));
  auto events = nlohmann::json::parse(read_file(fixture()));
  events.push_back(
      {{"operationName", {{"value", "Microsoft.Compute/virtualMachines/reimage/action"}}},
       {"eventTimestamp", 1796126400}});
  write_file(dir / "log.json", events.dump());
  auto result = run_latchwatch(
      {"plan", "resets", "--activity-log", dir / "log.json", dir / "vm-reimaged.json"});
  EXPECT_EQ(result.exit_code, 1);  // input errors need a person
  EXPECT_NE(result.out.find(dir / "log.json: [35].eventTimestamp: expected a string, found a "
                                  "number"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("explained: reimage"), std::string::npos);
}

}  // namespace
}  // namespace latchwatch
