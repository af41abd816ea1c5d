// `latchwatch plan cmk-rotation` as the owner runs it: the real binary on the real-shaped az
// exports in tests/fixtures/plan, its exit codes (0 ready or done, 1 not yet, 3 unusable input),
// its JSON, and its errors.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"

namespace latchwatch {
namespace {

using testing::run_latchwatch;
using testing::TempDir;
using testing::write_file;

const std::string kNewKey =
    "https://kv-cvm.vault.azure.net/keys/cvm-key/5d4c3b2a1f0e4d9c8b7a6f5e4d3c2b1a";
const std::string kPool =
    "/subscriptions/6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f/resourceGroups/rg-cvm/providers/"
    "Microsoft.Compute/virtualMachineScaleSets/cvm-pool/virtualMachines/";

std::string fixture(const std::string& name) {
  return std::string(LATCHWATCH_FIXTURES_DIR) + "/plan/" + name;
}

std::vector<std::string> cmk(const std::string& des, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"plan",    "cmk-rotation",        "--vms", fixture("vms.json"),
                                   "--disks", fixture("disks.json"), "--des", fixture(des)};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

/// The fixture fleet with every VM and instance deallocated, written to `dir`.
void write_stopped_fleet(TempDir& dir) {
  auto vms = nlohmann::json::parse(testing::read_file(fixture("vms.json")));
  for (auto& v : vms) v["powerState"] = "VM deallocated";
  write_file(dir / "vms.json", vms.dump());
  auto instances = nlohmann::json::parse(testing::read_file(fixture("vmss-cvm-pool.json")));
  for (auto& i : instances)
    i["instanceView"]["statuses"][1] = {
        {"code", "PowerState/deallocated"}, {"level", "Info"}, {"displayStatus", "VM deallocated"}};
  write_file(dir / "vmss.json", instances.dump());
}

TEST(CmkPlanCommand, NotReadyWhileConfidentialVmsRunOrOwnersAreUnknown) {
  auto text = run_latchwatch(cmk("des-cvm-a.json"));
  EXPECT_EQ(text.exit_code, 1) << text.err;
  EXPECT_NE(text.out.find("NOT READY"), std::string::npos);
  EXPECT_NE(text.out.find("Not verified stopped"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("az vmss get-instance-view --subscription"), std::string::npos);

  auto json =
      run_latchwatch(cmk("des-cvm-a.json", {"--json", "--vmss", fixture("vmss-cvm-pool.json"),
                                            "--associated", fixture("associated-cvm-a.json")}));
  EXPECT_EQ(json.exit_code, 1) << json.err;
  auto doc = nlohmann::json::parse(json.out);
  EXPECT_EQ(doc["schema_version"], 2);
  EXPECT_EQ(doc["rotation"]["state"], "not_checked");
  EXPECT_EQ(doc["not_verified_stopped"].size(), 0u);
  bool pool_running = false;
  for (const auto& vm : doc["not_stopped"])
    pool_running |= vm["id"] == kPool + "0" && vm["kind"] == "scale_set_instance";
  EXPECT_TRUE(pool_running) << doc["not_stopped"].dump();
}

TEST(CmkPlanCommand, ARunningUniformInstanceIsTheOnlyThingBetweenNotReadyAndReady) {
  TempDir dir;
  write_stopped_fleet(dir);
  std::vector<std::string> base = {"plan",         "cmk-rotation",
                                   "--vms",        dir / "vms.json",
                                   "--disks",      fixture("disks.json"),
                                   "--des",        fixture("des-cvm-a.json"),
                                   "--associated", fixture("associated-cvm-a.json")};
  auto ready = base;
  ready.insert(ready.end(), {"--vmss", dir / "vmss.json"});
  auto ok = run_latchwatch(ready);
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("Status: READY"), std::string::npos);

  // The same fleet, the scale set's export as az printed it (instance 0 running).
  auto running = base;
  running.insert(running.end(), {"--vmss", fixture("vmss-cvm-pool.json")});
  auto blocked = run_latchwatch(running);
  EXPECT_EQ(blocked.exit_code, 1);
  EXPECT_NE(blocked.out.find(kPool + "0  running"), std::string::npos) << blocked.out;

  // Without the scale set's export its instances are not verified stopped.
  auto unknown = run_latchwatch(base);
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.out.find("2 owners not verified"), std::string::npos) << unknown.out;
}

TEST(CmkPlanCommand, OldKeyStillReferencedIsNotDoneAndDoneIsZero) {
  auto retry =
      run_latchwatch(cmk("des-cvm-a-rotating.json",
                         {"--vmss", fixture("vmss-cvm-pool.json"), "--new-key-url", kNewKey}));
  EXPECT_EQ(retry.exit_code, 1) << retry.err;
  EXPECT_NE(retry.out.find("NOT DONE: the old key is still referenced"), std::string::npos);
  EXPECT_NE(retry.out.find("az disk-encryption-set update --ids '/subscriptions/"
                           "6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f/resourceGroups/rg-cvm/providers/"
                           "Microsoft.Compute/diskEncryptionSets/des-cvm-a' --key-url '" +
                           kNewKey + "'"),
            std::string::npos)
      << retry.out;

  auto done = run_latchwatch(cmk("des-cvm-a-after.json", {"--new-key-url", kNewKey, "--json"}));
  EXPECT_EQ(done.exit_code, 0) << done.err;
  auto doc = nlohmann::json::parse(done.out);
  EXPECT_EQ(doc["rotation"]["state"], "done");
  EXPECT_EQ(doc["des"]["last_key_rotation_timestamp"], "2026-11-30T09:14:03.5512345+00:00");

  // Naming the new key by the DES as exported before the rotation.
  auto by_before =
      run_latchwatch(cmk("des-cvm-a-after.json", {"--before", fixture("des-cvm-a.json")}));
  EXPECT_EQ(by_before.exit_code, 0) << by_before.out << by_before.err;
  EXPECT_NE(by_before.out.find("Status: DONE"), std::string::npos);

  // The DES before the rotation, with the new key named: not done.
  auto before = run_latchwatch(cmk("des-cvm-a.json", {"--new-key-url", kNewKey}));
  EXPECT_EQ(before.exit_code, 1);
  EXPECT_NE(before.out.find("active key is not the new version"), std::string::npos);
}

TEST(CmkPlanCommand, RejectsWhatItCannotRead) {
  auto missing = run_latchwatch({"plan", "cmk-rotation", "--vms", fixture("vms.json")});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.err.find("needs --vms, --disks and --des"), std::string::npos);
  auto swapped =
      run_latchwatch({"plan", "cmk-rotation", "--vms", fixture("des-cvm-a.json"), "--disks",
                      fixture("disks.json"), "--des", fixture("des-cvm-a.json")});
  EXPECT_EQ(swapped.exit_code, 3);
  EXPECT_NE(swapped.err.find(fixture("des-cvm-a.json") +
                             ": expected the JSON array that `az vm list -d` prints, found a Disk "
                             "Encryption Set"),
            std::string::npos)
      << swapped.err;
  EXPECT_TRUE(swapped.out.empty());
  auto bad_key = run_latchwatch(cmk("des-cvm-a.json", {"--new-key-url", "$(reboot)"}));
  EXPECT_EQ(bad_key.exit_code, 3);
  EXPECT_NE(bad_key.err.find("--new-key-url: not a versioned Key Vault key URL"),
            std::string::npos);
  EXPECT_TRUE(bad_key.out.empty());
  auto vmss_missing = run_latchwatch(cmk("des-cvm-a.json", {"--vmss", fixture("nope.json")}));
  EXPECT_EQ(vmss_missing.exit_code, 3);
  EXPECT_NE(vmss_missing.err.find("nope.json: No such file"), std::string::npos);
}

}  // namespace
}  // namespace latchwatch
