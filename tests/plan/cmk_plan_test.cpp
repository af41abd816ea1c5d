// The CMK rotation plan on a fleet exported as az prints it (tests/fixtures/plan, README there):
// confidential and trusted-launch VMs, running, stopped, deallocated and starting, a Uniform
// confidential scale set, ephemeral and managed OS disks, two Disk Encryption Sets, and the DES
// before, during and after a rotation.

#include "agent/plan/cmk_plan.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "agent/plan/cmk_command.h"
#include "probes/base/json_limits.h"
#include "tests/support/test_support.h"

namespace latchwatch::plan {
namespace {

const std::string kSub = "6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f";
const std::string kRg =
    "/subscriptions/" + kSub + "/resourceGroups/rg-cvm/providers/Microsoft.Compute/";
const std::string kPool = kRg + "virtualMachineScaleSets/cvm-pool/virtualMachines/";
const std::string kDes = kRg + "diskEncryptionSets/des-cvm-a";
const std::string kVault =
    "/subscriptions/" + kSub + "/resourceGroups/rg-cvm/providers/Microsoft.KeyVault/vaults/kv-cvm";
const std::string kOldKey =
    "https://kv-cvm.vault.azure.net/keys/cvm-key/0b7e1c0d9a8f4e3b8c2a1d0e9f8a7b6c";
const std::string kNewKey =
    "https://kv-cvm.vault.azure.net/keys/cvm-key/5d4c3b2a1f0e4d9c8b7a6f5e4d3c2b1a";

NamedFile fixture(const std::string& name) {
  return {name, testing::read_file(std::string(LATCHWATCH_FIXTURES_DIR) + "/plan/" + name)};
}

nlohmann::json json_fixture(const std::string& name) {
  return nlohmann::json::parse(fixture(name).text);
}

NamedFile named(const std::string& name, const nlohmann::json& doc) { return {name, doc.dump()}; }

std::string vm(const std::string& name) { return kRg + "virtualMachines/" + name; }

std::vector<std::string> ids(const std::vector<CmkVm>& vms) {
  std::vector<std::string> out;
  for (const auto& v : vms) out.push_back(v.id);
  return out;
}

/// The full set of exports for des-cvm-a: VMs, disks, the scale set, associated resources.
CmkFiles files_for(const std::string& des = "des-cvm-a.json") {
  CmkFiles f;
  f.vms = fixture("vms.json");
  f.disks = fixture("disks.json");
  f.des = fixture(des);
  f.vmss = {fixture("vmss-cvm-pool.json")};
  f.associated = fixture("associated-cvm-a.json");
  return f;
}

CmkPlan plan_of(const CmkFiles& files) {
  auto inputs = read_cmk_inputs(files);
  EXPECT_TRUE(inputs.errors.empty()) << inputs.errors.front();
  return build_cmk_plan(inputs);
}

std::vector<std::string> errors_of(const CmkFiles& files) { return read_cmk_inputs(files).errors; }

const CmkStep* step(const CmkPlan& plan, const std::string& title_start) {
  for (const auto& s : plan.steps)
    if (s.title.rfind(title_start, 0) == 0) return &s;
  return nullptr;
}

bool has_command(const CmkPlan& plan, const std::string& text) {
  for (const auto& s : plan.steps)
    for (const auto& c : s.commands)
      if (c == text) return true;
  return false;
}

/// Every VM in the export deallocated; both instances of the scale set deallocated.
CmkFiles all_stopped(CmkFiles f) {
  auto vms = nlohmann::json::parse(f.vms.text);
  for (auto& v : vms) v["powerState"] = "VM deallocated";
  f.vms = named("vms.json", vms);
  auto instances = nlohmann::json::parse(f.vmss[0].text);
  for (auto& i : instances)
    i["instanceView"]["statuses"][1] = {
        {"code", "PowerState/deallocated"}, {"level", "Info"}, {"displayStatus", "VM deallocated"}};
  f.vmss[0] = named("vmss-cvm-pool.json", instances);
  return f;
}

TEST(CmkPlan, ListsEveryConfidentialVmAndInstanceOnTheDesAndWhichAreNotStopped) {
  auto plan = plan_of(files_for());
  EXPECT_EQ(ids(plan.confidential),
            (std::vector<std::string>{vm("cvm-run-1"), vm("cvm-stop-2"), vm("cvm-dealloc-3"),
                                      vm("cvm-starting-4"), kPool + "0", kPool + "1"}));
  EXPECT_EQ(ids(plan.others), std::vector<std::string>{vm("tl-web-5")});
  // Stopped and deallocated both count as stopped; running and starting do not.
  EXPECT_EQ(ids(plan.not_stopped),
            (std::vector<std::string>{vm("cvm-run-1"), vm("cvm-starting-4"), kPool + "0"}));
  EXPECT_TRUE(plan.not_verified.empty());
  EXPECT_FALSE(plan.ready);
  EXPECT_FALSE(plan.complete());
  EXPECT_TRUE(plan.blockers.empty());
  EXPECT_EQ(plan.unattached_disks, std::vector<std::string>{kRg + "disks/orphan-data-1"});
  EXPECT_EQ(plan.snapshots, std::vector<std::string>{kRg + "snapshots/cvm-run-1-before-rotation"});

  const CmkStep* stop = step(plan, "Stop every confidential VM");
  ASSERT_NE(stop, nullptr);
  ASSERT_EQ(stop->commands.size(), 2u);
  EXPECT_EQ(stop->commands[0],
            "az vm deallocate --ids '" + vm("cvm-run-1") + "' '" + vm("cvm-starting-4") + "'");
  EXPECT_EQ(stop->commands[1], "az vmss deallocate --subscription '" + kSub +
                                   "' -g 'rg-cvm' -n 'cvm-pool' --instance-ids '0'");
  const CmkStep* start = step(plan, "Once the plan says DONE, start");
  ASSERT_NE(start, nullptr);
  EXPECT_EQ(start->commands[0].find("cvm-stop-2"), std::string::npos);
}

TEST(CmkPlan, ARunningUniformConfidentialInstanceBlocksReady) {
  CmkFiles f = all_stopped(files_for());
  auto instances = nlohmann::json::parse(f.vmss[0].text);
  instances[0]["instanceView"]["statuses"][1] = {
      {"code", "PowerState/running"}, {"level", "Info"}, {"displayStatus", "VM running"}};
  f.vmss[0] = named("vmss-cvm-pool.json", instances);
  auto plan = plan_of(f);
  EXPECT_EQ(ids(plan.not_stopped), std::vector<std::string>{kPool + "0"});
  EXPECT_FALSE(plan.ready);
  EXPECT_FALSE(plan.complete());
  EXPECT_NE(cmk_plan_text(plan).find("NOT READY"), std::string::npos);

  // The same fleet with that instance deallocated is ready.
  auto ready = plan_of(all_stopped(files_for()));
  EXPECT_TRUE(ready.ready);
  EXPECT_TRUE(ready.complete());
  EXPECT_TRUE(ready.not_stopped.empty());
  EXPECT_EQ(step(ready, "Once the plan says DONE"), nullptr);
  EXPECT_NE(cmk_plan_text(ready).find("Status: READY"), std::string::npos);
}

TEST(CmkPlan, UniformInstancesMissingFromTheExportsAreNotVerifiedStopped) {
  CmkFiles f = all_stopped(files_for());
  f.vmss.clear();  // az vm list -d never lists Uniform instances
  auto plan = plan_of(f);
  ASSERT_EQ(plan.not_verified.size(), 2u);
  const UnverifiedOwner& u = plan.not_verified[0];
  EXPECT_EQ(u.id, kPool + "0");
  EXPECT_EQ(u.kind, "scale-set instance");
  EXPECT_EQ(u.disks,
            std::vector<std::string>{
                kRg + "disks/cvm-pool_cvm-pool_0_OsDisk_1_6d72b805e50e4de6830303c5055077fc"});
  EXPECT_EQ(u.commands[0],
            "az vmss get-instance-view --subscription '" + kSub +
                "' -g 'rg-cvm' -n 'cvm-pool' --instance-id '0' --query "
                "\"statuses[?starts_with(code,'PowerState/')].displayStatus\" -o tsv");
  EXPECT_NE(u.commands[1].find("az vmss list-instances"), std::string::npos);
  EXPECT_FALSE(plan.ready) << "every VM in the exports is stopped, but two owners are unknown";
  EXPECT_FALSE(plan.complete());
  std::string text = cmk_plan_text(plan);
  EXPECT_NE(text.find("Not verified stopped"), std::string::npos);
  EXPECT_NE(text.find(kPool + "1"), std::string::npos);
  EXPECT_NE(step(plan, "Check the owners not verified stopped"), nullptr);
}

TEST(CmkPlan, AnOwnerInAnotherScopeIsNotVerifiedStopped) {
  CmkFiles f = all_stopped(files_for());
  auto disks = nlohmann::json::parse(f.disks.text);
  auto far = disks[0];
  std::string owner =
      "/subscriptions/" + kSub +
      "/resourceGroups/RG-OTHER/providers/Microsoft.Compute/virtualMachines/cvm-far-10";
  far["id"] = "/subscriptions/" + kSub +
              "/resourceGroups/rg-other/providers/Microsoft.Compute/disks/cvm-far-10_OsDisk_1";
  far["name"] = "cvm-far-10_OsDisk_1";
  far["managedBy"] = owner;
  disks.push_back(far);
  f.disks = named("disks.json", disks);
  auto plan = plan_of(f);
  ASSERT_EQ(plan.not_verified.size(), 1u);
  EXPECT_EQ(plan.not_verified[0].id, owner);
  EXPECT_EQ(plan.not_verified[0].kind, "VM");
  EXPECT_EQ(
      plan.not_verified[0].commands[0],
      "az vm get-instance-view --ids '" + owner +
          "' --query \"instanceView.statuses[?starts_with(code,'PowerState/')].displayStatus\" "
          "-o tsv");
  EXPECT_FALSE(plan.ready);
}

TEST(CmkPlan, AssociatedResourcesOutsideTheExportsAreAccountedFor) {
  CmkFiles f = all_stopped(files_for());
  auto associated = nlohmann::json::parse(f.associated->text);
  const std::string lost = kRg + "disks/lost-data-7";
  const std::string other_set = kRg + "virtualMachineScaleSets/cvm-batch";
  associated.push_back(lost);
  associated.push_back(other_set);
  f.associated = named("associated.json", associated);
  auto plan = plan_of(f);
  ASSERT_EQ(plan.not_verified.size(), 2u);
  EXPECT_EQ(plan.not_verified[0].id, lost);
  EXPECT_EQ(plan.not_verified[0].kind, "disk");
  EXPECT_EQ(plan.not_verified[0].commands[0],
            "az disk show --ids '" + lost + "' --query \"[managedBy, managedByExtended]\" -o json");
  EXPECT_EQ(plan.not_verified[1].kind, "scale set");
  EXPECT_NE(plan.not_verified[1].commands[0].find("-n 'cvm-batch' --expand instanceView"),
            std::string::npos);
  EXPECT_FALSE(plan.ready);

  // The REST body of the same list (az rest) reads the same.
  f.associated =
      named("associated.json", nlohmann::json{{"value", associated}, {"nextLink", nullptr}});
  EXPECT_EQ(plan_of(f).not_verified.size(), 2u);
}

TEST(CmkPlan, StepsComeInOrderStopVerifyChangeVerifyStart) {
  auto plan = plan_of(files_for());
  std::vector<std::string> titles;
  for (const auto& s : plan.steps) titles.push_back(s.title.substr(0, s.title.find(' ')));
  EXPECT_EQ(titles, (std::vector<std::string>{"Stop", "Verify", "Create", "Verify", "Once"}));
  const CmkStep* change = step(plan, "Create the new key version");
  ASSERT_NE(change, nullptr);
  EXPECT_EQ(change->commands[0], "az keyvault key rotate --vault-name 'kv-cvm' --name 'cvm-key'");
  EXPECT_EQ(change->commands[2], "az disk-encryption-set update --ids '" + kDes +
                                     "' --key-url \"$NEW_KEY_URL\" --source-vault '" + kVault +
                                     "'");
  const CmkStep* verify = &plan.steps[3];
  EXPECT_NE(verify->commands.back().find("--new-key-url \"$NEW_KEY_URL\""), std::string::npos);
  EXPECT_NE(verify->commands.back().find("--vmss 'vmss-rg-cvm-cvm-pool.json'"), std::string::npos);
}

TEST(CmkPlan, PreviousKeysListedIsNotDoneAndGivesTheRetry) {
  CmkFiles f = all_stopped(files_for("des-cvm-a-rotating.json"));
  f.new_key_url = kNewKey;
  auto plan = plan_of(f);
  EXPECT_EQ(plan.rotation, RotationState::old_key_referenced);
  EXPECT_FALSE(plan.complete());
  EXPECT_EQ(plan.des.previous_key_urls, std::vector<std::string>{kOldKey});
  const CmkStep* retry = step(plan, "Retry: save the DES again with the same new key");
  ASSERT_NE(retry, nullptr);
  const std::string update = "az disk-encryption-set update --ids '" + kDes + "' --key-url '" +
                             kNewKey + "' --source-vault '" + kVault + "'";
  EXPECT_EQ(retry->commands, std::vector<std::string>{update});
  std::string text = cmk_plan_text(plan);
  EXPECT_NE(text.find("NOT DONE: the old key is still referenced"), std::string::npos) << text;
  EXPECT_NE(text.find("READY for it"), std::string::npos);
  EXPECT_NE(text.find(update), std::string::npos);
  EXPECT_NE(text.find("last rotated:  2026-11-30T09:14:03.5512345+00:00"), std::string::npos);

  // Without --new-key-url the DES's own active key is the "same new key" of the retry.
  f.new_key_url.clear();
  auto unnamed = plan_of(f);
  EXPECT_EQ(unnamed.rotation, RotationState::old_key_referenced);
  EXPECT_FALSE(unnamed.complete()) << "ready, but the old key is still referenced";
  EXPECT_TRUE(has_command(unnamed, update));

  // While confidential VMs run, the retry is still given, after the stop step.
  CmkFiles running = files_for("des-cvm-a-rotating.json");
  running.new_key_url = kNewKey;
  auto busy = plan_of(running);
  EXPECT_FALSE(busy.ready);
  EXPECT_NE(cmk_plan_text(busy).find("NOT READY for it"), std::string::npos);
  EXPECT_TRUE(has_command(busy, update));
  EXPECT_EQ(busy.steps.front().title.rfind("Stop every confidential VM", 0), 0u);
}

TEST(CmkPlan, PreviousKeysEmptyWithTheNewActiveKeyIsDone) {
  CmkFiles f = files_for("des-cvm-a-after.json");
  f.new_key_url = kNewKey + "/";  // a trailing slash or other case names the same version
  auto plan = plan_of(f);
  EXPECT_EQ(plan.rotation, RotationState::done);
  EXPECT_TRUE(plan.complete()) << "done, even with VMs started again";
  EXPECT_TRUE(plan.steps.empty());
  std::string text = cmk_plan_text(plan);
  EXPECT_NE(text.find("Status: DONE"), std::string::npos) << text;
  EXPECT_NE(text.find("last rotated:  2026-11-30T09:14:03.5512345+00:00"), std::string::npos);
  auto doc = cmk_plan_document(plan);
  EXPECT_EQ(doc["rotation"]["state"], "done");
  EXPECT_EQ(doc["des"]["last_key_rotation_timestamp"], "2026-11-30T09:14:03.5512345+00:00");
  EXPECT_EQ(doc["des"]["previous_key_urls"], nlohmann::json::array());
}

TEST(CmkPlan, TheOldActiveKeyIsNotDone) {
  // The DES was never saved with the new key: previousKeys is empty, but that proves nothing.
  CmkFiles f = all_stopped(files_for("des-cvm-a.json"));
  f.new_key_url = kNewKey;
  auto plan = plan_of(f);
  EXPECT_EQ(plan.rotation, RotationState::new_key_not_active);
  EXPECT_FALSE(plan.complete());
  const CmkStep* save = step(plan, "Save the DES with the new key");
  ASSERT_NE(save, nullptr);
  EXPECT_NE(save->commands[0].find("--key-url '" + kNewKey + "'"), std::string::npos);
  EXPECT_NE(cmk_plan_text(plan).find("NOT DONE: the DES's active key is not the new version"),
            std::string::npos);
}

TEST(CmkPlan, TheBeforeExportNamesTheNewKeyByComparison) {
  CmkFiles f = all_stopped(files_for("des-cvm-a-rotating.json"));
  f.before = fixture("des-cvm-a.json");
  auto rotating = plan_of(f);
  EXPECT_EQ(rotating.new_key_url, kNewKey);
  EXPECT_EQ(rotating.rotation, RotationState::old_key_referenced);
  EXPECT_FALSE(rotating.complete());
  EXPECT_TRUE(has_command(rotating, "az disk-encryption-set update --ids '" + kDes +
                                        "' --key-url '" + kNewKey + "' --source-vault '" + kVault +
                                        "'"));

  f.des = fixture("des-cvm-a-after.json");
  auto done = plan_of(f);
  EXPECT_EQ(done.rotation, RotationState::done);
  EXPECT_TRUE(done.complete());

  f.des = fixture("des-cvm-a.json");  // never saved with a new key
  auto unchanged = plan_of(f);
  EXPECT_EQ(unchanged.rotation, RotationState::new_key_not_active);
  EXPECT_FALSE(unchanged.complete());
  EXPECT_NE(step(unchanged, "Create the new key version"), nullptr);
  EXPECT_NE(cmk_plan_text(unchanged).find("still the one in the --before export"),
            std::string::npos);

  f.before = fixture("des-shared-b.json");
  auto errors = errors_of(f);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("des-shared-b.json: id: another Disk Encryption Set than --des", 0), 0u)
      << errors[0];
}

TEST(CmkPlan, AnEphemeralOsDiskBlocksTheSharedDes) {
  CmkFiles f;
  f.vms = fixture("vms.json");
  f.disks = fixture("disks.json");
  f.des = fixture("des-shared-b.json");
  auto plan = plan_of(f);
  EXPECT_EQ(ids(plan.confidential), (std::vector<std::string>{vm("cvm-eph-6"), vm("cvm-other-9")}));
  EXPECT_EQ(ids(plan.others), std::vector<std::string>{vm("tl-app-7")});
  ASSERT_EQ(plan.blockers.size(), 1u);
  EXPECT_EQ(plan.blockers[0].vm_id, vm("cvm-eph-6"));
  EXPECT_NE(plan.blockers[0].reason.find("another DES or delete it"), std::string::npos);
  EXPECT_FALSE(plan.ready);
  EXPECT_EQ(plan.steps.front().title.rfind("Clear the blockers", 0), 0u);
}

TEST(CmkPlan, AutomaticRotationOnAConfidentialDesIsABlocker) {
  CmkFiles f = files_for();
  auto des = json_fixture("des-cvm-a.json");
  des["rotationToLatestKeyVersionEnabled"] = true;
  f.des = named("des.json", des);
  auto plan = plan_of(f);
  ASSERT_EQ(plan.blockers.size(), 1u);
  EXPECT_NE(plan.blockers[0].reason.find("az disk-encryption-set update --ids '" + kDes +
                                         "' --enable-auto-key-rotation false"),
            std::string::npos);
}

TEST(CmkPlanInput, RealShapesWithNullsAndExtraFieldsAreAccepted) {
  CmkFiles f = files_for("des-cvm-a-rotating.json");
  auto des = nlohmann::json::parse(f.des.text);
  des["autoKeyRotationError"] = nullptr;
  des["federatedClientId"] = nullptr;
  des["someFutureField"] = {{"nested", {1, 2, 3}}};
  f.des = named("des.json", des);
  auto vms = nlohmann::json::parse(f.vms.text);
  vms[7]["securityProfile"] = nullptr;  // std-8 as az prints a standard VM
  vms[0]["storageProfile"]["dataDisks"] = nullptr;
  vms[1]["powerState"] = "";  // az -d joins no PowerState/ status into ""
  f.vms = named("vms.json", vms);
  auto disks = nlohmann::json::parse(f.disks.text);
  disks[0]["managedByExtended"] = nullptr;
  disks[9]["managedBy"] = nullptr;
  f.disks = named("disks.json", disks);
  auto instances = nlohmann::json::parse(f.vmss[0].text);
  instances[0]["type"] = "Microsoft.Compute/virtualMachines";  // the spec examples' spelling
  instances[1]["zones"] = nullptr;
  f.vmss[0] = named("vmss.json", instances);
  auto inputs = read_cmk_inputs(f);
  ASSERT_TRUE(inputs.errors.empty()) << inputs.errors.front();
  auto plan = build_cmk_plan(inputs);
  EXPECT_EQ(plan.confidential.size(), 6u);
  EXPECT_EQ(plan.confidential[1].power, PowerState::unknown);
  EXPECT_EQ(plan.unattached_disks.size(), 1u);
}

TEST(CmkPlanInput, AnExportValueThatFailsItsCheckNeverReachesACommand) {
  CmkFiles f = files_for();
  auto disks = nlohmann::json::parse(f.disks.text);
  disks[0]["managedBy"] = kPool + "0$(curl evil)";
  f.disks = named("disks.json", disks);
  auto errors = errors_of(f);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("disks.json: [0].managedBy: not an Azure resource id: '", 0), 0u)
      << errors[0];

