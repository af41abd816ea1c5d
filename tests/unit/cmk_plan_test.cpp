// The CMK rotation plan on a fleet exported as az prints it (tests/fixtures/plan): confidential
// and trusted-launch VMs, running, stopped, deallocated and starting, ephemeral and managed OS
// disks, two Disk Encryption Sets, and the disks after a rotation.

#include "agent/plan/cmk_plan.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/support/test_support.h"

namespace latchwatch::plan {
namespace {

const std::string kRg =
    "/subscriptions/6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f/resourceGroups/rg-cvm/providers/"
    "Microsoft.Compute/";

NamedFile fixture(const std::string& name) {
  return {name, testing::read_file(std::string(LATCHWATCH_FIXTURES_DIR) + "/plan/" + name)};
}

std::string vm(const std::string& name) { return kRg + "virtualMachines/" + name; }

std::vector<std::string> ids(const std::vector<CmkVm>& vms) {
  std::vector<std::string> out;
  for (const auto& v : vms) out.push_back(v.id);
  return out;
}

CmkPlan plan_for(const std::string& des, const NamedFile& vms = fixture("vms.json")) {
  auto inputs = read_cmk_inputs(vms, fixture("disks.json"), fixture(des), std::nullopt);
  EXPECT_TRUE(inputs.errors.empty()) << inputs.errors.front();
  return build_cmk_plan(inputs);
}

const CmkStep* step(const CmkPlan& plan, const std::string& title_start) {
  for (const auto& s : plan.steps)
    if (s.title.rfind(title_start, 0) == 0) return &s;
  return nullptr;
}

TEST(CmkPlan, ListsTheConfidentialVmsOnTheDesAndWhichAreNotStopped) {
  auto plan = plan_for("des-cvm-a.json");
  EXPECT_EQ(ids(plan.confidential), (std::vector<std::string>{vm("cvm-run-1"), vm("cvm-stop-2"),
                                                              vm("cvm-dealloc-3"), vm("cvm-starting-4")}));
  EXPECT_EQ(ids(plan.others), std::vector<std::string>{vm("tl-web-5")});
  // Stopped and deallocated both count as stopped; running and starting do not.
  EXPECT_EQ(ids(plan.not_stopped), (std::vector<std::string>{vm("cvm-run-1"), vm("cvm-starting-4")}));
  EXPECT_FALSE(plan.ready);
  EXPECT_TRUE(plan.blockers.empty());
  EXPECT_EQ(plan.unattached_disks, std::vector<std::string>{kRg + "disks/orphan-data-1"});

  const CmkStep* stop = step(plan, "Stop every confidential VM");
  ASSERT_NE(stop, nullptr);
  ASSERT_EQ(stop->commands.size(), 1u);
  EXPECT_NE(stop->commands[0].find(vm("cvm-run-1")), std::string::npos);
  EXPECT_NE(stop->commands[0].find(vm("cvm-starting-4")), std::string::npos);
  EXPECT_EQ(stop->commands[0].find(vm("cvm-dealloc-3")), std::string::npos);
  EXPECT_EQ(stop->commands[0].find("tl-web-5"), std::string::npos) << "not confidential";
  const CmkStep* start = step(plan, "Start the VMs that were running");
  ASSERT_NE(start, nullptr);
  EXPECT_EQ(start->commands[0].find("cvm-stop-2"), std::string::npos);
}

TEST(CmkPlan, StepsComeInOrderStopVerifyChangeVerify) {
  auto plan = plan_for("des-cvm-a.json");
  std::vector<std::string> titles;
  for (const auto& s : plan.steps) titles.push_back(s.title.substr(0, s.title.find(' ')));
  EXPECT_EQ(titles, (std::vector<std::string>{"Stop", "Verify", "Change", "Verify", "Start"}));
  const CmkStep* change = step(plan, "Change the key");
  ASSERT_NE(change, nullptr);
  EXPECT_NE(change->commands[0].find("--vault-name kv-cvm --name cvm-key"), std::string::npos);
  EXPECT_NE(change->commands[2].find("az disk-encryption-set update --ids \"" + kRg +
                                     "diskEncryptionSets/des-cvm-a\""),
            std::string::npos);
}

TEST(CmkPlan, ReadyWhenEveryConfidentialVmIsStoppedOrDeallocated) {
  auto vms = nlohmann::json::parse(fixture("vms.json").text);
  for (auto& v : vms)
    if (v["name"] == "cvm-run-1" || v["name"] == "cvm-starting-4") v["powerState"] = "VM deallocated";
  auto plan = plan_for("des-cvm-a.json", {"vms.json", vms.dump()});
  EXPECT_TRUE(plan.ready);
  EXPECT_TRUE(plan.not_stopped.empty());
  EXPECT_EQ(step(plan, "Start the VMs"), nullptr);
  EXPECT_NE(cmk_plan_text(plan).find("READY"), std::string::npos);
}

TEST(CmkPlan, AnEphemeralOsDiskBlocksTheSharedDes) {
  auto plan = plan_for("des-shared-b.json");
  EXPECT_EQ(ids(plan.confidential), (std::vector<std::string>{vm("cvm-eph-6"), vm("cvm-other-9")}));
  EXPECT_EQ(ids(plan.others), std::vector<std::string>{vm("tl-app-7")});
  ASSERT_EQ(plan.blockers.size(), 1u);
  EXPECT_EQ(plan.blockers[0].vm_id, vm("cvm-eph-6"));
  EXPECT_NE(plan.blockers[0].reason.find("another DES or delete it"), std::string::npos);
  EXPECT_FALSE(plan.ready);
  EXPECT_EQ(plan.steps.front().title.rfind("Clear the blockers", 0), 0u);
}

TEST(CmkPlan, AutomaticRotationOnAConfidentialDesIsABlocker) {
  auto des = nlohmann::json::parse(fixture("des-cvm-a.json").text);
  des["rotationToLatestKeyVersionEnabled"] = true;
  auto inputs = read_cmk_inputs(fixture("vms.json"), fixture("disks.json"),
                                {"des.json", des.dump()}, std::nullopt);
  auto plan = build_cmk_plan(inputs);
  ASSERT_EQ(plan.blockers.size(), 1u);
  EXPECT_NE(plan.blockers[0].reason.find("--enable-auto-key-rotation false"), std::string::npos);
}

TEST(CmkPlan, AfterARotationListsDisksOnTheOldVersionAndTheRetry) {
  auto inputs = read_cmk_inputs(fixture("vms.json"), fixture("disks.json"),
                                fixture("des-cvm-a-after.json"), fixture("disks-after.json"));
  ASSERT_TRUE(inputs.errors.empty()) << inputs.errors.front();
  auto plan = build_cmk_plan(inputs);
  ASSERT_TRUE(plan.after_checked);
  ASSERT_EQ(plan.still_on_old_key.size(), 1u);
  EXPECT_EQ(plan.still_on_old_key[0].disk_id, kRg + "disks/cvm-stop-2_OsDisk_1");
  EXPECT_EQ(plan.still_on_old_key[0].key_version, "0b7e1c0d9a8f4e3b8c2a1d0e9f8a7b6c");
  EXPECT_EQ(plan.unverifiable_disks, std::vector<std::string>{kRg + "disks/cvm-starting-4_OsDisk_1"});
  const CmkStep* retry = step(plan, "Retry: save the DES again");
  ASSERT_NE(retry, nullptr);
  EXPECT_NE(retry->commands[0].find(
                "--key-url \"https://kv-cvm.vault.azure.net/keys/cvm-key/5d4c3b2a1f0e4d9c8b7a6f5e4d3c2b1a\""),
            std::string::npos);
}

TEST(CmkPlan, AfterARotationWithEveryDiskMovedThereIsNoRetry) {
  auto disks = nlohmann::json::parse(fixture("disks-after.json").text);
  for (auto& d : disks)
    if (d["name"] == "cvm-stop-2_OsDisk_1")
      d["encryption"]["keyUrl"] =
          "https://kv-cvm.vault.azure.net/keys/cvm-key/5d4c3b2a1f0e4d9c8b7a6f5e4d3c2b1a";
  auto inputs = read_cmk_inputs(fixture("vms.json"), fixture("disks.json"),
                                fixture("des-cvm-a-after.json"), NamedFile{"after.json", disks.dump()});
  auto plan = build_cmk_plan(inputs);
  EXPECT_TRUE(plan.still_on_old_key.empty());
  EXPECT_EQ(step(plan, "Retry"), nullptr);
}

TEST(CmkPlanInput, FilesThatAreNotWhatTheyClaimAreNamed) {
  auto errors_for = [](const NamedFile& vms, const NamedFile& disks, const NamedFile& des) {
    return read_cmk_inputs(vms, disks, des, std::nullopt).errors;
  };
  auto swapped = errors_for(fixture("disks.json"), fixture("vms.json"), fixture("des-cvm-a.json"));
  ASSERT_EQ(swapped.size(), 2u);
  // Given as --vms, disks.json lists disks; given as --disks, vms.json lists VMs.
  EXPECT_EQ(swapped[0].rfind("disks.json: [0].type: this file lists a managed disk", 0), 0u)
      << swapped[0];
  EXPECT_NE(swapped[0].find("should be the JSON array that `az vm list -d` prints"),
            std::string::npos);
  EXPECT_EQ(swapped[1].rfind("vms.json: [0].type: this file lists a VM", 0), 0u) << swapped[1];

  auto des_is_a_list = errors_for(fixture("vms.json"), fixture("disks.json"), fixture("vms.json"));
  ASSERT_EQ(des_is_a_list.size(), 1u);
  EXPECT_NE(des_is_a_list[0].find("expected one Disk Encryption Set"), std::string::npos);

  auto des = nlohmann::json::parse(fixture("des-cvm-a.json").text);
  des["activeKey"].erase("keyUrl");
  auto no_key = errors_for(fixture("vms.json"), fixture("disks.json"), {"d.json", des.dump()});
  ASSERT_EQ(no_key.size(), 1u);
  EXPECT_EQ(no_key[0], "d.json: activeKey.keyUrl: missing");

  auto vms = nlohmann::json::parse(fixture("vms.json").text);
  for (auto& v : vms) v.erase("powerState");
  auto not_d = errors_for({"v.json", vms.dump()}, fixture("disks.json"), fixture("des-cvm-a.json"));
  ASSERT_EQ(not_d.size(), 1u);
  EXPECT_NE(not_d[0].find("az vm list -d"), std::string::npos);

  vms = nlohmann::json::parse(fixture("vms.json").text);
  vms[2]["storageProfile"]["osDisk"]["managedDisk"]["securityProfile"]["diskEncryptionSet"]["id"] = 7;
  auto bad_field = errors_for({"v.json", vms.dump()}, fixture("disks.json"), fixture("des-cvm-a.json"));
  ASSERT_EQ(bad_field.size(), 1u);
  EXPECT_EQ(bad_field[0],
            "v.json: [2].storageProfile.osDisk.managedDisk.securityProfile.diskEncryptionSet.id: "
            "expected a string, found a number");

  auto broken = errors_for({"v.json", "[{\"id\": "}, fixture("disks.json"), fixture("des-cvm-a.json"));
  ASSERT_EQ(broken.size(), 1u);
  EXPECT_EQ(broken[0].rfind("v.json: not JSON", 0), 0u) << broken[0];
}

TEST(CmkPlanInput, PowerStatesAsAzPrintsThem) {
  EXPECT_EQ(power_state_from_text("VM running"), PowerState::running);
  EXPECT_EQ(power_state_from_text("VM stopped"), PowerState::stopped);
  EXPECT_EQ(power_state_from_text("VM deallocated"), PowerState::deallocated);
  EXPECT_EQ(power_state_from_text("PowerState/deallocated"), PowerState::deallocated);
  EXPECT_EQ(power_state_from_text("VM deallocating"), PowerState::transitioning);
  EXPECT_EQ(power_state_from_text("VM starting"), PowerState::transitioning);
  EXPECT_EQ(power_state_from_text(""), PowerState::unknown);
  EXPECT_EQ(power_state_from_text("VM hibernated"), PowerState::unknown);
}

}  // namespace
}  // namespace latchwatch::plan
