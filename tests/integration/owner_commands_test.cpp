// The owner's printed bash commands, pasted as printed into bash, against a loopback server that
// answers as the Compute REST spec says (tests/support/compute_spec_server.js, which serves the
// reset receiver's spec server over plain HTTP on 127.0.0.1), through a stand-in `az`
// (tests/support/az_stub.py: az rest's URL resolution against the logged-in cloud, the az
// vm/vmss commands' GET/PUT, --query evaluated by the jmespath library az uses, -o tsv) and the
// real jq. Per kind (VM, Flexible member, Uniform instance), per cloud (public, US Government,
// China), with the next keyIncarnationId known and unknown: the server's model is raised by
// exactly one, a Uniform instance never sees a PATCH and keeps its imageReference, and the
// confirm query prints GPA's status with the new value. Fixtures: the reset receiver's
// (contrib/azure/reset-receiver/test/fixtures/README.md cites their REST-spec sources).

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "probes/base/json_limits.h"
#include "probes/local/host_facts.h"
#include "reporting/report/remedy.h"
#include "tests/support/test_support.h"

namespace latchwatch {
namespace {

using nlohmann::json;
using testing::BackgroundProcess;
using testing::ProcessResult;
using testing::TempDir;

const std::string kFixtures =
    std::string(LATCHWATCH_SOURCE_DIR) + "/contrib/azure/reset-receiver/test/fixtures/";
constexpr const char* kSub = "0b6f2c1e-4d1a-4c39-9a57-2f1d3e8c7a10";

json fixture(const std::string& name) { return json::parse(testing::read_file(kFixtures + name)); }

bool have_tools() {
  return testing::run_process(
             {"/bin/sh", "-c", "command -v node && command -v jq && python3 -c 'import jmespath'"})
             .exit_code == 0;
}

/// One HTTP GET or POST to the loopback server, by curl-free python (no new dependency).
std::string server_call(std::uint16_t port, const std::string& path, const std::string& body = {}) {
  std::string script =
      "import sys,urllib.request as u\n"
      "d=sys.argv[2].encode() if sys.argv[2] else None\n"
      "r=u.Request('http://127.0.0.1:" +
      std::to_string(port) +
      "'+sys.argv[1],data=d,method='POST' if d else 'GET')\n"
      "print(u.urlopen(r,timeout=10).read().decode())\n";
  auto r = testing::run_process({"/usr/bin/python3", "-c", script, path, body});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

struct Resource {
  json model;
  json instance_view;
  std::vector<std::string> private_ips;
};

/// The spec server with `resources`, a stub az on PATH, bash to run a printed command.
class OwnerArm {
 public:
  OwnerArm(const std::vector<Resource>& resources, std::string az_cloud)
      : az_cloud_(std::move(az_cloud)) {
    json state = {{"resources", json::array()}};
    for (const auto& r : resources)
      state["resources"].push_back({{"model", r.model},
                                    {"instanceView", r.instance_view},
                                    {"details", {{"privateIps", r.private_ips}}}});
    testing::write_file(dir_ / "state.json", state.dump());
    testing::write_file(dir_ / "bin-az", "#!/bin/sh\nexec python3 '" +
                                             std::string(LATCHWATCH_SOURCE_DIR) +
                                             "/tests/support/az_stub.py' \"$@\"\n");
    std::filesystem::create_directories(dir_ / "bin");
    std::filesystem::rename(dir_ / "bin-az", dir_ / "bin/az");
    std::filesystem::permissions(dir_ / "bin/az", std::filesystem::perms::owner_all);
    server_ = std::make_unique<BackgroundProcess>(
        std::vector<std::string>{
            "/usr/bin/node",
            std::string(LATCHWATCH_SOURCE_DIR) + "/tests/support/compute_spec_server.js",
            dir_ / "state.json", dir_ / "port"},
        dir_.path(), "spec-server");
    EXPECT_TRUE(testing::wait_for([&] { return std::filesystem::exists(dir_ / "port"); },
                                  std::chrono::seconds(20)))
        << server_->err();
    port_ = static_cast<std::uint16_t>(std::stoi(testing::read_file(dir_ / "port")));
  }
  ~OwnerArm() {
    server_->signal(SIGTERM);
    server_->wait_exit(std::chrono::seconds(10));
  }

  /// `command` exactly as printed, under bash, as the owner pastes it.
  ProcessResult paste(const std::string& command, const std::string& az_version = "2.72.0",
                      const std::string& compute_api = "2024-07-01") {
    return testing::run_process(
        {"/bin/bash", "-c", command},
        {"PATH=" + (dir_ / "bin") + ":/usr/bin:/bin",
         "AZ_STUB_SERVER=http://127.0.0.1:" + std::to_string(port_), "AZ_STUB_CLOUD=" + az_cloud_,
         "AZ_STUB_SUBSCRIPTION=" + std::string(kSub), "AZ_STUB_VERSION=" + az_version,
         "AZ_STUB_COMPUTE_API=" + compute_api, "AZ_STUB_LOG=" + (dir_ / "az.log")});
  }

  json state() { return json::parse(server_call(port_, "/__state")); }
  json model(const std::string& id) { return state()["models"][probes::ascii_lower(id)]; }
  std::int64_t key(const std::string& id) {
    return model(id)["properties"]["securityProfile"]["proxyAgentSettings"]["keyIncarnationId"];
  }
  json writes() {
    json out = json::array();
    const json all = state();
    for (const auto& r : all["requests"])
      if (r["method"] != "GET") out.push_back(r);
    return out;
  }
  void gpa_latches(const std::string& id, std::int64_t n) {
    server_call(
        port_, "/__gpa",
        json{{"id", id}, {"n", n}, {"guid", "0f9e8d7c-6b5a-4c3d-9e2f-1a0b9c8d7e6f"}}.dump());
  }

 private:
  TempDir dir_;
  std::string az_cloud_;
  std::unique_ptr<BackgroundProcess> server_;
  std::uint16_t port_ = 0;
};

struct Kind {
  const char* label;
  const char* model_file;
  const char* view_file;
  const char* scale_set;  ///< IMDS vmScaleSetName
};
const Kind kVm{"vm", "vm-web-01.json", "vm-web-01.instanceView.json", ""};
const Kind kFlex{"flex", "vm-flex-03.json", "vm-flex-03.instanceView.json", "flex-pool"};
const Kind kUniform{"uniform", "vmss-pool-a-7.json", "vmss-pool-a-7.instanceView.json", "pool-a"};

struct Cloud {
  const char* imds;  ///< compute.azEnvironment
  const char* az;    ///< az cloud set --name
};
const Cloud kClouds[] = {{"AzurePublicCloud", "AzureCloud"},
                         {"AzureUSGovernmentCloud", "AzureUSGovernment"},
                         {"AzureChinaCloud", "AzureChinaCloud"}};

Remedy remedy_for(const json& model, const Kind& kind, const Cloud& cloud, bool n_known) {
  Identity id;
  id.source = "imds";
  id.resource_id = model["id"];
  id.vm_scale_set_name = kind.scale_set;
  id.vm_id = model["properties"]["vmId"];
  id.cloud = cloud.imds;
  std::optional<std::int64_t> current;
  if (n_known)
    current = model["properties"]["securityProfile"]["proxyAgentSettings"]["keyIncarnationId"];
  return build_remedy(id, current, false);
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

class OwnerCommands : public ::testing::TestWithParam<std::tuple<int, int, bool>> {
 protected:
  void SetUp() override {
    if (!have_tools()) GTEST_SKIP() << "node, jq or python3-jmespath missing";
  }
};

const Kind& kind_of(int i) { return i == 0 ? kVm : i == 1 ? kFlex : kUniform; }

TEST_P(OwnerCommands, FirstFormsReadResetConfirmAgainstTheSpecServer) {
  const Kind& kind = kind_of(std::get<0>(GetParam()));
  const Cloud& cloud = kClouds[std::get<1>(GetParam())];
  const bool n_known = std::get<2>(GetParam());
  json model = fixture(kind.model_file);
  const std::string id = model["id"];
  const std::int64_t before =
      model["properties"]["securityProfile"]["proxyAgentSettings"]["keyIncarnationId"];
  OwnerArm arm({{model, fixture(kind.view_file), {}}}, cloud.az);
  Remedy r = remedy_for(model, kind, cloud, n_known);
  ASSERT_EQ(r.cloud, cloud.imds);
  for (const auto& c : {r.read_incarnation_command, r.az_command, r.confirm_command}) {
    EXPECT_EQ(c.find("management.azure.com"), std::string::npos) << c;
    EXPECT_NE(c.find("az rest"), std::string::npos) << c;
  }
  EXPECT_EQ(r.powershell_command.find("management.azure.com"), std::string::npos);

  auto read = arm.paste(r.read_incarnation_command);
  ASSERT_EQ(read.exit_code, 0) << r.read_incarnation_command << "\n" << read.err;
  EXPECT_EQ(trimmed(read.out), std::to_string(before));

  auto reset = arm.paste(r.az_command);
  ASSERT_EQ(reset.exit_code, 0) << r.az_command << "\n" << reset.err;
  EXPECT_EQ(arm.key(id), before + 1) << "raised by exactly one";
  json writes = arm.writes();
  ASSERT_EQ(writes.size(), 1u) << writes.dump();
  if (&kind == &kUniform) {
    EXPECT_EQ(writes[0]["method"], "PUT");
    EXPECT_EQ(writes[0]["headers"]["if-match"], model["etag"]) << "If-Match is the GET's etag";
    EXPECT_FALSE(writes[0]["body"]["properties"]["storageProfile"].contains("imageReference"));
    EXPECT_EQ(arm.model(id)["properties"]["storageProfile"]["imageReference"],
              model["properties"]["storageProfile"]["imageReference"])
        << "the stored model keeps its image";
  } else {
    EXPECT_EQ(writes[0]["method"], "PATCH");
    EXPECT_EQ(writes[0]["body"],
              json::parse(R"({"properties":{"securityProfile":{"proxyAgentSettings":)"
                          R"({"keyIncarnationId":)" +
                          std::to_string(before + 1) + "}}}}"));
  }

  // Before GPA latches: the confirm query runs (null-safe on the extension without type) and
  // shows the old value; after, the new one.
  auto early = arm.paste(r.confirm_command);
  ASSERT_EQ(early.exit_code, 0) << r.confirm_command << "\n" << early.err;
  EXPECT_EQ(json::parse(trimmed(early.out))["keyLatchStatus"]["states"]["keyIncarnationId"],
            std::to_string(before));
  arm.gpa_latches(id, before + 1);
  for (const auto& confirm : {r.confirm_command, r.confirm_az_native_command}) {
    auto done = arm.paste(confirm);
    ASSERT_EQ(done.exit_code, 0) << confirm << "\n" << done.err;
    json status = json::parse(trimmed(done.out));
    EXPECT_EQ(status["keyLatchStatus"]["states"]["keyIncarnationId"], std::to_string(before + 1));
  }
}

TEST_P(OwnerCommands, AzNativeFormsDoWhatTheirLabelSays) {
  const Kind& kind = kind_of(std::get<0>(GetParam()));
  const Cloud& cloud = kClouds[std::get<1>(GetParam())];
  const bool n_known = std::get<2>(GetParam());
  json model = fixture(kind.model_file);
  const std::string id = model["id"];
  const std::int64_t before =
      model["properties"]["securityProfile"]["proxyAgentSettings"]["keyIncarnationId"];
  Remedy r = remedy_for(model, kind, cloud, n_known);
  ASSERT_FALSE(r.az_update_command.empty());
  {
    // An az whose compute API predates proxyAgentSettings (2.45: 2022-11-01): the az-native read
    // prints nothing, and the az-native reset must not write anything.
    OwnerArm arm({{model, fixture(kind.view_file), {}}}, cloud.az);
    auto read = arm.paste(r.read_az_native_command, "2.45.0", "2022-11-01");
    EXPECT_EQ(read.exit_code, 0) << read.err;
    EXPECT_EQ(trimmed(read.out), "");
    auto old = arm.paste(r.az_update_command, "2.45.0", "2022-11-01");
    EXPECT_NE(old.exit_code, 0) << r.az_update_command;
    EXPECT_EQ(arm.writes().size(), 0u) << arm.writes().dump();
    EXPECT_EQ(arm.key(id), before);
  }
  {
    OwnerArm arm({{model, fixture(kind.view_file), {}}}, cloud.az);
    auto read = arm.paste(r.read_az_native_command);
    ASSERT_EQ(read.exit_code, 0) << read.err;
    EXPECT_EQ(trimmed(read.out), std::to_string(before));
    auto reset = arm.paste(r.az_update_command);
    ASSERT_EQ(reset.exit_code, 0) << r.az_update_command << "\n" << reset.err;
    EXPECT_EQ(arm.key(id), before + 1);
    json writes = arm.writes();
    ASSERT_EQ(writes.size(), 1u);
    EXPECT_EQ(writes[0]["method"], "PUT");
    if (&kind == &kUniform) {
      EXPECT_EQ(arm.model(id)["properties"]["storageProfile"]["imageReference"],
                model["properties"]["storageProfile"]["imageReference"]);
    }
  }
}

std::string case_name(const ::testing::TestParamInfo<std::tuple<int, int, bool>>& info) {
  return std::string(kind_of(std::get<0>(info.param)).label) + "_" +
         kClouds[std::get<1>(info.param)].az + (std::get<2>(info.param) ? "_Nknown" : "_Nunknown");
}

INSTANTIATE_TEST_SUITE_P(KindsCloudsN, OwnerCommands,
                         ::testing::Combine(::testing::Values(0, 1, 2), ::testing::Values(0, 1, 2),
                                            ::testing::Bool()),
                         case_name);

/// The Uniform instance's PATCH (Learn's form, labelled) gets the spec's 405 and writes nothing.
TEST(OwnerCommandsUniform, LabelledPatchAlternativeIsRefusedBySpec) {
  if (!have_tools()) GTEST_SKIP();
  json model = fixture(kUniform.model_file);
  OwnerArm arm({{model, fixture(kUniform.view_file), {}}}, "AzureCloud");
  Remedy r = remedy_for(model, kUniform, kClouds[0], true);
  ASSERT_FALSE(r.patch_alternative.empty());
  auto patch = arm.paste(r.patch_alternative);
  EXPECT_NE(patch.exit_code, 0);
  EXPECT_NE(patch.err.find("does not support http method 'PATCH'"), std::string::npos) << patch.err;
  EXPECT_EQ(arm.key(model["id"]), 5);
}

/// A write between the GET and the PUT: If-Match gets 412 and nothing is lost.
TEST(OwnerCommandsUniform, ConcurrentWriteBetweenGetAndPutIsRefused) {
  if (!have_tools()) GTEST_SKIP();
  json model = fixture(kUniform.model_file);
  OwnerArm arm({{model, fixture(kUniform.view_file), {}}}, "AzureCloud");
  Remedy r = remedy_for(model, kUniform, kClouds[0], false);
  // The printed chain with another writer's PUT slipped in after its GET (an az that writes once
  // before it answers its first `rest --method get`).
  const std::string other =
      "az rest --method put --url '" + std::string(model["id"]) +
      "?api-version=2024-03-01' --body \"$(az rest --method get --url '" +
      std::string(model["id"]) +
      "?api-version=2024-03-01' | jq -c '.properties.securityProfile.proxyAgentSettings."
      "keyIncarnationId = 40 | del(.properties.storageProfile.imageReference)')\" >/dev/null";
  std::string chain = r.az_command;
  auto at = chain.find(" && etag=");
  ASSERT_NE(at, std::string::npos);
  chain.insert(at, " && " + other);
  auto run = arm.paste(chain);
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.err.find("Precondition Failed"), std::string::npos) << run.err;
  EXPECT_EQ(arm.key(model["id"]), 40) << "the other writer's value stands";
}

/// Finds: by vmId in either SMBIOS byte order (Gen1), by a whole private address.
TEST(OwnerCommandsFind, ByVmIdBothByteOrdersAndWholeAddress) {
  if (!have_tools()) GTEST_SKIP();
  json web = fixture(kVm.model_file);
  json other = web;
  other["id"] = std::string("/subscriptions/") + kSub +
                "/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/web-40";
  other["name"] = "web-40";
  other["properties"]["vmId"] = "11111111-2222-4333-8444-555555555555";
  other["properties"]["osProfile"]["computerName"] = "web-40";
  OwnerArm arm({{web, fixture(kVm.view_file), {"10.0.0.4"}},
                {other, fixture(kVm.view_file), {"10.0.0.40", "110.0.0.4"}}},
               "AzureCloud");
  const std::string vm_id = web["properties"]["vmId"];  // 5c0d55a7-c407-4ed6-...
  for (const std::string& seen : {vm_id, std::string("a7550d5c-07c4-d64e-bf7d-ddb810267c85"),
                                  std::string("A7550D5C-07C4-D64E-BF7D-DDB810267C85")}) {
    Identity id;
    id.source = "unknown";
    id.vm_id = seen;
    Remedy r = build_remedy(id, std::nullopt, false);
    ASSERT_FALSE(r.find_vm_command.empty());
    auto found = arm.paste(r.find_vm_command);
    ASSERT_EQ(found.exit_code, 0) << r.find_vm_command << "\n" << found.err;
    EXPECT_EQ(trimmed(found.out), std::string(web["id"])) << r.find_vm_command;
  }
  probes::HostFacts host;
  host.private_addresses = {"10.0.0.4"};
  Identity id;
  id.source = "unknown";
  Remedy r = build_remedy(id, std::nullopt, false, &host);
  ASSERT_NE(r.find_vm_command.find("-d"), std::string::npos) << r.find_vm_command;
  auto found = arm.paste(r.find_vm_command);
  ASSERT_EQ(found.exit_code, 0) << r.find_vm_command << "\n" << found.err;
  EXPECT_EQ(trimmed(found.out), std::string(web["id"])) << "10.0.0.4 is not 10.0.0.40";
}

}  // namespace
}  // namespace latchwatch
