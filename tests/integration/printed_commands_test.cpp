// Every bash command latchwatch prints, run as printed: `bash -c COMMAND` with a stub `az` first
// on PATH that records its argv (NUL-separated, one file per call) and answers like az would
// (a current keyIncarnationId for `show`, an instance model for `rest --method get`). The argv
// is asserted: method, URL, body, instance id. Hostile identity from IMDS (the fabric simulator)
// and from a planted identity cache never changes an argv and never runs.

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "tests/fabric_sim/fabric_simulator.h"
#include "tests/support/test_support.h"

namespace latchwatch {
namespace {

using Argv = std::vector<std::string>;
using testing::ProcessResult;
using testing::TempDir;

constexpr const char* kSub = "8a3f1c2e-1111-4222-8333-944455566677";
/// Printed ARM URLs have no host: az rest sends them to the cloud it is logged in to.
constexpr const char* kArm = "";
constexpr const char* kRestQuery = "properties.securityProfile.proxyAgentSettings.keyIncarnationId";
constexpr const char* kConfirmQuery =
    "extensions[?contains(type || '','ProxyAgent')].substatuses[] | "
    "[?contains(code || '','ProxyAgentStatus')].message";
constexpr const char* kApi = "?api-version=2024-03-01";
constexpr const char* kIncarnation = "securityProfile.proxyAgentSettings.keyIncarnationId";
/// What the stub's `az vm show` / `az vmss show` prints as the current keyIncarnationId.
constexpr int kStubCurrent = 7;
constexpr const char* kStubEtag = "W/\"etag-7\"";
constexpr const char* kAbsoluteMarker = "/tmp/latchwatch-pwned-imds";

std::string body(long long n) {
  return R"({"properties":{"securityProfile":{"proxyAgentSettings":{"keyIncarnationId":)" +
         std::to_string(n) + "}}}}";
}

/// The az rest read of the current value.
Argv rest_read(const std::string& url) {
  return {"rest", "--method", "get", "--url", url, "--query", kRestQuery, "-o", "tsv"};
}

/// Gen1's SMBIOS byte order of a GUID (first three groups reversed byte-wise).
std::string swapped(const std::string& g) {
  auto rev = [](const std::string& h) {
    std::string o;
    for (std::size_t i = h.size(); i >= 2; i -= 2) o += h.substr(i - 2, 2);
    return o;
  };
  return rev(g.substr(0, 8)) + "-" + rev(g.substr(9, 4)) + "-" + rev(g.substr(14, 4)) +
         g.substr(18);
}

Argv find_by_vm_id(const std::string& id) {
  return {"vm", "list", "--query", "[?vmId=='" + id + "' || vmId=='" + swapped(id) + "'].id",
          "-o", "tsv"};
}

/// The JSON body an argv carries after --body.
nlohmann::json body_of(const Argv& argv) {
  auto it = std::find(argv.begin(), argv.end(), "--body");
  if (it == argv.end() || it + 1 == argv.end()) return nullptr;
  return nlohmann::json::parse(*(it + 1), nullptr, false);
}

/// The stub az: records argv, answers `show` with kStubCurrent and `rest --method get` with an
/// instance model holding kStubCurrent and an etag.
std::string stub_script() {
  return R"SH(#!/bin/bash
n=$(find "$AZ_LOG_DIR" -maxdepth 1 -name 'call-*' | wc -l)
printf '%s\0' "$@" > "$AZ_LOG_DIR/call-$(printf %03d "$n")"
method=""; prev=""
for a in "$@"; do [ "$prev" = "--method" ] && method=$a; prev=$a; done
query=""; prev=""
for a in "$@"; do [ "$prev" = "--query" ] && query=$a; prev=$a; done
if [ "$1" = rest ] && [ "$method" = get ] && [ -n "$query" ]; then
  echo 7
elif [ "$1" = rest ] && [ "$method" = get ]; then
  printf '%s' '{"id":"stub","etag":"W/\"etag-7\"","properties":{"securityProfile":{"proxyAgentSettings":{"enabled":true,"mode":"Enforce","keyIncarnationId":7}}}}'
elif [ "$2" = show ]; then
  echo 7
fi
exit 0
)SH";
}

class PrintedCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    sim::SimulatorOptions options;
    options.gpa_dir = vm_dir_ / "vm";
    sim_ = std::make_unique<sim::FabricSimulator>(options);
    sim_->start();
    testing::write_file(bin_ / "az", stub_script());
    ::chmod((bin_ / "az").c_str(), 0755);
    ::unlink(kAbsoluteMarker);
  }

  void TearDown() override {
    struct stat st {};
    EXPECT_NE(::stat(kAbsoluteMarker, &st), 0) << "a hostile value ran: " << kAbsoluteMarker;
  }

  nlohmann::json check_json(const std::string& scenario) {
    sim_->set_scenario(scenario);
    auto result = testing::run_latchwatch(check_args(true));
    outputs_ += result.out + result.err;
    auto doc = nlohmann::json::parse(result.out, nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << result.out << result.err;
    // The human rendering prints the very same commands.
    auto human = testing::run_latchwatch(check_args(false));
    outputs_ += human.out + human.err;
    human_ = human.out;
    return doc;
  }

  std::vector<std::string> check_args(bool json) {
    std::vector<std::string> args{"check", "--state-dir", state_dir_.path(), "--timeout-ms",
                                  "1000"};
    if (json) args.insert(args.begin() + 1, "--json");
    for (auto& flag : sim_->check_flags()) args.push_back(flag);
    return args;
  }

  /// Every bash command of a remedy, by purpose; each must also be in the human output.
  std::map<std::string, std::string> bash_commands(const nlohmann::json& remedy) {
    std::map<std::string, std::string> out;
    for (const auto& c : remedy["commands"]) {
      if (c["shell"] != "bash") continue;
      auto command = c["command"].get<std::string>();
      out[c["purpose"].get<std::string>()] = command;
      EXPECT_NE(human_.find(command), std::string::npos) << "not printed as is: " << command;
    }
    return out;
  }

  /// Runs `command` with bash in a fresh folder, the stub first on PATH; returns each az call.
  std::vector<Argv> run(const std::string& command) {
    TempDir work;
    TempDir log;
    std::string path = bin_.path() + ":" + (std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin");
    auto result = testing::run_process({"/usr/bin/env", "-C", work.path(), "PATH=" + path,
                                        "AZ_LOG_DIR=" + log.path(), "/bin/bash", "-c", command});
    EXPECT_EQ(result.exit_code, 0) << command << "\n" << result.err;
    // Nothing but what az's stub wrote: no file appeared where the command ran.
    EXPECT_TRUE(list(work.path()).empty()) << "the command created files: " << command;
    std::vector<Argv> calls;
    for (const auto& name : list(log.path())) {
      std::string raw = testing::read_file(log / name);
      Argv argv;
      std::string arg;
      for (char c : raw) {
        if (c == '\0') {
          argv.push_back(arg);
          arg.clear();
        } else {
          arg += c;
        }
      }
      calls.push_back(argv);
    }
    return calls;
  }

  static std::vector<std::string> list(const std::string& dir) {
    std::vector<std::string> names;
    if (DIR* d = ::opendir(dir.c_str())) {
      while (auto* e = ::readdir(d))
        if (std::string(e->d_name) != "." && std::string(e->d_name) != "..")
          names.push_back(e->d_name);
      ::closedir(d);
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  static std::string instance_url(const std::string& instance) {
    return std::string(kArm) + "/subscriptions/" + kSub +
           "/resourceGroups/rg-latch/providers/Microsoft.Compute/virtualMachineScaleSets/ss-latch/"
           "virtualMachines/" +
           instance + kApi;
  }

  void expect_no_injection() {
    EXPECT_EQ(outputs_.find("[?vmId=='']"), std::string::npos);
    EXPECT_EQ(outputs_.find("\n    az vm delete"), std::string::npos);
  }

  TempDir vm_dir_;
  TempDir state_dir_;
  TempDir bin_;
  std::unique_ptr<sim::FabricSimulator> sim_;
  std::string outputs_;
  std::string human_;
};

/// A standalone VM (or Flexible member): PATCH via az rest, az vm update, reads with az vm show.
void expect_vm_remedy(const std::map<std::string, std::string>& commands, const std::string& rid,
                      long long n, bool n_known,
                      const std::function<std::vector<Argv>(const std::string&)>& run) {
  const std::string url = kArm + rid + kApi;
  const Argv show = rest_read(url);
  ASSERT_TRUE(commands.count("reset") && commands.count("reset_az_vm_update") &&
              commands.count("read_incarnation") && commands.count("confirm"));
  EXPECT_EQ(commands.count("reset_rest"), 0u);

  auto read = run(commands.at("read_incarnation"));
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0], show);

  auto reset = run(commands.at("reset"));
  ASSERT_EQ(reset.size(), n_known ? 1u : 2u);
  if (!n_known) {
    EXPECT_EQ(reset[0], show);
  }
  EXPECT_EQ(reset.back(), (Argv{"rest", "--method", "patch", "--url", url, "--body", body(n)}));
  EXPECT_EQ(body_of(reset.back()), nlohmann::json::parse(body(n)));

  auto update = run(commands.at("reset_az_vm_update"));
  ASSERT_EQ(update.size(), n_known ? 1u : 2u);
  EXPECT_EQ(update.back(),
            (Argv{"vm", "update", "--ids", rid, "--key-incarnation-id", std::to_string(n)}));

  auto confirm = run(commands.at("confirm"));
  ASSERT_EQ(confirm.size(), 1u);
  EXPECT_EQ(confirm[0], (Argv{"rest", "--method", "get", "--url",
                              std::string(kArm) + rid + "/instanceView" + kApi, "--query",
                              kConfirmQuery, "-o", "tsv"}));
}

TEST_F(PrintedCommands, StandaloneVmWithKnownIncarnationPatches) {
  auto doc = check_json("key_loss_latent");
  ASSERT_EQ(doc["verdict"]["code"], "key_loss_latent");
  EXPECT_EQ(doc["remedy"]["resource_kind"], "virtual_machine");
  EXPECT_EQ(doc["remedy"]["request"]["method"], "PATCH");
  EXPECT_FALSE(doc["remedy"].contains("patch_alternative")) << "PATCH is the command for a VM";
  expect_vm_remedy(bash_commands(doc["remedy"]), sim::kResourceId, 11, true,
                   [this](const std::string& c) { return run(c); });
  expect_no_injection();
}

TEST_F(PrintedCommands, StandaloneVmWithUnknownIncarnationReadsItFirst) {
  auto doc = check_json("key_loss_latent_no_incarnation");
  ASSERT_EQ(doc["verdict"]["code"], "key_loss_latent");
  EXPECT_EQ(doc["remedy"]["next_incarnation"], nullptr);
  expect_vm_remedy(bash_commands(doc["remedy"]), sim::kResourceId, kStubCurrent + 1, false,
                   [this](const std::string& c) { return run(c); });
}

TEST_F(PrintedCommands, FlexibleMemberIsResetAsAVm) {
  for (auto [scenario, known] :
       {std::pair{"flex_key_loss_latent", true}, {"flex_key_loss_latent_no_incarnation", false}}) {
    SCOPED_TRACE(scenario);
    auto doc = check_json(scenario);
    EXPECT_EQ(doc["remedy"]["resource_kind"], "flexible_member");
    EXPECT_EQ(doc["remedy"]["request"]["method"], "PATCH");
    expect_vm_remedy(bash_commands(doc["remedy"]), sim::kFlexMemberResourceId,
                     known ? 11 : kStubCurrent + 1, known,
                     [this](const std::string& c) { return run(c); });
  }
}

TEST_F(PrintedCommands, UniformInstanceTakesThePutPathNeverPatch) {
  for (auto [scenario, known] :
       {std::pair{"vmss_key_loss_latent", true}, {"vmss_key_loss_latent_no_incarnation", false}}) {
    SCOPED_TRACE(scenario);
    auto doc = check_json(scenario);
    const auto& remedy = doc["remedy"];
    EXPECT_EQ(remedy["resource_kind"], "uniform_instance");
    EXPECT_EQ(remedy["instance_id"], "3");
    EXPECT_EQ(remedy["request"]["method"], "PUT");
    const long long n = known ? 11 : kStubCurrent + 1;
    auto commands = bash_commands(remedy);
    const Argv target{"-g", "rg-latch",       "-n", "ss-latch", "--instance-id",
                      "3",  "--subscription", kSub};
    const Argv show = rest_read(instance_url("3"));
    EXPECT_EQ(commands.count("reset_az_vm_update"), 0u) << "az vm cannot resolve an instance id";

    auto read = run(commands.at("read_incarnation"));
    ASSERT_EQ(read.size(), 1u);
    EXPECT_EQ(read[0], show);

    // az-native (labelled): az vmss update --set, after an az rest read when N is unknown.
    auto native = run(commands.at("reset_az_vmss_update"));
    ASSERT_EQ(native.size(), known ? 1u : 2u);
    if (!known) {
      EXPECT_EQ(native[0], show);
    }
    Argv update{"vmss", "update"};
    update.insert(update.end(), target.begin(), target.end());
    update.insert(update.end(), {"--set", std::string(kIncarnation) + "=" + std::to_string(n)});
    EXPECT_EQ(native.back(), update);
    EXPECT_EQ(commands.count("reset_rest"), 0u);

    // The first form: GET the model, raise the value, drop imageReference, PUT it back with the
    // etag it came with.
    auto rest = run(commands.at("reset"));
    ASSERT_EQ(rest.size(), 2u);
    EXPECT_EQ(rest[0], (Argv{"rest", "--method", "get", "--url", instance_url("3")}));
    ASSERT_GE(rest[1].size(), 9u);
    EXPECT_EQ(Argv(rest[1].begin(), rest[1].begin() + 7),
              (Argv{"rest", "--method", "put", "--url", instance_url("3"), "--headers",
                    std::string("If-Match=") + kStubEtag}));
    auto put = body_of(rest[1]);
    ASSERT_TRUE(put.is_object()) << rest[1].back();
    EXPECT_EQ(put["properties"]["securityProfile"]["proxyAgentSettings"]["keyIncarnationId"],
              known ? 11 : kStubCurrent + 1);
    EXPECT_EQ(put["properties"]["securityProfile"]["proxyAgentSettings"]["mode"], "Enforce")
        << "the whole model goes back, not a fragment";

    // PATCH only as the labelled alternative, never as the command to run.
    for (const auto& [purpose, command] : commands)
      for (const auto& call : run(command))
        EXPECT_EQ(std::find(call.begin(), call.end(), "patch"), call.end()) << purpose;
    auto alternative_text = remedy["patch_alternative"].get<std::string>();
    EXPECT_NE(human_.find(alternative_text), std::string::npos);
    auto alternative = run(alternative_text);
    EXPECT_EQ(alternative.back(),
              (Argv{"rest", "--method", "patch", "--url", instance_url("3"), "--body", body(n)}));
    EXPECT_NE(human_.find("Learn documents it, the REST spec lacks it"), std::string::npos);

    auto confirm = run(commands.at("confirm"));
    ASSERT_EQ(confirm.size(), 1u);
    EXPECT_EQ(confirm[0],
              (Argv{"rest", "--method", "get", "--url",
                    std::string(kArm) + "/subscriptions/" + kSub +
                        "/resourceGroups/rg-latch/providers/Microsoft.Compute/"
                        "virtualMachineScaleSets/ss-latch/virtualMachines/3/instanceView" +
                        kApi,
                    "--query", kConfirmQuery, "-o", "tsv"}));
  }
}

/// The placeholder form: the commands name {resourceId} literally, the find query names the
/// hardware's UUID, nothing hostile reaches an argv.
void expect_placeholder_remedy(const std::map<std::string, std::string>& commands,
                               const std::function<std::vector<Argv>(const std::string&)>& run) {
  auto find = run(commands.at("find_vm"));
  ASSERT_EQ(find.size(), 1u);
  EXPECT_EQ(find[0], find_by_vm_id(sim::kVmId));
  auto reset = run(commands.at("reset"));
  ASSERT_FALSE(reset.empty());
  EXPECT_EQ(reset.back(), (Argv{"rest", "--method", "patch", "--url",
                                std::string(kArm) + "{resourceId}" + kApi, "--body", body(11)}));
  for (const auto& [purpose, command] : commands)
    for (const auto& call : run(command))
      for (const auto& arg : call) {
        EXPECT_EQ(arg.find("touch"), std::string::npos) << purpose << ": " << arg;
        EXPECT_EQ(arg.find("pwned"), std::string::npos) << purpose << ": " << arg;
        EXPECT_EQ(arg.find('\n'), std::string::npos) << purpose << ": " << arg;
      }
}

TEST_F(PrintedCommands, HostileImdsIdentityIsDroppedAndNeverRuns) {
  auto doc = check_json("hostile_imds_key_loss_latent");
  ASSERT_EQ(doc["verdict"]["code"], "key_loss_latent");
  std::set<std::string> dropped;
  for (const auto& f : doc["findings"])
    if (f["id"] == "imds_identity_field_rejected") dropped.insert(f["evidence"]["field"]);
  EXPECT_EQ(dropped, (std::set<std::string>{"resourceId", "subscriptionId", "resourceGroupName",
                                            "name", "vmScaleSetName", "vmId", "securityType"}));
  EXPECT_EQ(doc["remedy"]["resource_id"], nullptr);
  EXPECT_EQ(doc["remedy"]["resource_kind"], "unknown");
  expect_placeholder_remedy(bash_commands(doc["remedy"]),
                            [this](const std::string& c) { return run(c); });
  // A finding shows the value escaped, on one line.
  for (const auto& line : {std::string("\n    az vm delete"), std::string("\r")})
    EXPECT_EQ(human_.find(line), std::string::npos);
  // Nor is the hostile answer cached for later cycles.
  auto cached =
      nlohmann::json::parse(testing::read_file(state_dir_ / "identity.json"), nullptr, false);
  EXPECT_EQ(cached.dump().find("touch"), std::string::npos) << cached.dump();
  expect_no_injection();
}

TEST_F(PrintedCommands, HostilePlantedCacheIsDroppedAndNeverRuns) {
  nlohmann::json planted = {
      {"schema", 1},
      {"resource_id", std::string(sim::kResourceId) + "$(touch /tmp/latchwatch-pwned-imds)"},
      {"subscription_id", std::string(kSub) + "'$(touch pwned-sub)'"},
      {"resource_group_name", "rg\"; touch pwned-rg; \""},
      {"name", "vm\n    az vm delete --ids x --yes"},
      {"vm_scale_set_name", "`touch pwned-ss`"},
      {"vm_id", std::string(sim::kVmId) + "' || touch pwned-vmid || '"},
      {"smbios_uuid", sim::kVmId},
      {"security_type", "TrustedLaunch"},
      {"ephemeral_os_disk", false},
      {"cloud", "AzureCloud\n    az vm delete --ids x --yes; touch pwned-cloud"},
      {"last_key_guid", sim::kPlantedKeyGuid},
      {"last_key_incarnation_id", 10},
      {"written_at_unix", 1790000000}};
  testing::write_file(state_dir_ / "identity.json", planted.dump());
  auto doc = check_json("key_lost");  // IMDS answers 401: only the cache could name the VM
  ASSERT_EQ(doc["verdict"]["code"], "key_lost");
  std::set<std::string> dropped;
  for (const auto& f : doc["findings"])
    if (f["id"] == "identity_cache_field_rejected") dropped.insert(f["evidence"]["field"]);
  EXPECT_EQ(dropped, (std::set<std::string>{"resource_id", "subscription_id", "resource_group_name",
                                            "name", "vm_scale_set_name", "vm_id", "cloud"}));
  EXPECT_EQ(doc["remedy"]["resource_id"], nullptr);
  EXPECT_EQ(doc["remedy"]["cloud"], nullptr);
  expect_placeholder_remedy(bash_commands(doc["remedy"]),
                            [this](const std::string& c) { return run(c); });
  expect_no_injection();
}

TEST_F(PrintedCommands, EveryReportNamesItsHostWithoutImds) {
  auto doc = check_json("key_lost");
  const auto& host = doc["host_facts"];
  ASSERT_TRUE(host.is_object()) << doc.dump();
  EXPECT_TRUE(host["host_name"].is_string() || !host["private_addresses"].empty());
  EXPECT_EQ(host["smbios_uuid"], sim::kVmId);
  EXPECT_EQ(host["gpa_version"].is_string(), true);
  EXPECT_TRUE(host["os_release"].is_string());
  EXPECT_TRUE(host["kernel"].is_string());
  EXPECT_TRUE(host["boot_time"].is_string());
  EXPECT_NE(human_.find("\nHost: "), std::string::npos);
  // Every verdict carries its action in the JSON and the table.
  EXPECT_EQ(doc["verdict"]["action_by"], "owner");
  EXPECT_NE(human_.find("action (owner): "), std::string::npos);
  auto down = check_json("gpa_down");
  EXPECT_EQ(down["verdict"]["action_by"], "operator");
  EXPECT_NE(down["verdict"]["action"].get<std::string>().find("Restart GPA"), std::string::npos);
}

/// `plan resets` over reports collected from this VM in each kind, plus one written by a hostile
/// VM: every "    $ " line runs as printed; nothing else in the text looks like a command.
TEST_F(PrintedCommands, PlanResetsCommandsRunAsPrinted) {
  TempDir reports;
  int n = 0;
  auto keep = [&](const std::string& scenario) {
    auto doc = check_json(scenario);
    testing::write_file(reports / ("r" + std::to_string(n++) + ".json"), doc.dump());
  };
  keep("key_loss_latent");
  keep("vmss_key_loss_latent_no_incarnation");
  keep("flex_key_loss_latent");
  keep("hostile_imds_key_loss_latent");  // unidentified: found by its hardware's UUID
  // A report a hostile VM wrote by hand, named to look like a command when echoed.
  nlohmann::json forged = {
      {"generated_at", "2026-07-22T10:15:42Z"},
      {"verdict", {{"code", "key_lost"}}},
      {"identity",
       {{"source", "imds"},
        {"resource_id", "/subscriptions/x/y\n    az vm delete --ids z --yes"}}}};
  testing::write_file(reports / "evil\n    az vm delete --ids x --yes\n.json", forged.dump());

  auto text = testing::run_latchwatch({"plan", "resets", reports.path()});
  outputs_ += text.out + text.err;
  std::istringstream lines(text.out);
  std::vector<std::string> commands;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("    $ ", 0) == 0) commands.push_back(line.substr(6));
    EXPECT_NE(line.rfind("    az vm delete", 0), 0u) << "a forged command line: " << line;
  }
  EXPECT_NE(text.out.find("evil\\n    az vm delete"), std::string::npos) << "echoed escaped";
  std::vector<Argv> last_calls;
  for (const auto& command : commands) {
    auto calls = run(command);
    ASSERT_FALSE(calls.empty()) << command;
    for (const auto& call : calls)
      for (const auto& arg : call) EXPECT_EQ(arg.find("pwned"), std::string::npos) << arg;
    last_calls.push_back(calls.back());
  }
  auto has = [&](const Argv& argv) {
    return std::find(last_calls.begin(), last_calls.end(), argv) != last_calls.end();
  };
  EXPECT_TRUE(has({"rest", "--method", "patch", "--url",
                   std::string(kArm) + sim::kResourceId + kApi, "--body", body(11)}));
  EXPECT_TRUE(has({"rest", "--method", "patch", "--url",
                   std::string(kArm) + sim::kFlexMemberResourceId + kApi, "--body", body(11)}));
  // The Uniform instance: GET, raise, drop imageReference, PUT with If-Match (never vmss update).
  bool put = false;
  for (const auto& call : last_calls)
    put = put || (call.size() > 7 && Argv(call.begin(), call.begin() + 7) ==
                                         Argv{"rest", "--method", "put", "--url", instance_url("3"),
                                              "--headers", std::string("If-Match=") + kStubEtag});
  EXPECT_TRUE(put);
  EXPECT_TRUE(has(find_by_vm_id(sim::kVmId)));
  expect_no_injection();
}

}  // namespace
}  // namespace latchwatch
