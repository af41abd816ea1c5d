// IMDS GET /metadata/instance: the identity the owner's reset needs (domain brief §7, §8).

#include "probes/payloads/imds_instance.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"

namespace latchwatch::probes {
namespace {

using json = nlohmann::json;

std::string peer_fixture(const std::string& name) {
  return testing::read_file(std::string(LATCHWATCH_FIXTURES_DIR) + "/peers/" + name);
}

ImdsCompute parse_ok(const std::string& body) {
  auto c = parse_imds_instance(body);
  EXPECT_TRUE(c) << c.error;
  return c ? *c.value : ImdsCompute{};
}

TEST(ImdsInstanceTest, OldApiVersionFixture) {
  auto c = parse_ok(peer_fixture("WALinuxAgent_valid.json"));
  EXPECT_TRUE(c.resource_id.empty()) << "older api-versions have no resourceId";
  EXPECT_EQ(c.subscription_id, "21b2dc34-bce6-4e63-9449-d2a8d1c2339e");
  EXPECT_EQ(c.resource_group_name, "tests");
  EXPECT_EQ(c.name, "health");
  EXPECT_TRUE(c.vm_scale_set_name.empty());
  EXPECT_EQ(c.vm_id, "e7fdbfc4-2deb-4a4e-8615-ea6aaf50162e");
  EXPECT_EQ(c.location, "westus");
  EXPECT_TRUE(c.security_type.empty());
  EXPECT_FALSE(c.ephemeral_os_disk);
}

TEST(ImdsInstanceTest, ConfidentialVmInAScaleSetFixture) {
  auto c = parse_ok(peer_fixture("WALinuxAgent_cvm_metadata.json"));
  EXPECT_EQ(c.security_type, "ConfidentialVM");
  EXPECT_EQ(c.vm_scale_set_name, "crpteste9vflji9");
  EXPECT_EQ(c.resource_id,
            "/subscriptions/xxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxx/resourceGroups/macikgo-test-may-23/"
            "providers/Microsoft.Compute/virtualMachines/examplevmname");
  EXPECT_EQ(c.resource_group_name, "macikgo-test-may-23");
  EXPECT_EQ(c.name, "examplevmname");
  EXPECT_EQ(c.vm_id, "02aab8a4-74ef-476e-8182-f6d2ba4166a6");
}

TEST(ImdsInstanceTest, TrustedLaunchFixture) {
  auto c = parse_ok(peer_fixture("WALinuxAgent_trusted_vm_metadata.json"));
  EXPECT_EQ(c.security_type, "TrustedLaunch");
  EXPECT_FALSE(c.ephemeral_os_disk);
}

TEST(ImdsInstanceTest, BareComputeObjectGivesTheSameResultAsTheWrappedDocument) {
  // /metadata/instance wraps compute; /metadata/instance/compute answers with it alone (as the
  // CVM and trusted-launch fixtures do).
  auto wrapped = json::parse(peer_fixture("WALinuxAgent_valid.json"));
  ASSERT_TRUE(wrapped.contains("compute"));
  EXPECT_EQ(json(parse_ok(wrapped["compute"].dump())), json(parse_ok(wrapped.dump())));

  auto bare = json::parse(peer_fixture("WALinuxAgent_cvm_metadata.json"));
  ASSERT_FALSE(bare.contains("compute"));
  json rewrapped = {{"compute", bare}, {"network", json::object()}};
  EXPECT_EQ(json(parse_ok(rewrapped.dump())), json(parse_ok(bare.dump())));

  EXPECT_EQ(parse_ok(R"({"name":"vm1"})").name, "vm1");
  EXPECT_EQ(parse_ok(R"({"vmId":"D0A1B2C3-0000-4000-8000-00000000000A"})").vm_id,
            "d0a1b2c3-0000-4000-8000-00000000000a")
      << "vmId is lower-cased";
  EXPECT_EQ(parse_ok(R"({"vmId":"ABC"})").vm_id, "") << "a vmId that is no GUID is dropped";
}

TEST(ImdsInstanceTest, EphemeralOsDiskOnlyForLocalInAnyCase) {
  auto with_option = [](const std::string& option) {
    return R"({"compute":{"vmId":"x","storageProfile":{"osDisk":{"diffDiskSettings":{"option":)" +
           option + "}}}}}";
  };
  EXPECT_TRUE(parse_ok(with_option(R"("Local")")).ephemeral_os_disk);
  EXPECT_TRUE(parse_ok(with_option(R"("local")")).ephemeral_os_disk);
  EXPECT_FALSE(parse_ok(with_option(R"("")")).ephemeral_os_disk);
  EXPECT_FALSE(parse_ok(with_option(R"("CacheDisk")")).ephemeral_os_disk);
  EXPECT_FALSE(parse_ok(with_option("true")).ephemeral_os_disk);
  EXPECT_FALSE(parse_ok(with_option("null")).ephemeral_os_disk);
  EXPECT_FALSE(
      parse_ok(R"({"compute":{"vmId":"x","storageProfile":{"osDisk":{"diffDiskSettings":[]}}}})")
          .ephemeral_os_disk);
}

TEST(ImdsInstanceTest, WrongTypesInsideAreLeftEmptyNeverACrash) {
  auto c = parse_ok(R"({"compute":{"vmId":7,"name":["a"],"location":{"x":1},
      "securityProfile":"ConfidentialVM","storageProfile":3,"resourceId":null}})");
  EXPECT_TRUE(c.vm_id.empty());
  EXPECT_TRUE(c.name.empty());
  EXPECT_TRUE(c.location.empty());
  EXPECT_TRUE(c.security_type.empty());
  EXPECT_TRUE(c.resource_id.empty());
  EXPECT_FALSE(c.ephemeral_os_disk);
}

