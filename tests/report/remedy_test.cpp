#include "reporting/report/remedy.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "agent/diagnosis/identity_cache.h"
#include "agent/plan/reset_plan.h"
#include "probes/base/azure_names.h"
#include "probes/local/host_facts.h"
#include "probes/payloads/imds_instance.h"
#include "reporting/report/command_quote.h"
#include "reporting/report/human_report.h"
#include "reporting/sinks/alertmanager_sink.h"
#include "tests/support/test_support.h"

namespace latchwatch::diagnosis {
namespace {

constexpr const char* kSub = "8a3f1c2e-1111-4222-8333-944455566677";
const std::string kVm = std::string("/subscriptions/") + kSub +
                        "/resourceGroups/rg-latch/providers/Microsoft.Compute/virtualMachines/vm-1";
const std::string kInstance =
    std::string("/subscriptions/") + kSub +
    "/resourceGroups/rg-latch/providers/Microsoft.Compute/virtualMachineScaleSets/ss/"
    "virtualMachines/3";

Identity identity(const std::string& rid, const std::string& scale_set = "") {
  Identity id;
  id.source = "imds";
  id.resource_id = rid;
  id.vm_scale_set_name = scale_set;
  id.vm_id = "d0a1b2c3-0000-4000-8000-000000000001";
  return id;
}

// --- quoting by construction ---------------------------------------------------------------

TEST(ShQuote, SingleQuotesEverythingAndWritesAQuoteAsQuoteBackslashQuoteQuote) {
  EXPECT_EQ(sh_quote("rg-latch"), "'rg-latch'");
  EXPECT_EQ(sh_quote(""), "''");
  EXPECT_EQ(sh_quote("$(touch x)"), "'$(touch x)'");
  EXPECT_EQ(sh_quote("a'b$c"), "'a'\\''b$c'");
  EXPECT_EQ(sh_quote("x\ny"), "'x\ny'");  // a newline inside single quotes is literal
}

TEST(ShQuote, UsesDoubleQuotesOnlyWhenNothingInsideWouldExpand) {
  EXPECT_EQ(sh_quote("[?vmId=='g'].id"), "\"[?vmId=='g'].id\"");
  EXPECT_EQ(sh_quote("[?vmId=='$x'].id"), "'[?vmId=='\\''$x'\\''].id'");
  EXPECT_EQ(sh_quote("'`id`'"), "''\\''`id`'\\'''");
  EXPECT_EQ(sh_quote("'!x'"), "''\\''!x'\\'''");
}

TEST(PsQuote, DoublesEverySingleQuoteIncludingTypographicOnes) {
  EXPECT_EQ(ps_quote("vm-1"), "'vm-1'");
  EXPECT_EQ(ps_quote("it's"), "'it''s'");
  EXPECT_EQ(ps_quote("''"), "''''''");
  EXPECT_EQ(ps_quote("$(Remove-Item x)"), "'$(Remove-Item x)'");  // no expansion in '...'
  // U+2019 RIGHT SINGLE QUOTATION MARK ends a PowerShell single-quoted string too.
  EXPECT_EQ(ps_quote("a\xE2\x80\x99; b"), "'a\xE2\x80\x99\xE2\x80\x99; b'");
  EXPECT_EQ(ps_quote("a\xE2\x80\x98"
                     "b"),
            "'a\xE2\x80\x98\xE2\x80\x98"
            "b'");
}

/// A PowerShell single-quoted string ends only at an undoubled quote: walking the quoted text
/// back gives the original, whatever it holds.
std::string ps_unquote(const std::string& quoted) {
  EXPECT_EQ(quoted.front(), '\'');
  EXPECT_EQ(quoted.back(), '\'');
  std::string out;
  for (std::size_t i = 1; i + 1 < quoted.size(); ++i) {
    out += quoted[i];
    if (quoted[i] == '\'') {
      EXPECT_EQ(quoted[i + 1], '\'') << "an undoubled quote ends the string early: " << quoted;
      ++i;
    }
  }
  return out;
}

TEST(PsQuote, RoundTripsHostileText) {
  for (std::string text : {"a'b", "'; Remove-Item -Recurse C:\\ ; '", "x''y", "\n'\r"})
    EXPECT_EQ(ps_unquote(ps_quote(text)), text);
}

TEST(OneLine, EscapesLineBreaksControlsAndNonAscii) {
  EXPECT_EQ(probes::one_line("a\nb\r\tc\\d"), "a\\nb\\r\\tc\\\\d");
  EXPECT_EQ(probes::one_line("\x1b[31m\x7f"), "\\x1b[31m\\x7f");
  EXPECT_EQ(probes::one_line("\xE2\x80\xA8"), "\\xe2\\x80\\xa8");  // U+2028 LINE SEPARATOR
  EXPECT_EQ(probes::one_line(std::string(50, 'x'), 10), "xxxxxxxxxx...");
}

// --- the remedy per kind -----------------------------------------------------------------------

TEST(ParseResourceId, TellsVmsFlexibleMembersAndUniformInstancesApart) {
  EXPECT_EQ(parse_resource_id(kVm, "").kind, "virtual_machine");
  auto flex = parse_resource_id(kVm, "ss-flex");
  EXPECT_EQ(flex.kind, "flexible_member");
  EXPECT_EQ(flex.scale_set_name, "ss-flex");
  auto uniform = parse_resource_id(kInstance, "ss");
  EXPECT_EQ(uniform.kind, "uniform_instance");
  EXPECT_EQ(uniform.subscription_id, kSub);
  EXPECT_EQ(uniform.resource_group, "rg-latch");
  EXPECT_EQ(uniform.scale_set_name, "ss");
  EXPECT_EQ(uniform.instance_id, "3");
  EXPECT_EQ(parse_resource_id(kVm + "$(touch x)", "").kind, "unknown");
  EXPECT_EQ(parse_resource_id("/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/"
                              "networkInterfaces/n",
                              "")
                .kind,
            "unknown");
}

TEST(BuildRemedy, VmIsPatchedAndUpdatedWithAzVmUpdate) {
  auto r = build_remedy(identity(kVm), 10, false);
  EXPECT_EQ(r.resource_kind, "virtual_machine");
  EXPECT_EQ(r.request.method, "PATCH");
  EXPECT_EQ(r.az_command,
            "az rest --method patch --url '" + kVm +
                "?api-version=2024-03-01' --body '{\"properties\":{\"securityProfile\""
                ":{\"proxyAgentSettings\":{\"keyIncarnationId\":11}}}}'");
  EXPECT_EQ(r.az_update_command, "az vm update --ids '" + kVm + "' --key-incarnation-id 11");
  EXPECT_EQ(r.read_incarnation_command, "az rest --method get --url '" + kVm +
                                            "?api-version=2024-03-01' --query properties."
                                            "securityProfile.proxyAgentSettings."
                                            "keyIncarnationId -o tsv");
  EXPECT_EQ(r.read_az_native_command, "az vm show --ids '" + kVm +
                                          "' --query securityProfile.proxyAgentSettings."
                                          "keyIncarnationId -o tsv");
  EXPECT_EQ(r.powershell_command,
            "Invoke-AzRestMethod -Method PATCH -Path '" + kVm +
                "?api-version=2024-03-01' -Payload '{\"properties\":{\"securityProfile\":"
                "{\"proxyAgentSettings\":{\"keyIncarnationId\":11}}}}'");
  EXPECT_TRUE(r.patch_alternative.empty());
  EXPECT_TRUE(r.rest_command.empty());
  bool iac = false;
  for (const auto& n : r.notes) iac = iac || n.find("Terraform") != std::string::npos;
  EXPECT_TRUE(iac);
  EXPECT_EQ(r.confirm_command,
            "az rest --method get --url '" + kVm +
                "/instanceView?api-version=2024-03-01' --query \"extensions[?contains(type || "
                "'','ProxyAgent')].substatuses[] | [?contains(code || '','ProxyAgentStatus')]"
                ".message\" -o tsv");
  EXPECT_NE(r.confirm_az_native_command.find("az vm get-instance-view --ids '" + kVm + "'"),
            std::string::npos);
  nlohmann::json j = r;
  EXPECT_EQ(j["request"]["steps"].size(), 1u);
  EXPECT_EQ(j["request"]["steps"][0]["method"], "PATCH");
}

TEST(BuildRemedy, UniformInstanceTakesPutAndPatchIsOnlyALabelledAlternative) {
  auto r = build_remedy(identity(kInstance, "ss"), 10, false);
  EXPECT_EQ(r.resource_kind, "uniform_instance");
  EXPECT_EQ(r.request.method, "PUT");
  EXPECT_EQ(r.az_update_command,
            std::string("az vmss update -g 'rg-latch' -n 'ss' --instance-id '3' "
                        "--subscription '") +
                kSub +
                "' --set 'securityProfile.proxyAgentSettings."
                "keyIncarnationId=11'");
  EXPECT_EQ(r.az_command.rfind("url='" + kInstance +
                                   "?api-version=2024-03-01' && model=$(az "
                                   "rest --method get --url \"$url\")",
                               0),
            0u)
      << r.az_command;
  EXPECT_NE(r.az_command.find("del(.properties.storageProfile.imageReference)"), std::string::npos);
  EXPECT_NE(r.az_command.find("az rest --method put"), std::string::npos);
  EXPECT_NE(r.az_command.find("If-Match=$etag"), std::string::npos);
  EXPECT_EQ(r.az_command.find("patch"), std::string::npos);
  EXPECT_TRUE(r.rest_command.empty());
  EXPECT_NE(r.read_az_native_command.find("az vmss show -g 'rg-latch' -n 'ss' --instance-id '3'"),
            std::string::npos);
  EXPECT_NE(r.confirm_command.find("az rest --method get --url '" + kInstance + "/instanceView"),
            std::string::npos);
  EXPECT_NE(r.confirm_az_native_command.find("az vmss get-instance-view"), std::string::npos);
  EXPECT_TRUE(r.request.body.is_null()) << "never a partial PUT body";
  ASSERT_EQ(r.request.steps.size(), 4u);
  EXPECT_EQ(r.request.steps[0]["method"], "GET");
  EXPECT_EQ(r.request.steps[1]["step"], "raise");
  EXPECT_EQ(r.request.steps[1]["value"], 11);
  EXPECT_EQ(r.request.steps[2]["path"], "properties.storageProfile.imageReference");
  EXPECT_EQ(r.request.steps[3]["method"], "PUT");
  EXPECT_TRUE(r.request.steps[3]["headers"].contains("If-Match"));
  EXPECT_NE(r.powershell_command.find("Remove('imageReference')"), std::string::npos);
  EXPECT_NE(r.patch_alternative.find("--method patch"), std::string::npos);
  EXPECT_EQ(r.powershell_command.find("PATCH"), std::string::npos);
  EXPECT_NE(r.powershell_command.find("-Method Put"), std::string::npos);
  EXPECT_NE(r.powershell_command.find("'If-Match' = $etag"), std::string::npos);
  nlohmann::json j = r;
  // read (rest, native), reset (rest, vmss update, powershell), confirm (rest, native)
  EXPECT_EQ(j["commands"].size(), 7u);
  for (const auto& c : j["commands"]) EXPECT_TRUE(c.contains("needs")) << c.dump();
  EXPECT_EQ(j["commands"].dump().find("patch"), std::string::npos);
  EXPECT_NE(j["patch_alternative"].get<std::string>().find("patch"), std::string::npos);
}

TEST(BuildRemedy, PowerShellArgumentsAreSingleQuotedByCode) {
  auto vm = build_remedy(identity(kVm), std::nullopt, false);
  EXPECT_EQ(
      vm.powershell_command.rfind("$path = " + ps_quote(kVm + "?api-version=2024-03-01") + "; ", 0),
      0u)
      << vm.powershell_command;
  EXPECT_NE(vm.powershell_command.find(
                "-Payload ('{\"properties\":{\"securityProfile\":{\"proxyAgentSettings\":"
                "{\"keyIncarnationId\":' + $N + '}}}}')"),
            std::string::npos)
      << vm.powershell_command;
  auto uniform = build_remedy(identity(kInstance, "ss"), std::nullopt, false);
  EXPECT_EQ(uniform.powershell_command.rfind(
                "$arm = (Get-AzContext).Environment.ResourceManagerUrl; $uri = "
                "$arm.TrimEnd('/') + " +
                    ps_quote(kInstance + "?api-version=2024-03-01") + "; ",
                0),
            0u)
      << uniform.powershell_command;
  for (const auto& r : {vm, uniform})
    EXPECT_EQ(r.powershell_command.find("management.azure.com"), std::string::npos);
  for (const auto& r : {vm, uniform})
    EXPECT_NE(r.powershell_command.find("if ($N -gt 2147483647)"), std::string::npos);
}

TEST(BuildRemedy, IncarnationAtTheInt32LimitGivesAFindingNotACommand) {
  auto ok = build_remedy(identity(kVm), kMaxKeyIncarnationId - 1, false);
  EXPECT_EQ(*ok.next_incarnation, kMaxKeyIncarnationId);
  EXPECT_TRUE(ok.blocked.empty());
  for (std::int64_t at : {kMaxKeyIncarnationId, kMaxKeyIncarnationId + 5, std::int64_t{1} << 40}) {
    auto r = build_remedy(identity(kVm), at, false);
    EXPECT_FALSE(r.blocked.empty());
    EXPECT_FALSE(r.next_incarnation);
    EXPECT_TRUE(r.az_command.empty());
    EXPECT_TRUE(r.az_update_command.empty());
    EXPECT_TRUE(r.powershell_command.empty());
  }
}

TEST(BuildRemedy, UnknownIncarnationIsComputedInTheShellWithAnInt32Guard) {
  auto r = build_remedy(identity(kVm), std::nullopt, false);
  EXPECT_EQ(r.az_command.rfind("cur=$(az rest --method get --url '" + kVm + "?api-version=", 0),
            0u);
  EXPECT_NE(r.az_command.find("(( N <= 2147483647 ))"), std::string::npos);
  EXPECT_NE(r.az_command.find("\"keyIncarnationId\":'\"$N\"'}}}}'"), std::string::npos);
}

TEST(BuildRemedy, UnknownResourceNeverPrintsAnEmptyFindQuery) {
  Identity none;
  none.source = "unknown";
  auto bare = build_remedy(none, 3, false);
  EXPECT_TRUE(bare.find_vm_command.empty());
  EXPECT_NE(nlohmann::json(bare).dump().find("{resourceId}"), std::string::npos);
  probes::HostFacts host;
  host.host_name = "web-01";
  auto by_host = build_remedy(none, 3, false, &host);
  EXPECT_EQ(by_host.find_vm_command,
            "az vm list --query \"[?osProfile.computerName=='web-01'].id\" -o tsv");
  host.host_name.clear();
  host.private_addresses = {"10.0.1.4"};
  auto by_address = build_remedy(none, 3, false, &host);
  EXPECT_EQ(by_address.find_vm_command,
            "az vm list -d --query \"[?contains(join(',', ['', privateIps || '', '']), "
            "',10.0.1.4,')].id\" -o tsv");
  for (const auto& r : {bare, by_host, by_address})
    EXPECT_EQ(nlohmann::json(r).dump().find("=='']"), std::string::npos);
}

TEST(DeriveResourceId, UniformOnlyForScaleSetUnderscoreDigits) {
  EXPECT_EQ(derive_resource_id(kSub, "rg", "ss_3", "ss"),
            std::string("/subscriptions/") + kSub +
                "/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/ss/"
                "virtualMachines/3");
  EXPECT_EQ(derive_resource_id(kSub, "rg", "ss-flex_4b2a1c3d", "ss-flex"),
            std::string("/subscriptions/") + kSub +
                "/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/ss-flex_4b2a1c3d");
  EXPECT_EQ(derive_resource_id(kSub, "rg$(x)", "vm", ""), "");
  EXPECT_EQ(derive_resource_id("not-a-guid", "rg", "vm", ""), "");
}

// --- identity checked on arrival and from the cache -------------------------------------------

TEST(ImdsArrival, FieldsFailingTheirCheckAreDroppedAndNamed) {
  nlohmann::json body = {{"compute",
                          {{"resourceId", kVm + "$(touch /tmp/x)"},
                           {"subscriptionId", kSub},
                           {"resourceGroupName", "rg\nx"},
                           {"name", "vm-1"},
                           {"vmScaleSetName", "ss'"},
                           {"vmId", "d0a1b2c3-0000-4000-8000-000000000001;id"}}}};
  auto parsed = probes::parse_imds_instance(body.dump());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed.value->resource_id, "");
  EXPECT_EQ(parsed.value->subscription_id, kSub);
  EXPECT_EQ(parsed.value->resource_group_name, "");
  EXPECT_EQ(parsed.value->name, "vm-1");
  EXPECT_EQ(parsed.value->vm_scale_set_name, "");
  EXPECT_EQ(parsed.value->vm_id, "");
  std::vector<std::string> fields;
  for (const auto& r : parsed.value->rejected) {
    fields.push_back(r.field);
    EXPECT_EQ(r.shown.find('\n'), std::string::npos);
  }
  EXPECT_EQ(fields, (std::vector<std::string>{"resourceId", "resourceGroupName", "vmScaleSetName",
                                              "vmId"}));
}

TEST(IdentityCacheRead, FieldsFailingTheirCheckAreDropped) {
  testing::TempDir dir;
  nlohmann::json planted = {{"schema", 1},
                            {"resource_id", kVm + "`id`"},
                            {"subscription_id", kSub},
                            {"name", "vm'1"},
                            {"vm_id", "d0a1b2c3-0000-4000-8000-000000000001"},
                            {"last_key_guid", "not a guid"},
                            {"written_at_unix", 1790000000}};
  testing::write_file(dir / "identity.json", planted.dump());
  auto load = load_identity_cache(dir.path());
  ASSERT_EQ(load.state, CacheState::ok);
  EXPECT_EQ(load.identity->resource_id, "");
  EXPECT_EQ(load.identity->name, "");
  EXPECT_EQ(load.identity->subscription_id, kSub);
  EXPECT_EQ(load.identity->last_key_guid, "");
  ASSERT_EQ(load.rejected.size(), 3u);
  EXPECT_EQ(load.rejected[0].field, "resource_id");
}

// --- host facts --------------------------------------------------------------------------------

TEST(HostFacts, OsReleaseRouteAndAddresses) {
  EXPECT_EQ(probes::os_release_name("NAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n"
                                    "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"),
            "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(probes::os_release_name("NAME=Ubuntu\nVERSION_ID=\"24.04\"\n"), "Ubuntu 24.04");
  EXPECT_EQ(probes::os_release_name("PRETTY_NAME=\"a\x1b[31mb\"\n"), "a\\x1b[31mb");
  const std::string routes =
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
      "eth0\t0001000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
      "eth0\t00000000\t0101000A\t0003\t0\t0\t100\t00000000\t0\t0\t0\n";
  EXPECT_EQ(probes::default_route_interface(routes), "eth0");
  EXPECT_EQ(probes::default_route_interface("Iface\tDestination\n"), "");
  std::vector<probes::InterfaceAddress> interfaces = {{"lo", "127.0.0.1", true},
                                                      {"docker0", "172.17.0.1", false},
                                                      {"eth0", "10.0.1.4", false},
                                                      {"eth0", "fe80::1", false},
                                                      {"eth0", "10.0.1.4", false}};
  EXPECT_EQ(probes::primary_addresses(interfaces, "eth0"), (std::vector<std::string>{"10.0.1.4"}));
  EXPECT_EQ(probes::primary_addresses(interfaces, ""),
            (std::vector<std::string>{"172.17.0.1", "10.0.1.4"}));
  // IPv4 before IPv6 however the system listed them (Windows lists IPv6 first).
  std::vector<probes::InterfaceAddress> v6_first = {{"Ethernet", "fd00::2", false},
                                                    {"Ethernet", "192.0.2.2", false}};
  EXPECT_EQ(probes::primary_addresses(v6_first, "Ethernet"),
            (std::vector<std::string>{"192.0.2.2", "fd00::2"}));
  EXPECT_EQ(probes::checked_version("1.0.30"), "1.0.30");
  EXPECT_EQ(probes::checked_version("1.0.30$(id)"), "");
}

