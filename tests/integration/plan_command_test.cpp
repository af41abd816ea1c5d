// `latchwatch plan` as the owner runs it: the real binary on real files and folders, its exit
// codes, its JSON, and its errors for files that are not what they claim.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "reporting/report/report.h"
#include "reporting/report/verdict.h"
#include "tests/support/test_support.h"

namespace latchwatch {
namespace {

using testing::run_latchwatch;
using testing::TempDir;
using testing::write_file;

const std::string kVm =
    "/subscriptions/6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f/resourceGroups/rg-fleet/providers/"
    "Microsoft.Compute/virtualMachines/";

std::string report(const std::string& code, const std::string& name, std::int64_t incarnation) {
  latchwatch::Report r;
  r.generated_at = "2026-11-20T10:00:00Z";
  r.verdict.code = *latchwatch::verdict_from_string(code);
  r.identity.source = "imds";
  r.identity.resource_id = kVm + name;
  if (latchwatch::info(r.verdict.code).needs_key_reset) {
    latchwatch::Remedy remedy;
    remedy.current_incarnation = incarnation;
    r.remedy = remedy;
  }
  return latchwatch::report_document(r).dump(2);
}

TEST(PlanCommand, ResetsFromAFolderOfReports) {
  TempDir dir;
  ::mkdir((dir / "reports").c_str(), 0755);
  write_file(dir / "reports/vm-1.json", report("key_lost", "vm-1", 3));
  write_file(dir / "reports/vm-2.json", report("healthy", "vm-2", 0));
  auto text = run_latchwatch({"plan", "resets", dir / "reports"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(
      text.out.find("    $ az rest --method patch --url '" + kVm + "vm-1?api-version=2024-03-01'"),
      std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("\"keyIncarnationId\":4"), std::string::npos);
  EXPECT_NE(text.out.find("healthy in its newest report"), std::string::npos);

  auto json = run_latchwatch({"plan", "resets", "--json", dir / "reports"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto doc = nlohmann::json::parse(json.out);
  EXPECT_EQ(doc["summary"]["resets"], 1);
  EXPECT_EQ(doc["summary"]["skipped"], 1);
  EXPECT_EQ(doc["vms"][0]["remedy"]["request"]["method"], "PATCH");
}

TEST(PlanCommand, AReportFileNamedForOneVmThatSpeaksForAnotherIsAConflictAndExitsNonZero) {
  // vm-1's own report, and a history file named for vm-1 (vm-1.history.jsonl) holding only
  // a key loss of vm-2: vm-1 is known, so the file speaks for vm-1 and vm-2 gets no reset.
  TempDir dir;
  ::mkdir((dir / "reports").c_str(), 0755);
  write_file(dir / "reports/vm-1.json", report("healthy", "vm-1", 0));
  write_file(dir / "reports/vm-1.history.jsonl",
             nlohmann::json::parse(report("key_lost", "vm-2", 3)).dump() + "\n" +
                 nlohmann::json::parse(report("key_lost", "vm-2", 3)).dump() + "\n");
  auto text = run_latchwatch({"plan", "resets", dir / "reports"});
  EXPECT_EQ(text.exit_code, 1) << text.err;
  EXPECT_EQ(text.out.find("az rest --method patch"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("a report in the file of vm-1 speaks for vm-2: a VM's report speaks "
                          "only for that VM; not used"),
            std::string::npos)
      << text.out;
  auto json = run_latchwatch({"plan", "resets", "--json", dir / "reports"});
  EXPECT_EQ(json.exit_code, 1) << json.err;
  auto doc = nlohmann::json::parse(json.out);
  EXPECT_EQ(doc["summary"]["resets"], 0);
  EXPECT_FALSE(doc["conflicts"].empty());
}

TEST(PlanCommand, ResetsWithABadReportStillPlanButAskForAttention) {
  TempDir dir;
  write_file(dir / "good.json", report("key_mismatch", "vm-3", 1));
  write_file(dir / "bad.json", "{\"verdict\": {\"code\": 7}}");
  auto result = run_latchwatch({"plan", "resets", dir / "good.json", dir / "bad.json"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.out.find(kVm + "vm-3"), std::string::npos);
  EXPECT_NE(result.out.find(dir / "bad.json" + ": verdict.code: expected a string, found a number"),
            std::string::npos)
      << result.out;
}

TEST(PlanCommand, ResetsWithNothingUsableIsAnError) {
  TempDir dir;
  write_file(dir / "bad.json", "not json at all");
  auto result = run_latchwatch({"plan", "resets", dir / "bad.json", dir / "missing.json"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find(dir / "bad.json" + ": not JSON"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(dir / "missing.json" + ": No such file"), std::string::npos);
  EXPECT_NE(result.err.find("no usable report"), std::string::npos);
  EXPECT_EQ(run_latchwatch({"plan", "resets"}).exit_code, 3);
  EXPECT_EQ(run_latchwatch({"plan", "resets", "--bogus", dir / "bad.json"}).exit_code, 3);
  EXPECT_EQ(run_latchwatch({"plan", "nothing"}).exit_code, 3);
}

}  // namespace
}  // namespace latchwatch