TEST(ImdsInstanceTest, TextIsSanitisedAndBounded) {
  auto c = parse_ok(R"({"compute":{"vmId":"x","name":"vm\u0007\u001b[0m",
                        "location":")" +
                    std::string(5000, 'w') + R"("}})");
  EXPECT_EQ(c.name, "") << "control characters: not a VM name, dropped on arrival";
  ASSERT_GE(c.rejected.size(), 1u);
  EXPECT_EQ(c.rejected.front().field, "name");
  EXPECT_EQ(c.rejected.front().shown, "vm??[0m");
  EXPECT_LE(c.location.size(), 512u + 3u);
  EXPECT_NO_THROW((void)json(c).dump());
}

TEST(ImdsInstanceTest, WhatIsNotAnInstanceDocumentIsRefusedWithAReason) {
  struct Case {
    std::string body;
    std::string error_part;
  };
  for (const auto& c :
       {Case{R"({"network":{}})", "no /compute object"},
        Case{R"({"compute":"x"})", "/compute must be an object"},
        Case{R"({"compute":null})", "/compute must be an object"}, Case{"[]", "not a JSON object"},
        Case{"<html>", "not JSON"}, Case{"", "not JSON"},
        Case{"{\"compute\":{\"name\":\"\xc3\x28\"}}", "not JSON"},
        Case{std::string(65, '[') + std::string(65, ']'), "deeper than 64"}}) {
    auto r = parse_imds_instance(c.body);
    EXPECT_FALSE(r) << c.body;
    EXPECT_NE(r.error.find(c.error_part), std::string::npos) << c.body << " -> " << r.error;
  }
}

TEST(ImdsInstanceTest, EveryTruncationIsRefusedWithoutThrowing) {
  const auto full = peer_fixture("WALinuxAgent_cvm_metadata.json");
  const std::size_t last_brace = full.rfind('}');
  for (std::size_t cut = 0; cut < last_brace; cut += 13) {
    Parsed<ImdsCompute> c;
    EXPECT_NO_THROW(c = parse_imds_instance(full.substr(0, cut)));
    EXPECT_FALSE(c) << cut;
  }
}

TEST(ImdsInstanceTest, SummaryUsesImdsCamelCaseKeys) {
  json j = parse_ok(peer_fixture("WALinuxAgent_cvm_metadata.json"));
  EXPECT_EQ(j, (json{{"resourceId",
                      "/subscriptions/xxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxx/resourceGroups/"
                      "macikgo-test-may-23/providers/Microsoft.Compute/virtualMachines/"
                      "examplevmname"},
                     // WALinuxAgent's fixture masks the subscription: no GUID, so dropped.
                     {"subscriptionId", ""},
                     {"rejectedFields",
                      json::array({{{"field", "subscriptionId"}, {"expected", "a GUID"}}})},
                     {"resourceGroupName", "macikgo-test-may-23"},
                     {"name", "examplevmname"},
                     {"vmScaleSetName", "crpteste9vflji9"},
                     {"vmId", "02aab8a4-74ef-476e-8182-f6d2ba4166a6"},
                     {"location", "westus"},
                     {"securityType", "ConfidentialVM"},
                     {"azEnvironment", "AZUREPUBLICCLOUD"},
                     {"ephemeralOsDisk", false}}));
}

}  // namespace
}  // namespace latchwatch::probes
