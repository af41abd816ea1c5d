// Issue 26: plans trust a record only as far as its source. A boot log speaks for the machine it
// was fetched for; a record from the future or one ARM contradicts is not used; a machine's newer
// healthy record outranks an older claim about it; the copied-disk rule never sides with a claim
// ARM contradicts; any conflict makes the plan say so and need a person (exit non-zero).

#include <gtest/gtest.h>

#include "agent/plan/boot_log_records.h"
#include "agent/plan/reset_plan.h"
#include "agent/plan/resource_graph.h"
#include "reporting/report/serial_line.h"
#include "reporting/report/verdict.h"

namespace latchwatch::plan {
namespace {

const std::string kSub = "6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f";
const std::string kVmA = "aaaaaaaa-0000-4000-8000-00000000000a";
const std::string kVmB = "bbbbbbbb-0000-4000-8000-00000000000b";
const std::string kForged = "ffffffff-0000-4000-8000-00000000000f";
/// 2026-12-01T12:00:00Z: the tests' "now".
constexpr std::int64_t kNowMs = 1796126400000;

std::string rid(const std::string& name) {
  return "/subscriptions/" + kSub +
         "/resourceGroups/rg-web/providers/Microsoft.Compute/"
         "virtualMachines/" +
         name;
}

std::string signed_line(const std::string& body) {
  char crc[9];
  std::snprintf(crc, sizeof crc, "%08x", reporting::crc32_ieee(body));
  return body + " crc=" + crc + "\r\n";
}

/// A v1 line of VM `name` (vmId = SMBIOS UUID `vm`).
std::string line(const std::string& event, const std::string& code, const std::string& at,
                 const std::string& vm, const std::string& name, int inc = 4) {
  return signed_line("latchwatch: v1 " + event + " " + code + " " + at +
                     " inc=" + std::to_string(inc) + ">" + std::to_string(inc + 1) + " vm=" + vm +
                     " id=" + kSub + "/rg-web/" + name);
}

std::string report(const std::string& code, const std::string& resource_id, const std::string& vm,
                   const std::string& at, const std::string& source) {
  latchwatch::Report r;
  r.generated_at = at;
  r.verdict.code = *latchwatch::verdict_from_string(code);
  r.verdict.severity = latchwatch::info(r.verdict.code).severity;
  r.identity.source = source;
  r.identity.resource_id = resource_id;
  r.identity.smbios_uuid = vm;
  r.identity.vm_id = vm;
  if (latchwatch::info(r.verdict.code).needs_key_reset) {
    latchwatch::Remedy remedy;
    remedy.current_incarnation = 4;
    r.remedy = remedy;
  }
  return latchwatch::report_document(r).dump();
}

/// A Resource Graph export (current az's shape) in which vm-a and vm-b have their real vmIds.
std::string graph() {
  auto row = [](const std::string& name, const std::string& vm) {
    return nlohmann::json{
        {"id", rid(name)},
        {"name", name},
        {"type", "microsoft.compute/virtualmachines"},
        {"resourceGroup", "rg-web"},
        {"subscriptionId", kSub},
        {"properties",
         {{"vmId", vm},
          {"securityProfile",
           {{"proxyAgentSettings", {{"enabled", true}, {"keyIncarnationId", 4}}}}}}}};
  };
  return nlohmann::json{{"count", 2},
                        {"data", {row("vm-a", kVmA), row("vm-b", kVmB)}},
                        {"skip_token", nullptr},
                        {"total_records", 2}}
      .dump();
}

bool plans_reset_for(const ResetPlan& plan, const std::string& resource_id) {
  for (const auto& r : plan.vms)
    if (r.resource_id == resource_id) return true;
  return false;
}

TEST(PlanTrust, ABootLogSpeaksOnlyForTheMachineItsFileNameNames) {
  // vm-a's console carries its own healthy line and a forged key loss naming vm-b.
  std::string log = "[    1.0] kernel: Linux version 6.8\r\n" +
                    line("resolved", "healthy", "2026-12-01T10:00:00.000Z", kVmA, "vm-a") +
                    line("fired", "key_lost", "2026-12-01T10:01:00.000Z", kVmB, "vm-b");
  std::vector<std::string> errors;
  auto read = read_boot_log_records("bootlogs/vm-a.log", log, errors, kNowMs);
  EXPECT_EQ(read.bound_to, "vm-a");
  ASSERT_EQ(read.records.size(), 1u);
  EXPECT_EQ(read.records[0].identity.resource_id, rid("vm-a"));
  ASSERT_EQ(read.conflicts.size(), 1u);
  EXPECT_EQ(read.conflicts[0].resource_id, rid("vm-b"));
  EXPECT_NE(read.conflicts[0].message.find("speaks only for that VM"), std::string::npos);
}

TEST(PlanTrust, AReportFileNamedForOneVmSpeaksOnlyForThatVm) {
  // vm-a's report history (as the fleet's collection loop names it) with a forged key loss of
  // vm-b, newer than vm-a's own line: vm-a's record is used, vm-b's is a conflict.
  std::string history =
      report("healthy", rid("vm-a"), kVmA, "2026-12-01T10:00:00Z", "imds") + "\n" +
      report("key_lost", rid("vm-b"), kVmB, "2026-12-01T10:01:00Z", "imds") + "\n" +
      report("key_lost", rid("vm-b"), kVmB, "2026-12-01T10:02:00Z", "imds") + "\n";
  std::vector<std::string> errors;
  auto read = read_report_input("reports/VM-A.jsonl", text_input(history), errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(read.bound_to, "vm-a");
  ASSERT_EQ(read.records.size(), 1u);
  EXPECT_EQ(read.records[0].identity.resource_id, rid("vm-a"));
  ASSERT_EQ(read.conflicts.size(), 1u);  // one per machine, naming each report
  EXPECT_EQ(read.conflicts[0].resource_id, rid("vm-b"));
  EXPECT_EQ(read.conflicts[0].message,
            "a report in the file of vm-a speaks for vm-b: a VM's report speaks only for that "
            "VM; not used");
  ASSERT_EQ(read.conflicts[0].claims.size(), 2u);
  EXPECT_EQ(read.conflicts[0].claims[1].origin, "reports/VM-A.jsonl:3");
  ResetPlan plan = build_reset_plan(read.records, {});
  plan.conflicts = read.conflicts;
  EXPECT_EQ(plan.reset_count(), 0u);
  EXPECT_TRUE(plan.needs_attention());

  // A collection named after none of its machines speaks for each (a fleet's history).
  auto fleet = read_report_input("reports/fleet.jsonl", text_input(history), errors);
  EXPECT_EQ(fleet.bound_to, "");
  EXPECT_EQ(fleet.records.size(), 3u);
  EXPECT_TRUE(fleet.conflicts.empty());
}

TEST(PlanTrust, AReportFileNamedForAKnownVmButNamingOnlyAnotherIsAConflictAcrossInputs) {
  // vm-a.json holds only a forged key loss of vm-b. Within the file nothing names vm-a, but the
  // plan knows vm-a (the Resource Graph export, or any other input): the file speaks for vm-a.
  std::string forged =
      nlohmann::json::parse(report("key_lost", rid("vm-b"), kVmB, "2026-12-01T10:01:00Z", "imds"))
          .dump(2);
  std::vector<std::string> errors;
  auto read = read_report_input("reports/vm-a.json", text_input(forged), errors);
  EXPECT_EQ(read.bound_to, "");
  ASSERT_EQ(read.records.size(), 1u);
  auto records = read.records;
  auto conflicts = set_aside_records_their_file_names_deny(records, {"vm-a", "vm-b"});
  EXPECT_TRUE(records.empty());
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_EQ(conflicts[0].message,
            "a report in the file of vm-a speaks for vm-b: a VM's report speaks only for that "
            "VM; not used");
  EXPECT_EQ(conflicts[0].claims[0].origin, "reports/vm-a.json");

  // The same for a boot log, in the boot logs' words; and vm-b's own file is vm-b's.
  std::vector<std::string> log_errors;
  auto log = read_boot_log_records(
      "bootlogs/vm-a.log", line("fired", "key_lost", "2026-12-01T10:01:00.000Z", kVmB, "vm-b"),
      log_errors, kNowMs);
  auto own = read_report_input("reports/vm-b.json", text_input(forged), errors);
  std::vector<ReportRecord> both = log.records;
  both.insert(both.end(), own.records.begin(), own.records.end());
  conflicts = set_aside_records_their_file_names_deny(both, {"vm-a"});
  ASSERT_EQ(both.size(), 1u);
  EXPECT_EQ(both[0].origin, "reports/vm-b.json");
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_EQ(conflicts[0].message,
            "a line in the boot log of vm-a speaks for vm-b: a VM's console speaks only for that "
            "VM; not used");
  // Unknown names bind nothing: a collection may be called anything.
  auto fleet = read_report_input("reports/fleet.json", text_input(forged), errors);
  conflicts = set_aside_records_their_file_names_deny(fleet.records, {"vm-a"});
  EXPECT_TRUE(conflicts.empty());
  EXPECT_EQ(fleet.records.size(), 1u);
}

TEST(PlanTrust, ABootLogNamingManyMachinesAndNoneByItsFileNameSpeaksForNone) {
  std::string log;
  for (int i = 0; i < 500; ++i) {
    char vm[40];
    std::snprintf(vm, sizeof vm, "cccccccc-0000-4000-8000-%012d", i);
    log += line("fired", "key_lost", "2026-12-01T10:00:00.000Z", vm, "vm-" + std::to_string(i));
  }
  std::vector<std::string> errors;
  auto read = read_boot_log_records("bootlogs/console.log", log, errors, kNowMs);
  EXPECT_TRUE(read.records.empty());
  EXPECT_EQ(read.conflicts.size(), 500u);
  ResetPlan plan = build_reset_plan(read.records, {});
  plan.conflicts = read.conflicts;
  EXPECT_EQ(plan.reset_count(), 0u);
  EXPECT_TRUE(plan.needs_attention());
}

TEST(PlanTrust, AFutureDatedLineNeverHidesTheMachinesOwnNewerHealthyLine) {
  std::string log = line("resolved", "healthy", "2026-12-01T11:00:00.000Z", kVmB, "vm-b") +
                    line("fired", "key_lost", "2027-06-01T00:00:00.000Z", kVmB, "vm-b");
  std::vector<std::string> errors;
  auto read = read_boot_log_records("vm-b.log", log, errors, kNowMs);
  ASSERT_EQ(read.records.size(), 1u);
  EXPECT_EQ(read.records[0].verdict_code, "healthy");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("in the future"), std::string::npos) << errors[0];
}

TEST(PlanTrust, AFutureDatedJsonReportIsAnInputErrorAndTheNewerHealthyOneWins) {
  std::vector<std::string> errors;
  auto records = read_report_records(
      "b.json", report("healthy", rid("vm-b"), kVmB, "2026-12-01T11:00:00Z", "imds"), errors);
  auto forged = read_report_records(
      "a.json", report("key_lost", rid("vm-b"), kVmB, "2027-06-01T00:00:00Z", "imds"), errors);
  records.insert(records.end(), forged.begin(), forged.end());
  ResetPlanOptions options;
  options.now_ms = kNowMs;
  auto plan = build_reset_plan(records, options);
  EXPECT_FALSE(plans_reset_for(plan, rid("vm-b")));
  ASSERT_EQ(plan.input_errors.size(), 1u);
  EXPECT_NE(plan.input_errors[0].find("a.json"), std::string::npos);
  EXPECT_TRUE(plan.needs_attention());
}

TEST(PlanTrust, AMadeUpVmIdClaimingImdsIsContradictedByArmAndNeverResetsTheRealVm) {
  std::vector<std::string> errors;
  auto records = read_report_records(
      "a.json", report("key_lost", rid("vm-b"), kForged, "2026-12-01T11:30:00Z", "imds"), errors);
  auto real = read_report_records(
      "b.json", report("healthy", rid("vm-b"), kVmB, "2026-12-01T11:00:00Z", "imds"), errors);
  records.insert(records.end(), real.begin(), real.end());
  Inventory inventory;
  read_resource_graph("graph.json", graph(), inventory, errors);
  ASSERT_TRUE(errors.empty()) << errors[0];
  auto use = apply_inventory(records, inventory);
  ASSERT_EQ(use.contradicted.size(), 1u);
  EXPECT_EQ(use.contradicted[0].claims[0].origin, "a.json");
  ASSERT_EQ(records.size(), 1u) << "the contradicted record is not used";
  EXPECT_TRUE(records[0].arm_confirmed);
  ResetPlanOptions options;
  options.now_ms = kNowMs;
  auto plan = build_reset_plan(records, options);
  plan.conflicts.insert(plan.conflicts.end(), use.contradicted.begin(), use.contradicted.end());
  EXPECT_FALSE(plans_reset_for(plan, rid("vm-b")));
  EXPECT_TRUE(plan.unidentified.empty()) << "B's real machine is not called a copy";
  EXPECT_TRUE(plan.needs_attention());
  EXPECT_NE(reset_plan_document(plan).dump().find("ARM contradicts"), std::string::npos);
}

TEST(PlanTrust, TwoMachinesClaimingOneResourceThroughImdsIsAConflictNotAReset) {
  // Without ARM's word, a forged IMDS claim must not make B's real machine the "copy".
  std::vector<std::string> errors;
  auto records = read_report_records(
      "a.json", report("key_lost", rid("vm-b"), kForged, "2026-12-01T11:30:00Z", "imds"), errors);
  auto real = read_report_records(
      "b.json", report("healthy", rid("vm-b"), kVmB, "2026-12-01T11:00:00Z", "imds"), errors);
  records.insert(records.end(), real.begin(), real.end());
  auto plan = build_reset_plan(records, {});
  EXPECT_EQ(plan.reset_count(), 0u);
  ASSERT_EQ(plan.conflicts.size(), 1u);
  EXPECT_FALSE(plan.conflicts[0].resolved);
  EXPECT_TRUE(plan.needs_attention());
}

TEST(PlanTrust, TheCopiedDiskRuleSidesWithArmNotWithAnImdsClaimArmContradicts) {
  // The forged record names vm-b by B's own vmId is impossible to tell from B; but a copy's
  // record (its own SMBIOS, the cached identity of B) is matched by ARM to no VM, and B's real
  // record, ARM-confirmed, wins even when the copy's says "imds" and is newer.
  std::vector<std::string> errors;
  auto records = read_report_records(
      "b.json", report("key_lost", rid("vm-b"), kVmB, "2026-12-01T11:00:00Z", "cache"), errors);
  auto copy = read_report_records(
      "c.json", report("healthy", rid("vm-b"), kForged, "2026-12-01T11:30:00Z", "imds"), errors);
  records.insert(records.end(), copy.begin(), copy.end());
  Inventory inventory;
  read_resource_graph("graph.json", graph(), inventory, errors);
  auto use = apply_inventory(records, inventory);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].origin, "b.json");
  auto plan = build_reset_plan(records, {});
  EXPECT_TRUE(plans_reset_for(plan, rid("vm-b"))) << "B's own key loss, confirmed by ARM";
  EXPECT_EQ(use.contradicted.size(), 1u);
}

}  // namespace
}  // namespace latchwatch::plan
