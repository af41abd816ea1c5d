// Resource Graph exports: both az output shapes, vmId / SMBIOS resolution (Gen1 byte order
// included), the model's keyIncarnationId, hostile rows, and paging left half done.

#include "agent/plan/resource_graph.h"

#include <gtest/gtest.h>

#include "agent/plan/reset_plan_html.h"
#include "tests/support/test_support.h"

namespace latchwatch::plan {
namespace {

const std::string kSub = "6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f";

std::string fixture(const std::string& name) {
  return testing::read_file(std::string(LATCHWATCH_FIXTURES_DIR) + "/resource_graph/" + name);
}

Inventory read(const std::string& name, std::vector<std::string>& errors) {
  Inventory inventory;
  read_resource_graph(name, fixture(name), inventory, errors);
  return inventory;
}

TEST(ResourceGraph, ReadsCurrentAndOldAzShapesAlike) {
  std::vector<std::string> errors;
  auto current = read("graph-vms.json", errors);
  auto old = read("graph-vms-old-az.json", errors);
  EXPECT_TRUE(errors.empty()) << errors[0];
  ASSERT_EQ(current.vms.size(), 5u);
  ASSERT_EQ(old.vms.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(current.vms[i].resource_id, old.vms[i].resource_id);
    EXPECT_EQ(current.vms[i].vm_id, old.vms[i].vm_id);
    EXPECT_EQ(current.vms[i].key_incarnation_id, old.vms[i].key_incarnation_id);
  }
  const auto& web = current.vms[0];
  EXPECT_EQ(web.origin, "graph-vms.json: data[0]");
  EXPECT_EQ(web.name, "vm-web-01");
  EXPECT_EQ(web.resource_group, "rg-web") << "from the id, not ARG's lower-cased column";
  EXPECT_EQ(web.key_incarnation_id, 6);
  EXPECT_EQ(web.msp_text(), "WireServer Enforce, IMDS Audit");
  EXPECT_EQ(current.vms[3].msp_text(), "MSP off");
  EXPECT_EQ(current.vms[4].scale_set, "pool-a");
  EXPECT_EQ(old.vms[0].origin, "graph-vms-old-az.json: [0]");
}

TEST(ResourceGraph, AMachineKnownOnlyByItsSmbiosUuidIsIdentifiedWithTheModelsIncarnation) {
  std::vector<std::string> errors;
  auto inventory = read("graph-vms.json", errors);
  std::vector<ReportRecord> records(2);
  // vm-batch-07 is Gen1: SMBIOS shows vmId 3f7e9a10-c4b2-4d58-... byte-swapped.
  records[0].origin = "batch07.log:12";
  records[0].verdict_code = "key_lost";
  records[0].identity.source = "unknown";
  records[0].identity.smbios_uuid = "109a7e3f-b2c4-584d-a6e1-92b0d7c5f834";
  records[0].largest_incarnation = 3;  // what the VM last saw: the model moved on since
  // A copied disk: its identity (from the cache) names vm-web-01, its hardware is vm-batch-08.
  records[1].origin = "copy.json";
  records[1].verdict_code = "key_mismatch";
  records[1].identity.source = "cache";
  records[1].identity.resource_id = inventory.vms[0].resource_id;
  records[1].identity.vm_id = inventory.vms[0].vm_id;
  records[1].identity.smbios_uuid = "b61d0e47-2a9c-4f13-8e5b-7c4a3d2f1e09";

  auto use = apply_inventory(records, inventory);
  EXPECT_EQ(records[0].identity.resource_id,
            "/subscriptions/" + kSub +
                "/resourceGroups/rg-batch/providers/Microsoft.Compute/virtualMachines/vm-batch-07");
  EXPECT_EQ(records[0].identity.name, "vm-batch-07");
  EXPECT_EQ(records[0].host, "vm-batch-07");
  EXPECT_EQ(records[0].largest_incarnation, 11);
  EXPECT_EQ(records[1].identity.resource_id, inventory.vms[2].resource_id);
  EXPECT_EQ(use.identified, 1);
  EXPECT_EQ(use.corrected, 1);
  EXPECT_EQ(use.incarnation_raised, 1);
  // vm-web-01 and the pool instance have MSP on and no record; vm-legacy-02 has MSP off.
  ASSERT_EQ(use.silent.size(), 2u);
  EXPECT_EQ(use.silent[0]->name, "vm-web-01");
  EXPECT_EQ(use.silent[1]->name, "pool-a_3");

  auto plan = build_reset_plan(records, {});
  ASSERT_EQ(plan.vms.size(), 2u);
  EXPECT_EQ(plan.vms[0].remedy.next_incarnation, 12) << "the model's value + 1, exact";
  EXPECT_TRUE(plan.unidentified.empty());
}

TEST(ResourceGraph, HostileRowsArePointedAtAndNotUsed) {
  Inventory inventory;
  std::vector<std::string> errors;
  read_resource_graph(
      "evil.json",
      R"({"count":3,"data":[
    {"id":"/subscriptions/)" +
          kSub +
          R"(/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/a\"; rm -rf ~","name":"a","type":"microsoft.compute/virtualmachines","properties":{"vmId":"8a3c1f52-6d0e-4b7a-9c21-5e4f3a2b1c0d"}},
    {"id":"/subscriptions/)" +
          kSub +
          R"(/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/b","name":"b","type":"microsoft.compute/virtualmachines","properties":{"vmId":"b","securityProfile":{"proxyAgentSettings":{"keyIncarnationId":4294967295}}}},
    {"id":"/subscriptions/)" +
          kSub +
          R"(/resourceGroups/rg/providers/Microsoft.Compute/disks/d","name":"d","type":"microsoft.compute/disks"}
  ],"skip_token":"ew0KICAiJGlkIjogIjEiLA0K","total_records":3000})",
      inventory, errors);
  EXPECT_TRUE(inventory.vms.empty());
  EXPECT_EQ(inventory.rows_not_vms, 1);
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_NE(errors[0].find("evil.json: data[0].id: not a VM or scale-set instance id"),
            std::string::npos)
      << errors[0];
  EXPECT_NE(errors[1].find("data[1].properties.vmId"), std::string::npos) << errors[1];
  EXPECT_NE(errors[2].find("outside int32"), std::string::npos) << errors[2];
  EXPECT_NE(errors[3].find("skip_token"), std::string::npos) << errors[3];

  errors.clear();
  read_resource_graph("notgraph.json", R"({"value":[]})", inventory, errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("not an az graph query export"), std::string::npos);
}

TEST(ResetPlanHtml, EscapesEverythingItShows) {
  EXPECT_EQ(html_escape("<img src=x onerror='a'>&\""),
            "&lt;img src=x onerror=&#39;a&#39;&gt;&amp;&quot;");
  ResetPlan plan;
  plan.input_errors.push_back("<script>alert(1)</script>.json: bad");
  auto page = reset_plan_html(plan, nullptr, nullptr);
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;.json: bad"), std::string::npos);
  EXPECT_NE(page.find("default-src 'none'"), std::string::npos);
}

}  // namespace
}  // namespace latchwatch::plan
