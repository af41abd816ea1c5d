// GPA's status.json and secure-channel bodies as each GPA release writes or reads them
// (tests/fixtures/gpa-eras/README.md cites the source per tag), and the era rules of the
// diagnosis on them.

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "agent/diagnosis/diagnose.h"
#include "probes/fabric/fabric_client.h"
#include "probes/payloads/gpa_era.h"
#include "probes/payloads/gpa_status_file.h"
#include "probes/payloads/gpa_version.h"
#include "probes/payloads/secure_channel_status.h"
#include "tests/fabric_sim/scenarios.h"

namespace latchwatch {
namespace {

using latchwatch::VerdictCode;
using probes::GpaStatusFile;
using probes::KeyLatchMessage;
using probes::Mode;
using probes::Target;

constexpr const char* kGuid = "e3882f98-da8d-4410-8394-06c23462781c";

std::string era_fixture(const std::string& name) {
  std::ifstream in(std::string(LATCHWATCH_FIXTURES_DIR) + "/gpa-eras/" + name);
  EXPECT_TRUE(in) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

GpaStatusFile status(const std::string& name) {
  auto parsed = probes::parse_gpa_status_file(era_fixture(name));
  EXPECT_TRUE(parsed) << name << ": " << parsed.error;
  return parsed ? *parsed.value : GpaStatusFile{};
}

TEST(GpaVersion, ParsesReleaseTagsAndComparesByEra) {
  auto first = probes::GpaVersion::parse("1.0.13.1");
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->at_most(1, 0, 17));
  EXPECT_TRUE(first->at_most(1, 0, 13));
  EXPECT_FALSE(first->at_least(1, 0, 14));
  auto v24 = probes::GpaVersion::parse("1.0.24");
  ASSERT_TRUE(v24);
  EXPECT_TRUE(v24->at_most(1, 0, 24));
  EXPECT_FALSE(probes::GpaVersion::parse("1.0.25")->at_most(1, 0, 24));
  for (const char* bad : {"", "unknown", "1", "1.0.x", "1..0", "1.0.13.1.2", "1.0.1234567"})
    EXPECT_FALSE(probes::GpaVersion::parse(bad)) << bad;
}

// ---- status.json, field by field per era ----

TEST(GpaEraStatusFile, V1013WritesTheZeroGuidAndJsonWrappedMessages) {
  auto healthy = status("status-1.0.13.1-healthy.json");
  EXPECT_EQ(healthy.agent_version, "1.0.13.1");
  EXPECT_EQ(healthy.key_latch_class, KeyLatchMessage::ready);
  EXPECT_EQ(healthy.key_latch_elapsed_ms, 4121);
  EXPECT_EQ(healthy.states_key_guid, kGuid);
  EXPECT_EQ(healthy.states_key_incarnation_id, 10);
  EXPECT_TRUE(healthy.states_modes_known) << "two-part state, HostGA follows WireServer";
  EXPECT_EQ(healthy.states_hostga, Mode::enforce);

  auto lost = status("status-1.0.13.1-key-lost.json");
  EXPECT_TRUE(lost.states_key_guid.empty()) << "the zero GUID means no key";
  EXPECT_TRUE(lost.states_key_guid_zero);
  EXPECT_EQ(lost.key_latch_class, KeyLatchMessage::started);
}

TEST(GpaEraStatusFile, V1017StillZeroGuidWithRuleIdsAndDashElapsed) {
  auto healthy = status("status-1.0.17-healthy.json");
  EXPECT_EQ(healthy.key_latch_class, KeyLatchMessage::ready);
  EXPECT_EQ(healthy.key_latch_elapsed_ms, 4121);
  auto lost = status("status-1.0.17-key-lost.json");
  EXPECT_TRUE(lost.states_key_guid_zero);
  EXPECT_EQ(lost.key_latch_class, KeyLatchMessage::started);
}

TEST(GpaEraStatusFile, V1020And1024KeepTheStartedMessageAndOmitKeyGuid) {
  for (const char* name : {"status-1.0.20-key-lost.json", "status-1.0.24-key-lost.json"}) {
    auto lost = status(name);
    EXPECT_EQ(lost.key_latch_class, KeyLatchMessage::started) << name;
    EXPECT_TRUE(lost.states_key_guid.empty()) << name;
    EXPECT_FALSE(lost.states_key_guid_zero) << name;
  }
}

TEST(GpaEraStatusFile, V1025And1030SayTheRefusalAndReportKeyStatusWhileHealthy) {
  for (const char* v : {"1.0.25", "1.0.30"}) {
    auto healthy = status(std::string("status-") + v + "-healthy.json");
    EXPECT_EQ(healthy.key_latch_class, KeyLatchMessage::key_status_received) << v;
    EXPECT_EQ(healthy.states_key_guid, kGuid) << v;
    EXPECT_TRUE(healthy.states_modes_known) << v;
    auto lost = status(std::string("status-") + v + "-key-lost.json");
    EXPECT_EQ(lost.key_latch_class, KeyLatchMessage::acquire_refused) << v;
  }
}

// Up to 1.0.33 key_keeper.rs stores the secure-channel state only after the key step succeeds
// (a refused acquire `continue`s before it); from 1.0.34 it is stored first. A GPA refused since
// it started therefore writes the initial "Unknown" (UNKNOWN_STATE), in the fixtures and in
// what the simulator writes.
TEST(GpaEraStatusFile, RefusedSinceStartTheStateIsUnknownUpTo1033) {
  for (const char* v : {"1.0.13.1", "1.0.17", "1.0.20", "1.0.24", "1.0.25", "1.0.30"}) {
    auto lost = status(std::string("status-") + v + "-key-lost.json");
    EXPECT_EQ(lost.states_secure_channel_state, "Unknown") << v;
    EXPECT_FALSE(lost.states_modes_known) << v;
    const auto* scenario = sim::find_scenario(std::string("key_lost@") + v);
    ASSERT_NE(scenario, nullptr) << v;
    auto doc = sim::status_file_document(*scenario, std::chrono::system_clock::now());
    EXPECT_EQ(doc["proxyAgentStatus"]["keyLatchStatus"]["states"]["secureChannelState"], "Unknown")
        << v;
  }
  for (const char* v : {"1.0.34", "1.0.47"}) {
    const auto* scenario = sim::find_scenario(std::string("key_lost@") + v);
    ASSERT_NE(scenario, nullptr) << v;
    auto doc = sim::status_file_document(*scenario, std::chrono::system_clock::now());
    EXPECT_NE(doc["proxyAgentStatus"]["keyLatchStatus"]["states"]["secureChannelState"], "Unknown")
        << v;
  }
  EXPECT_NE(status("status-1.0.47-key-lost.json").states_secure_channel_state, "Unknown");
  // A GPA that holds its key stored the state when it loaded it.
  const auto* latent = sim::find_scenario("key_loss_latent@1.0.20");
  ASSERT_NE(latent, nullptr);
  EXPECT_NE(sim::status_file_document(
                *latent, std::chrono::system_clock::now())["proxyAgentStatus"]["keyLatchStatus"]
                                                          ["states"]["secureChannelState"],
            "Unknown");
}

TEST(GpaEraStatusFile, V1047ThreePartStateAndReadyMessage) {
  auto healthy = status("status-1.0.47-healthy.json");
  EXPECT_EQ(healthy.key_latch_class, KeyLatchMessage::ready);
  EXPECT_EQ(healthy.states_secure_channel_state,
            "WireServer Enforce -  IMDS Enforce - HostGA Enforce");
  EXPECT_TRUE(healthy.states_modes_known);
  EXPECT_EQ(status("status-1.0.47-key-lost.json").key_latch_class,
            KeyLatchMessage::acquire_refused);
}

// ---- the secure-channel status as GPA reads it ----

TEST(GpaEraSecureChannel, BodiesGpaRejectsAreRejected) {
  for (const char* name : {"sc-v2-missing-enabled.json", "sc-v1-unknown-state.json"}) {
    auto s = probes::parse_secure_channel_status(era_fixture(name));
    EXPECT_FALSE(s) << name;
  }
  EXPECT_NE(probes::parse_secure_channel_status(era_fixture("sc-v2-missing-enabled.json"))
                .error.find("secureChannelEnabled"),
            std::string::npos);
}

TEST(GpaEraSecureChannel, HostGaFollowsWireServerAndOnlyVersion20ReadsV2) {
  auto s = probes::parse_secure_channel_status(era_fixture("sc-v2-hostga-differs.json"));
  ASSERT_TRUE(s) << s.error;
  EXPECT_EQ(s.value->wireserver, Mode::enforce);
  EXPECT_EQ(s.value->imds, Mode::audit);
  EXPECT_EQ(s.value->hostga, Mode::enforce);
  EXPECT_TRUE(s.value->hostga_item_ignored);

  auto v3 = probes::parse_secure_channel_status(era_fixture("sc-v3-enabled-only.json"));
  ASSERT_TRUE(v3) << v3.error;
  EXPECT_FALSE(v3.value->enabled) << "not \"2.0\": secureChannelState, absent, means disabled";
}

TEST(GpaEraSecureChannel, UnknownV2ModeIsDisabledAndIncarnationIsAU32) {
  auto s = probes::parse_secure_channel_status(
      R"({"authorizationScheme":"Azure-HMAC-SHA256","keyDeliveryMethod":"http",
          "version":"2.0","secureChannelEnabled":true,"authorizationRules":{
          "wireserver":{"defaultAccess":"allow","mode":"maybe","id":"x"}}})");
  ASSERT_TRUE(s) << s.error;
  EXPECT_TRUE(s.value->enabled);
  EXPECT_EQ(s.value->wireserver, Mode::disabled);
  for (const char* bad : {R"("10")", "-1", "4294967296", "1.5"})
    EXPECT_FALSE(probes::parse_secure_channel_status(
        std::string(R"({"authorizationScheme":"Azure-HMAC-SHA256","keyDeliveryMethod":"http",)"
                    R"("version":"1.0","secureChannelState":"Disabled","keyIncarnationId":)") +
        bad + "}"))
        << bad;
  EXPECT_TRUE(probes::parse_secure_channel_status(
      R"({"authorizationScheme":"Azure-HMAC-SHA256","keyDeliveryMethod":"http","version":"1.0",
          "secureChannelState":"Disabled","keyIncarnationId":4294967295})"));
}

// ---- the era rules of the diagnosis ----

const auto kNow = std::chrono::system_clock::from_time_t(1790000000);

probes::ProbeResult ok(Target t) {
  probes::ProbeResult r;
  r.target = t;
  r.endpoint = "127.0.0.1:1";
  r.outcome = probes::Outcome::ok;
  r.http_status = 200;
  r.via_gpa = true;
  r.body_bytes = 10;
  return r;
}

/// Audit mode (nothing answers 401), status.json from `fixture`, key files `keys`.
diagnosis::Evidence audit_vm(const std::string& fixture, std::vector<std::string> keys,
                             std::optional<double> uptime = 3600) {
  diagnosis::Evidence e;
  e.now = kNow;
  for (Target t : probes::kAllTargets) e.cycle.results.push_back(ok(t));
  probes::SecureChannelStatus sc;
  sc.protocol_version = "2.0";
  sc.enabled = true;
  sc.key_guid = kGuid;
  sc.key_incarnation_id = 10;
  sc.wireserver = sc.imds = sc.hostga = Mode::audit;
  e.cycle.status = sc;
  e.cycle.provision = probes::ProvisionReply{true, "", {}};
  e.keys.state = probes::ReadState::ok;
  for (const auto& g : keys) {
    probes::KeyFileEntry entry;
    entry.name = g + ".key";
    entry.guid = g;
    entry.size = 100;
    e.keys.entries.push_back(entry);
  }
  e.status_file.state = probes::ReadState::ok;
  e.status_file.content = status(fixture);
  e.status_file.age_seconds = 30;
  e.presence.unit_file = e.presence.binary = true;
  e.uptime_seconds = uptime;
  return e;
}

VerdictCode verdict(const diagnosis::Evidence& e) { return diagnosis::diagnose(e).verdict.code; }

TEST(GpaEraRules, ZeroGuidIsNoKeyNotAnotherKey) {
  EXPECT_EQ(verdict(audit_vm("status-1.0.13.1-key-lost.json", {})), VerdictCode::key_lost);
  EXPECT_EQ(verdict(audit_vm("status-1.0.17-key-lost.json", {})), VerdictCode::key_lost);
}

TEST(GpaEraRules, StuckStartedMessageIsARefusedAcquireOnlyUpTo1024AndPastTheGrace) {
  EXPECT_EQ(verdict(audit_vm("status-1.0.20-key-lost.json", {})), VerdictCode::key_lost);
  EXPECT_EQ(verdict(audit_vm("status-1.0.24-key-lost.json", {})), VerdictCode::key_lost);
  // Early boot, or uptime unknown: not guessed.
  EXPECT_EQ(verdict(audit_vm("status-1.0.20-key-lost.json", {}, 100)),
            VerdictCode::latching_in_progress);
  EXPECT_EQ(verdict(audit_vm("status-1.0.20-key-lost.json", {}, std::nullopt)),
            VerdictCode::latching_in_progress);
  // 1.0.25 on would have said so: a "started" message there is not a refusal.
  auto e = audit_vm("status-1.0.47-key-lost.json", {});
  e.status_file.content->key_latch_class = KeyLatchMessage::started;
  EXPECT_EQ(verdict(e), VerdictCode::latching_in_progress);
  // A stale status file with a silent listener is no evidence of polls; a listener that answers
  // says GPA is alive.
  auto stale = audit_vm("status-1.0.20-key-lost.json", {});
  stale.status_file.age_seconds = 3600;
  EXPECT_EQ(verdict(stale), VerdictCode::key_lost);
  for (auto& r : stale.cycle.results)
    if (r.target == Target::gpa_provision) {
      r = probes::ProbeResult{};
      r.target = Target::gpa_provision;
      r.outcome = probes::Outcome::refused;
    }
  stale.cycle.provision.reset();
  EXPECT_NE(verdict(stale), VerdictCode::key_lost);
  // A test mock's "1.0" is no release: no era inference.
  auto mock = audit_vm("status-1.0.20-key-lost.json", {});
  mock.status_file.content->agent_version = "1.0";
  EXPECT_EQ(verdict(mock), VerdictCode::latching_in_progress);
}

TEST(GpaEraRules, UnusableKeyFileWithARefusedAcquireIsKeyLost) {
  for (const char* f : {"status-1.0.20-key-lost.json", "status-1.0.30-key-lost.json",
                        "status-1.0.47-key-lost.json"}) {
    auto report = diagnosis::diagnose(audit_vm(f, {kGuid}));
    EXPECT_EQ(report.verdict.code, VerdictCode::key_lost) << f;
    EXPECT_TRUE(report.remedy) << f;
  }
}

TEST(GpaEraRules, EarlyBootNeverGivesGpaDownOrAKeyVerdictFromAbsence) {
  auto e = audit_vm("status-1.0.20-key-lost.json", {}, 30);
  for (auto& r : e.cycle.results)
    if (r.target == Target::gpa_provision) {
      r = probes::ProbeResult{};
      r.target = Target::gpa_provision;
      r.outcome = probes::Outcome::refused;
    }
  e.cycle.provision.reset();
  e.status_file.content.reset();
  e.status_file.state = probes::ReadState::missing;
  EXPECT_EQ(verdict(e), VerdictCode::latching_in_progress);
  e.uptime_seconds = 3600;
  EXPECT_EQ(verdict(e), VerdictCode::gpa_down);
  // GPA's own explicit refusal is not absence: a key verdict even early.
  EXPECT_EQ(verdict(audit_vm("status-1.0.47-key-lost.json", {}, 30)), VerdictCode::key_lost);
}

// No GPA release answers a GET with 405: its method allow-list (1.0.45 on, proxy_server.rs
// is_method_allowed) admits GET, POST, PUT, DELETE, HEAD, OPTIONS and PATCH. A 405 is something
// else in the path: a finding, never a rules verdict, and it hides no key verdict in any era.
TEST(GpaEraRules, A405IsNoEvidenceAboutGpasRulesInAnyEra) {
  for (const char* fixture : {"status-1.0.20-key-lost.json", "status-1.0.30-key-lost.json",
                              "status-1.0.47-key-lost.json"}) {
    auto e = audit_vm(fixture, {});
    const auto without = verdict(e);
    for (auto& r : e.cycle.results)
      if (r.target == Target::imds_instance) {
        r.http_status = 405;
        r.outcome = probes::Outcome::http_error;
      }
    auto report = diagnosis::diagnose(e);
    EXPECT_EQ(report.verdict.code, without) << fixture;
    EXPECT_EQ(report.verdict.code, VerdictCode::key_lost) << fixture;
    bool noted = false;
    for (const auto& f : report.findings) noted = noted || f.id == "method_not_allowed";
    EXPECT_TRUE(noted) << fixture;
  }
  // On a healthy VM it is not a rules verdict either.
  auto e = audit_vm("status-1.0.47-healthy.json", {kGuid});
  for (auto& r : e.cycle.results)
    if (r.target == Target::wireserver_versions) {
      r.http_status = 405;
      r.outcome = probes::Outcome::http_error;
    }
  EXPECT_NE(verdict(e), VerdictCode::access_denied_by_rules);
}

// ---- what latchwatch may send to each GPA (proxy_server.rs handle_provision_state_check_request,
// key_keeper.rs loop_poll, common/constants.rs TIME_TICK_HEADER) ----

TEST(GpaEraRequests, ProvisionIsSentOnlyWhereItHasNoEffect) {
  using probes::ProvisionEffect;
  auto era = [](const char* v) { return probes::gpa_era(probes::GpaVersion::parse(v)); };
  EXPECT_EQ(era("1.0.13.1").provision_effect, ProvisionEffect::misdirected_warning_event);
  EXPECT_EQ(era("1.0.20").provision_effect, ProvisionEffect::misdirected_warning_event);
  EXPECT_EQ(era("1.0.21").provision_effect, ProvisionEffect::postpones_key_poll);
  EXPECT_EQ(era("1.0.22").provision_effect, ProvisionEffect::resets_provision_state);
  EXPECT_EQ(era("1.0.25").provision_effect, ProvisionEffect::resets_provision_state);
  EXPECT_EQ(era("1.0.26").provision_effect, ProvisionEffect::none_with_time_tick);
  for (const char* v : {"1.0.13.1", "1.0.20", "1.0.21", "1.0.24", "1.0.25"})
    EXPECT_FALSE(era(v).send_provision) << v;
  for (const char* v : {"1.0.26", "1.0.36", "1.0.37", "1.0.47"})
    EXPECT_TRUE(era(v).send_provision) << v;
  EXPECT_EQ(era("1.0.36").time_tick_header, "x-ms-azure-time_tick");
  EXPECT_EQ(era("1.0.37").time_tick_header, "x-ms-azure-time-tick");
  // Unknown (no version, a mock's "1.0", garbage): nothing with an effect anywhere.
  for (const char* v : {"", "1.0", "unknown", "2.0.1"}) {
    auto unknown = era(v);
    EXPECT_FALSE(unknown.version) << v;
    EXPECT_FALSE(unknown.send_provision) << v;
    EXPECT_TRUE(unknown.send_aggregated_status) << v;  // 404 from WireServer on older GPAs
    EXPECT_TRUE(unknown.rule_item_id_required) << v;
  }
  EXPECT_FALSE(era("1.0.46").send_aggregated_status);
  EXPECT_TRUE(era("1.0.47").send_aggregated_status);
}

TEST(GpaEraRequests, TheProvisionRequestCarriesTheErasTimeTickAndNeverNotify) {
  auto request = probes::allowed_request(Target::gpa_provision,
                                         probes::gpa_era(probes::GpaVersion::parse("1.0.30")));
  EXPECT_EQ(request.method, net::Method::get);
  std::map<std::string, std::string> headers(request.headers.begin(), request.headers.end());
  EXPECT_EQ(headers.at("Metadata"), "true");
  EXPECT_EQ(headers.at("x-ms-azure-time_tick"), "0");
  EXPECT_EQ(headers.count("x-ms-azure-notify"), 0u);
  EXPECT_FALSE(probes::allowed_for_era(Target::gpa_provision, probes::gpa_era(std::nullopt)));
  EXPECT_TRUE(probes::allowed_for_era(Target::wireserver_status, probes::gpa_era(std::nullopt)));
}

// ---- GPA 1.0.26 – 1.0.27 read HostGA's mode from the hostga item (key.rs get_hostga_mode) ----

TEST(GpaEraRules, HostGaModeComesFromTheHostGaItemOnlyIn1026And1027) {
  auto s = probes::parse_secure_channel_status(era_fixture("sc-v2-hostga-differs.json"));
  ASSERT_TRUE(s) << s.error;
  ASSERT_TRUE(s.value->hostga_item_mode);
  for (const char* v : {"1.0.26", "1.0.27"}) {
    auto era = probes::gpa_era(probes::GpaVersion::parse(v));
    EXPECT_TRUE(era.hostga_mode_from_hostga_item) << v;
    EXPECT_EQ(probes::hostga_mode_for(*s.value, true), Mode::disabled) << v;
  }
  for (const char* v : {"1.0.25", "1.0.28", "1.0.47"})
    EXPECT_FALSE(probes::gpa_era(probes::GpaVersion::parse(v)).hostga_mode_from_hostga_item) << v;
  EXPECT_EQ(probes::hostga_mode_for(*s.value, false), Mode::enforce);
  EXPECT_FALSE(
      probes::gpa_era(probes::GpaVersion::parse("1.0.38")).hostga_rule_id_from_wireserver_item);
  EXPECT_TRUE(
      probes::gpa_era(probes::GpaVersion::parse("1.0.39")).hostga_rule_id_from_wireserver_item);

  // The diagnosis says which mode this GPA gives HostGA.
  auto e = audit_vm("status-1.0.30-healthy.json", {kGuid});
  e.cycle.status = *s.value;
  e.status_file.content->agent_version = "1.0.26";
  auto report = diagnosis::diagnose(e);
  bool said = false;
  for (const auto& f : report.findings)
    if (f.id == "hostga_mode_from_item") said = f.message.find("disabled") != std::string::npos;
  EXPECT_TRUE(said);
  e.status_file.content->agent_version = "1.0.28";
  report = diagnosis::diagnose(e);
  said = false;
  for (const auto& f : report.findings) said = said || f.id == "hostga_rule_item_ignored";
  EXPECT_TRUE(said);
}

// ---- AuthorizationItem.id: a required String from 1.0.15 (key.rs), absent in 1.0.13.1/1.0.14 ----

TEST(GpaEraRules, ARuleItemWithoutIdIsRejectedFrom1015AndWhenTheVersionIsUnknown) {
  auto s = probes::parse_secure_channel_status(era_fixture("sc-v2-items-without-id.json"));
  ASSERT_TRUE(s) << s.error;
  EXPECT_EQ(s.value->items_without_id, "wireserver, imds");
  for (const char* fixture : {"status-1.0.17-healthy.json", "status-1.0.47-healthy.json"}) {
    auto e = audit_vm(fixture, {kGuid});
    e.cycle.status = *s.value;
    EXPECT_EQ(verdict(e), VerdictCode::unknown) << fixture << ": GPA rejects the body";
  }
  auto unknown = audit_vm("status-1.0.47-healthy.json", {kGuid});
  unknown.cycle.status = *s.value;
  unknown.status_file.content->agent_version = "";
  EXPECT_EQ(verdict(unknown), VerdictCode::unknown);
  // 1.0.13.1 and 1.0.14 have no id field: the body is theirs to use.
  auto first = audit_vm("status-1.0.13.1-healthy.json", {kGuid});
  first.cycle.status = *s.value;
  EXPECT_EQ(verdict(first), VerdictCode::healthy);
  first.status_file.content->agent_version = "1.0.14";
  EXPECT_EQ(verdict(first), VerdictCode::healthy);
  first.status_file.content->agent_version = "1.0.15";
  EXPECT_EQ(verdict(first), VerdictCode::unknown);
}

// ---- status.json rewrites: every 5 minutes in 1.0.13 (proxy_agent_status.rs start), every
// 60 s from 1.0.14; in place up to 1.0.23 (misc_helpers.rs json_write_to_file) ----

TEST(GpaEraRules, StalenessKeepsAMarginFor1013sFiveMinuteRewrites) {
  auto old = audit_vm("status-1.0.13.1-healthy.json", {kGuid});
  old.status_file.age_seconds = 450;  // between two 1.0.13 rewrites plus a late one
  EXPECT_EQ(verdict(old), VerdictCode::healthy);
  old.status_file.age_seconds = 601;
  EXPECT_NE(verdict(old), VerdictCode::healthy);
  auto newer = audit_vm("status-1.0.47-healthy.json", {kGuid});
  newer.status_file.age_seconds = 450;
  EXPECT_NE(verdict(newer), VerdictCode::healthy) << "60 s rewrites: 450 s is stale";
}

probes::FileRead file_with(std::string content) {
  probes::FileRead f;
  f.content = std::move(content);
  return f;
}

TEST(GpaEraStatusFile, ATornReadIsReadAgainAndNeverTakenAsGpasWord) {
  const auto whole = era_fixture("status-1.0.20-healthy.json");
  const auto torn = era_fixture("status-1.0.20-torn.json");
  EXPECT_TRUE(probes::looks_torn(torn));
  EXPECT_TRUE(probes::looks_torn(""));
  EXPECT_TRUE(probes::looks_torn("{\"a\": \"b"));
  EXPECT_FALSE(probes::looks_torn(whole));
  EXPECT_FALSE(probes::looks_torn("{\"a\": \"}{\"}"));  // braces inside a string

  // Torn, then whole (GPA finished its write): the second read is the evidence.
  int reads = 0;
  auto sf = diagnosis::read_status_evidence([&] { return file_with(reads++ == 0 ? torn : whole); },
                                            "status.json", kNow);
  EXPECT_EQ(sf.state, probes::ReadState::ok);
  EXPECT_EQ(sf.reads, 2);
  ASSERT_TRUE(sf.content);
  EXPECT_EQ(sf.content->agent_version, "1.0.20");

  // Torn on every read: reported torn, GPA counted alive, no verdict from it.
  reads = 0;
  sf = diagnosis::read_status_evidence([&] { return ++reads, file_with(torn); }, "status.json",
                                       kNow);
  EXPECT_EQ(reads, diagnosis::kStatusFileReads);
  EXPECT_TRUE(sf.torn);
  EXPECT_FALSE(sf.content);
  auto e = audit_vm("status-1.0.20-healthy.json", {kGuid});
  e.status_file = sf;
  for (auto& r : e.cycle.results)
    if (r.target == Target::gpa_provision) {
      r.http_status = 0;
      r.outcome = probes::Outcome::refused;
    }
  e.cycle.provision.reset();
  auto report = diagnosis::diagnose(e);
  EXPECT_NE(report.verdict.code, VerdictCode::gpa_down) << "a file being written is a live GPA";
  EXPECT_FALSE(info(report.verdict.code).needs_key_reset);
  bool noted = false;
  for (const auto& f : report.findings) noted = noted || f.id == "status_file_torn";
  EXPECT_TRUE(noted);

  // A whole document that GPA's shape does not fit is malformed, not torn.
  sf = diagnosis::read_status_evidence([] { return file_with("[1, 2]"); }, "status.json", kNow);
  EXPECT_FALSE(sf.torn);
  EXPECT_EQ(sf.reads, 1);
  EXPECT_EQ(sf.state, probes::ReadState::malformed);
}

TEST(GpaEraRules, InMemoryStatusIsUsedWhenGpaServesIt) {
  auto e = audit_vm("status-1.0.47-healthy.json", {kGuid});
  e.status_file.content.reset();
  e.status_file.state = probes::ReadState::missing;
  EXPECT_NE(verdict(e), VerdictCode::healthy) << "no status at all: cannot confirm";
  e.cycle.aggregated_status = status("status-1.0.47-healthy.json");
  e.cycle.aggregated_status->timestamp = kNow - std::chrono::seconds(20);  // GPA's own, fresh
  EXPECT_EQ(verdict(e), VerdictCode::healthy);
}

// Issue 26: the in-memory status is used only when fresh and agreeing with the rest.

bool has_finding(const latchwatch::Report& report, const std::string& id) {
  for (const auto& f : report.findings)
    if (f.id == id) return true;
  return false;
}

TEST(GpaEraRules, AMonthsOldAggregatedStatusNeverTurnsGpaDownIntoAKeyVerdict) {
  // GPA is down: no status.json, its listener silent. A months-old in-memory status saying the
  // key was refused must not make key_lost with a reset.
  auto e = audit_vm("status-1.0.47-healthy.json", {});
  e.status_file.content.reset();
  e.status_file.state = probes::ReadState::missing;
  const auto without = verdict(e);
  e.cycle.aggregated_status = status("status-1.0.47-key-lost.json");
  ASSERT_TRUE(e.cycle.aggregated_status->timestamp);
  e.cycle.aggregated_status->timestamp = kNow - std::chrono::hours(24 * 90);
  auto report = diagnosis::diagnose(e);
  EXPECT_EQ(report.verdict.code, without) << "the verdict follows the rest";
  EXPECT_FALSE(latchwatch::info(report.verdict.code).needs_key_reset);
  EXPECT_TRUE(has_finding(report, "gpa_aggregated_status_ignored"));
}

TEST(GpaEraRules, AFreshAggregatedStatusContradictingAFreshStatusFileAndTheKeyIsNotUsed) {
  // A healthy VM: fresh status.json and the key file present. A fresh in-memory status that
  // says the key was lost contradicts both: it is a finding, not the verdict.
  auto e = audit_vm("status-1.0.47-healthy.json", {kGuid});
  ASSERT_EQ(verdict(e), VerdictCode::healthy);
  e.cycle.aggregated_status = status("status-1.0.47-key-lost.json");
  e.cycle.aggregated_status->timestamp = kNow - std::chrono::seconds(5);
  auto report = diagnosis::diagnose(e);
  EXPECT_EQ(report.verdict.code, VerdictCode::healthy);
  EXPECT_TRUE(has_finding(report, "gpa_aggregated_status_ignored"));
  // Without status.json, the key on disk still contradicts "no key in memory".
  e.status_file.content.reset();
  e.status_file.state = probes::ReadState::missing;
  report = diagnosis::diagnose(e);
  EXPECT_FALSE(latchwatch::info(report.verdict.code).needs_key_reset)
      << to_string(report.verdict.code);
  EXPECT_TRUE(has_finding(report, "gpa_aggregated_status_ignored"));
}

TEST(GpaEraRules, AnAggregatedStatusWithoutATimestampIsNotUsed) {
  auto e = audit_vm("status-1.0.47-healthy.json", {kGuid});
  e.status_file.content.reset();
  e.status_file.state = probes::ReadState::missing;
  e.cycle.aggregated_status = status("status-1.0.47-healthy.json");
  e.cycle.aggregated_status->timestamp.reset();
  auto report = diagnosis::diagnose(e);
  EXPECT_NE(report.verdict.code, VerdictCode::healthy) << "no status that can be trusted";
  EXPECT_TRUE(has_finding(report, "gpa_aggregated_status_ignored"));
}

}  // namespace
}  // namespace latchwatch