  auto des = json_fixture("des-cvm-a.json");
  des["activeKey"]["keyUrl"] = "https://kv-cvm.vault.azure.net/keys/cvm-key";  // no version
  f = files_for();
  f.des = named("des.json", des);
  errors = errors_of(f);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("des.json: activeKey.keyUrl: not a versioned Key Vault key URL", 0),
            0u);

  f = files_for();
  f.new_key_url = "https://kv-cvm.vault.azure.net/keys/cvm-key/v2';rm -rf ~'";
  errors = errors_of(f);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("--new-key-url: not a versioned Key Vault key URL", 0), 0u);
}

TEST(CmkPlanInput, CommandsQuoteEveryValueByCode) {
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote("a\nb"), "'a?b'");
  AzCommand bad("az vm deallocate");
  bad.resource_id("--ids", "/subscriptions/x/resourceGroups/rg;reboot");
  EXPECT_FALSE(bad.complete());
  EXPECT_EQ(bad.str(), "az vm deallocate --ids <invalid resource id>");
  AzCommand good("az vmss start");
  good.name("-n", "pool").names("--instance-ids", std::vector<std::string>{"1", "2"});
  EXPECT_TRUE(good.complete());
  EXPECT_EQ(good.str(), "az vmss start -n 'pool' --instance-ids '1' '2'");
  EXPECT_TRUE(is_versioned_key_url(kNewKey));
  EXPECT_FALSE(is_versioned_key_url("https://kv-cvm.vault.azure.net/keys/cvm-key"));
  EXPECT_TRUE(same_key_url(
      kNewKey, "HTTPS://KV-CVM.vault.azure.net/keys/cvm-key/5D4C3B2A1F0E4D9C8B7A6F5E4D3C2B1A/"));
  EXPECT_FALSE(same_key_url(kNewKey, kOldKey));
}