// HostFacts.ReadFromConfigurableFilesAndAHostileHostNameIsDropped: host_facts_posix_test.cpp.

// --- every verdict carries its action: JSON, table, alert annotation ---------------------------

TEST(VerdictAction, EveryVerdictNamesItsActionAndWhoTakesIt) {
  for (const auto& entry : verdict_catalogue()) {
    Report report;
    report.verdict = {entry.code, entry.severity, entry.meaning};
    std::string by = action_by(entry.code);
    EXPECT_TRUE(by == "owner" || by == "operator" || by == "none") << entry.name;
    if (entry.needs_key_reset) {
      EXPECT_EQ(by, "owner") << entry.name;
    }
    nlohmann::json doc = report_document(report);
    EXPECT_EQ(doc["verdict"]["action"], entry.owner_action) << entry.name;
    EXPECT_EQ(doc["verdict"]["action_by"], by) << entry.name;
    auto table = reporting::render_human(report, false);
    EXPECT_NE(table.find("action (" + by + "): " + entry.owner_action), std::string::npos) << table;
    reporting::CycleReport cycle;
    cycle.report = report;
    auto alert = reporting::alert_for(cycle, entry.code, {}, {});
    EXPECT_EQ(alert["annotations"]["action"], entry.owner_action) << entry.name;
    EXPECT_EQ(alert["annotations"]["action_by"], by) << entry.name;
  }
  EXPECT_STREQ(action_by(VerdictCode::gpa_down), "operator");
  EXPECT_STREQ(action_by(VerdictCode::healthy), "none");
}

}  // namespace
}  // namespace latchwatch::diagnosis