TEST(CmkPlanInput, FilesThatAreNotWhatTheyClaimAreNamed) {
  CmkFiles f = files_for();
  std::swap(f.vms, f.disks);
  auto swapped = errors_of(f);
  ASSERT_EQ(swapped.size(), 2u);
  // Given as --vms, disks.json lists disks; given as --disks, vms.json lists VMs.
  EXPECT_EQ(swapped[0].rfind("disks.json: [0].type: this file lists a managed disk", 0), 0u)
      << swapped[0];
  EXPECT_NE(swapped[0].find("should be the JSON array that `az vm list -d` prints"),
            std::string::npos);
  EXPECT_EQ(swapped[1].rfind("vms.json: [0].type: this file lists a VM", 0), 0u) << swapped[1];

  f = files_for();
  f.des = fixture("vms.json");
  auto des_is_a_list = errors_of(f);
  ASSERT_EQ(des_is_a_list.size(), 1u);
  EXPECT_NE(des_is_a_list[0].find("expected one Disk Encryption Set"), std::string::npos);

  auto des = json_fixture("des-cvm-a.json");
  des["activeKey"].erase("keyUrl");
  f = files_for();
  f.des = named("d.json", des);
  auto no_key = errors_of(f);
  ASSERT_EQ(no_key.size(), 1u);
  EXPECT_EQ(no_key[0], "d.json: activeKey.keyUrl: missing");

  auto vms = json_fixture("vms.json");
  for (auto& v : vms) v.erase("powerState");
  f = files_for();
  f.vms = named("v.json", vms);
  auto not_d = errors_of(f);
  ASSERT_EQ(not_d.size(), 1u);
  EXPECT_NE(not_d[0].find("az vm list -d"), std::string::npos);

  vms = json_fixture("vms.json");
  vms[2]["storageProfile"]["osDisk"]["managedDisk"]["securityProfile"]["diskEncryptionSet"]["id"] =
      7;
  f.vms = named("v.json", vms);
  auto bad_field = errors_of(f);
  ASSERT_EQ(bad_field.size(), 1u);
  EXPECT_EQ(bad_field[0],
            "v.json: [2].storageProfile.osDisk.managedDisk.securityProfile.diskEncryptionSet.id: "
            "expected a string, found a number");

  f.vms = {"v.json", "[{\"id\": "};
  auto broken = errors_of(f);
  ASSERT_EQ(broken.size(), 1u);
  EXPECT_EQ(broken[0].rfind("v.json: not JSON", 0), 0u) << broken[0];

  auto instances = json_fixture("vmss-cvm-pool.json");
  for (auto& i : instances) i.erase("instanceView");
  f = files_for();
  f.vmss = {named("s.json", instances)};
  auto no_view = errors_of(f);
  ASSERT_EQ(no_view.size(), 1u);
  EXPECT_NE(no_view[0].find("s.json: no instance has instanceView.statuses"), std::string::npos);

  f = files_for();
  f.vmss = {fixture("disks.json")};
  auto vmss_swapped = errors_of(f);
  ASSERT_EQ(vmss_swapped.size(), 1u);
  EXPECT_EQ(vmss_swapped[0].rfind("disks.json: [0].type: this file lists a managed disk", 0), 0u);

  f = files_for();
  f.associated = named("a.json", nlohmann::json::array({kDes, 42}));
  auto bad_id = errors_of(f);
  ASSERT_EQ(bad_id.size(), 1u);
  EXPECT_EQ(bad_id[0], "a.json: [1]: expected a string, found a number");
  f.associated = fixture("des-cvm-a.json");
  auto not_list = errors_of(f);
  ASSERT_EQ(not_list.size(), 1u);
  EXPECT_NE(not_list[0].find("list-associated-resources"), std::string::npos);
}

TEST(CmkPlanInput, ALargeExportParsedInPartsReadsAsOneFile) {
  // Over 16 MiB, the VM export parses in parts on several cores; paths, indexes and errors must
  // be those of the whole file.
  auto vms = json_fixture("vms.json");
  nlohmann::json fleet = nlohmann::json::array();
  for (int i = 0; i < 5000; ++i) {
    auto copy = vms[0];
    std::string name = "cvm-" + std::to_string(i);
    copy["id"] = vm(name);
    copy["name"] = name;
    fleet.push_back(copy);
  }
  std::string text = fleet.dump(2);
  ASSERT_GT(text.size(), 16u << 20);
  CmkFiles f = files_for();
  f.vms = {"big.json", text};
  auto plan = plan_of(f);
  EXPECT_EQ(plan.confidential.size(), 5000u + 2u);  // and the two scale-set instances
  EXPECT_EQ(plan.confidential[4999].id, vm("cvm-4999"));

  fleet[4321]["powerState"] = 5;
  f.vms = {"big.json", fleet.dump(2)};
  auto errors = errors_of(f);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "big.json: [4321].powerState: expected a string, found a number");

  fleet[4321]["powerState"] = "VM running";
  std::string broken = fleet.dump(2);
  broken.insert(broken.find("\"name\": \"cvm-4500\""), "}");  // between members: not JSON
  f.vms = {"big.json", broken};
  std::string whole_error;
  probes::parse_untrusted_json(broken, whole_error);
  errors = errors_of(f);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "big.json: " + whole_error);
  EXPECT_EQ(errors[0].rfind("big.json: not JSON: ", 0), 0u) << errors[0];
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