namespace latchwatch::plan {
namespace {

/// Reports written by the real report code with no identity at all: only their host facts tell
/// the machines apart and tell the owner how to find them.
TEST(ResetPlanHostFacts, MachinesWithoutIdentityAreGroupedAndFoundByTheirHostFacts) {
  std::vector<std::string> errors;
  std::vector<ReportRecord> records;
  int n = 0;
  for (const auto& [host, address] :
       {std::pair{"web-01", "10.0.1.4"}, {"web-02", "10.0.1.5"}, {"web-01", "10.0.1.4"}}) {
    latchwatch::Report r;
    r.generated_at = "2026-11-20T10:00:0" + std::to_string(n) + "Z";
    r.verdict.code = latchwatch::VerdictCode::key_lost;
    r.identity.source = "unknown";
    r.host.host_name = host;
    r.host.private_addresses = {address};
    r.remedy = latchwatch::build_remedy(r.identity, 4, false, &r.host);
    auto more = read_report_records("r" + std::to_string(n++) + ".json",
                                    latchwatch::report_document(r).dump(), errors);
    records.insert(records.end(), more.begin(), more.end());
  }
  ASSERT_TRUE(errors.empty()) << errors.front();
  auto plan = build_reset_plan(records, {});
  ASSERT_EQ(plan.unidentified.size(), 2u) << "web-01 reported twice: one machine";
  std::set<std::string> finds;
  for (const auto& u : plan.unidentified) finds.insert(u.remedy.find_vm_command);
  EXPECT_EQ(finds, (std::set<std::string>{
                       "az vm list --query \"[?osProfile.computerName=='web-01'].id\" -o tsv",
                       "az vm list --query \"[?osProfile.computerName=='web-02'].id\" -o tsv"}));
  auto text = reset_plan_text(plan);
  EXPECT_EQ(text.find("=='']"), std::string::npos);
  EXPECT_NE(text.find("web-01 (10.0.1.4)"), std::string::npos) << text;
  EXPECT_EQ(reset_plan_document(plan).dump().find("=='']"), std::string::npos);
}

TEST(ResetPlanHostFacts, AHostileHostNameRejectsTheReportAndIsEchoedOnOneLine) {
  std::vector<std::string> errors;
  latchwatch::Report r;
  r.generated_at = "2026-11-20T10:00:00Z";
  r.verdict.code = latchwatch::VerdictCode::key_lost;
  r.identity.source = "unknown";
  r.host.host_name = "web\n    az vm delete --ids x --yes";
  auto records = read_report_records("a.json", latchwatch::report_document(r).dump(), errors);
  EXPECT_TRUE(records.empty());
  ResetPlan plan;
  plan.input_errors = errors;
  auto text = reset_plan_text(plan);
  EXPECT_EQ(text.find("\n    az vm delete"), std::string::npos) << text;
  EXPECT_NE(text.find("web\\n    az vm delete"), std::string::npos) << text;
}

TEST(ResetPlanHostFacts, AnIncarnationAtTheInt32LimitIsFlaggedWithoutACommand) {
  latchwatch::Report r;
  r.generated_at = "2026-11-20T10:00:00Z";
  r.verdict.code = latchwatch::VerdictCode::key_lost;
  r.identity.source = "imds";
  r.identity.resource_id = std::string("/subscriptions/") + diagnosis::kSub +
                           "/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm-1";
  r.remedy = latchwatch::build_remedy(r.identity, latchwatch::kMaxKeyIncarnationId, false);
  ASSERT_FALSE(r.remedy->blocked.empty());
  std::vector<std::string> errors;
  auto plan = build_reset_plan(
      read_report_records("a.json", latchwatch::report_document(r).dump(), errors), {});
  ASSERT_EQ(plan.vms.size(), 1u);
  EXPECT_FALSE(plan.vms[0].remedy.blocked.empty());
  EXPECT_TRUE(plan.vms[0].remedy.az_command.empty());
  auto text = reset_plan_text(plan);
  EXPECT_EQ(text.find("    $ "), std::string::npos) << text;
  EXPECT_NE(text.find("int32 limit: no command"), std::string::npos) << text;
}

}  // namespace
}  // namespace latchwatch::plan
