#include "agent/diagnosis/diagnose.h"

#include <gtest/gtest.h>

#include <limits>

#include "probes/base/utc_time.h"
#include "reporting/report/remedy.h"

namespace latchwatch::diagnosis {
namespace {

using probes::KeyLatchMessage;
using probes::Mode;
using probes::Outcome;
using probes::ReadState;
using probes::Target;

constexpr const char* kGuid = "e3882f98-da8d-4410-8394-06c23462781c";
constexpr const char* kOtherGuid = "5b1c0c4e-7a0f-4c4e-9f0b-2d7c9c1e0a11";
constexpr const char* kVmResource =
    "/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1";
const auto kNow = std::chrono::system_clock::from_time_t(1790000000);

std::string http_date(std::chrono::system_clock::time_point t) {
  return probes::format_http_date(t);
}

probes::ProbeResult answer(Target target, int status = 200, bool via_gpa = true) {
  probes::ProbeResult r;
  r.target = target;
  r.endpoint = "127.0.0.1:1";
  r.outcome = status >= 200 && status < 300 ? Outcome::ok : Outcome::http_error;
  r.http_status = status;
  r.via_gpa = via_gpa;
  r.body_bytes = 10;
  r.date_header = http_date(kNow);
  r.timings = {1, 2, 3};
  return r;
}

probes::ProbeResult no_answer(Target target, Outcome outcome) {
  probes::ProbeResult r;
  r.target = target;
  r.endpoint = "127.0.0.1:1";
  r.outcome = outcome;
  r.error = "no answer";
  return r;
}

probes::KeyFileEntry key_file(const std::string& guid) {
  probes::KeyFileEntry entry;
  entry.name = guid + ".key";
  entry.guid = guid;
  entry.size = 100;
  return entry;
}

/// A healthy VM under enforce: every rule's "healthy" baseline, mutated by each test.
Evidence healthy() {
  Evidence e;
  e.now = kNow;
  for (Target t : probes::kAllTargets) e.cycle.results.push_back(answer(t));
  probes::SecureChannelStatus status;
  status.protocol_version = "2.0";
  status.enabled = true;
  status.key_guid = kGuid;
  status.key_incarnation_id = 10;
  status.wireserver = status.imds = status.hostga = Mode::enforce;
  e.cycle.status = status;
  probes::ImdsCompute compute;
  compute.resource_id = kVmResource;
  compute.subscription_id = "sub-1";
  compute.resource_group_name = "rg";
  compute.name = "vm1";
  compute.vm_id = "d0a1b2c3-0000-4000-8000-000000000001";
  compute.security_type = "TrustedLaunch";
  e.cycle.imds = compute;
  e.cycle.provision = probes::ProvisionReply{true, "", {}};
  e.keys.state = ReadState::ok;
  e.keys.path = "/keys";
  e.keys.entries = {key_file(kGuid)};
  e.keys.has_provisioned_tag = true;
  probes::GpaStatusFile file;
  file.overall_status = "SUCCESS";
  file.key_latch_status = "RUNNING";
  file.key_latch_message = "Found key details from local and ready to use.";
  file.key_latch_class = KeyLatchMessage::ready;
  file.ebpf_status = "RUNNING";
  file.states_key_guid = kGuid;
  file.states_key_incarnation_id = 10;
  e.status_file.state = ReadState::ok;
  e.status_file.content = file;
  e.status_file.age_seconds = 30;
  e.presence.unit_file = e.presence.binary = true;
  e.smbios_uuid = "d0a1b2c3-0000-4000-8000-000000000001";
  return e;
}

probes::ProbeResult& probe(Evidence& e, Target t) {
  for (auto& r : e.cycle.results)
    if (r.target == t) return r;
  throw std::logic_error("no such probe");
}

/// The upstream fabric answering 401 under enforce (GPA holds no key, or the wrong one).
void upstream_401(Evidence& e, bool via_gpa = true) {
  for (Target t : {Target::wireserver_versions, Target::hostga_health, Target::imds_instance})
    probe(e, t) = answer(t, 401, via_gpa);
  e.cycle.imds.reset();
}

/// GPA's key file is gone and the host refuses to hand it out again.
void lose_key(Evidence& e) {
  e.keys.entries.clear();
  e.status_file.content->states_key_guid.clear();
  e.status_file.content->states_key_incarnation_id.reset();
  e.status_file.content->key_latch_class = KeyLatchMessage::acquire_refused;
  upstream_401(e);
}

VerdictCode verdict_of(const Evidence& e) { return diagnose(e).verdict.code; }

// ---- One test per row of the decision table (domain brief §6) ----

TEST(DecisionTable, Healthy) {
  auto report = diagnose(healthy());
  EXPECT_EQ(report.verdict.code, VerdictCode::healthy);
  EXPECT_EQ(report.verdict.severity, Severity::ok);
  EXPECT_FALSE(report.remedy);
}

TEST(DecisionTable, SecureChannelDisabled) {
  auto e = healthy();
  e.cycle.status->enabled = false;
  e.cycle.status->key_guid.clear();
  e.keys.entries.clear();
  EXPECT_EQ(verdict_of(e), VerdictCode::secure_channel_disabled);
}

TEST(DecisionTable, LatchingInProgressWhenNoServerKeyYet) {
  auto e = healthy();
  e.cycle.status->key_guid.clear();
  e.keys.entries.clear();
  e.status_file.content->states_key_guid.clear();
  upstream_401(e);
  EXPECT_EQ(verdict_of(e), VerdictCode::latching_in_progress);
}

TEST(DecisionTable, GpaNotInstalled) {
  auto e = healthy();
  e.presence = {};
  e.status_file = {};
  e.keys.state = ReadState::missing;
  e.keys.entries.clear();
  probe(e, Target::gpa_provision) = no_answer(Target::gpa_provision, Outcome::refused);
  e.cycle.provision.reset();
  upstream_401(e, false);
  EXPECT_EQ(verdict_of(e), VerdictCode::gpa_not_installed);
}

TEST(DecisionTable, GpaDown) {
  auto e = healthy();
  e.status_file.age_seconds = 900;
  probe(e, Target::gpa_provision) = no_answer(Target::gpa_provision, Outcome::refused);
  e.cycle.provision.reset();
  upstream_401(e, false);
  auto report = diagnose(e);
  EXPECT_EQ(report.verdict.code, VerdictCode::gpa_down);
  EXPECT_FALSE(report.remedy) << "a GPA restart is not a key reset";
}

TEST(DecisionTable, RedirectFailure) {
  auto e = healthy();
  e.status_file.content->ebpf_status = "STOPPED";
  upstream_401(e, false);
  EXPECT_EQ(verdict_of(e), VerdictCode::redirect_failure);
}

TEST(DecisionTable, WireserverUnreachable) {
  auto e = healthy();
  probe(e, Target::wireserver_status) = no_answer(Target::wireserver_status, Outcome::timeout);
  probe(e, Target::wireserver_versions) = no_answer(Target::wireserver_versions, Outcome::timeout);
  e.cycle.status.reset();
  EXPECT_EQ(verdict_of(e), VerdictCode::wireserver_unreachable);
}

TEST(DecisionTable, ImdsUnreachable) {
  auto e = healthy();
  probe(e, Target::imds_instance) = no_answer(Target::imds_instance, Outcome::refused);
  e.cycle.imds.reset();
  EXPECT_EQ(verdict_of(e), VerdictCode::imds_unreachable);
}

TEST(DecisionTable, KeyLost) {
  auto e = healthy();
  lose_key(e);
  auto report = diagnose(e);
  EXPECT_EQ(report.verdict.code, VerdictCode::key_lost);
  EXPECT_EQ(report.verdict.severity, Severity::critical);
  ASSERT_TRUE(report.remedy);
  EXPECT_FALSE(report.remedy->planned);
}

TEST(DecisionTable, KeyMismatch) {
  auto e = healthy();
  lose_key(e);
  e.keys.entries = {key_file(kOtherGuid)};
  EXPECT_EQ(verdict_of(e), VerdictCode::key_mismatch);
}

TEST(DecisionTable, KeySuspectMismatch) {
  auto e = healthy();
  upstream_401(e);
  auto report = diagnose(e);
  EXPECT_EQ(report.verdict.code, VerdictCode::key_suspect_mismatch);
  EXPECT_TRUE(report.remedy);
}

TEST(DecisionTable, KeyLossLatent) {
  auto e = healthy();
  e.keys.entries.clear();
  auto report = diagnose(e);
  EXPECT_EQ(report.verdict.code, VerdictCode::key_loss_latent);
  EXPECT_EQ(report.verdict.severity, Severity::warning);
  ASSERT_TRUE(report.remedy);
  EXPECT_TRUE(report.remedy->planned);
}

TEST(DecisionTable, ResetPending) {
  auto e = healthy();
  e.cycle.status->key_guid = kOtherGuid;
  e.cycle.status->key_incarnation_id = 11;
  EXPECT_EQ(verdict_of(e), VerdictCode::reset_pending);
}

TEST(DecisionTable, AccessDeniedByRules) {
  auto e = healthy();
  auto& r = probe(e, Target::imds_instance);
  r = answer(Target::imds_instance, 403);
  r.body_bytes = 0;
  r.connection_close = true;
  e.cycle.imds.reset();
  EXPECT_EQ(verdict_of(e), VerdictCode::access_denied_by_rules);
}

TEST(DecisionTable, ImdsThrottled) {
  auto e = healthy();
  probe(e, Target::imds_instance) = answer(Target::imds_instance, 429);
  e.cycle.imds.reset();
  EXPECT_EQ(verdict_of(e), VerdictCode::imds_throttled);
}

TEST(DecisionTable, KeyStoreUnwritable) {
  auto e = healthy();
  lose_key(e);
  e.status_file.content->key_latch_class = KeyLatchMessage::store_unwritable;
  auto report = diagnose(e);
  EXPECT_EQ(report.verdict.code, VerdictCode::key_store_unwritable);
  EXPECT_FALSE(report.remedy) << "freeing disk space is not a key reset";
}

TEST(DecisionTable, ClockSkew) {
  auto e = healthy();
  for (auto& r : e.cycle.results) r.date_header = http_date(kNow + std::chrono::hours(1));
  EXPECT_EQ(verdict_of(e), VerdictCode::clock_skew);
}

TEST(DecisionTable, UnknownWhenTheStatusPayloadIsUnreadable) {
  auto e = healthy();
  auto& r = probe(e, Target::wireserver_status);
  r.outcome = Outcome::bad_payload;
  e.cycle.status.reset();
  auto report = diagnose(e);
  EXPECT_EQ(report.verdict.code, VerdictCode::unknown);
  EXPECT_EQ(exit_code(report.verdict.severity), 3);
}

// ---- Look-alikes: faults that must never come out as key verdicts ----

TEST(LookAlikes, NetworkFaultWinsOverAMissingKeyFile) {
  auto e = healthy();
  lose_key(e);
  probe(e, Target::wireserver_status) = no_answer(Target::wireserver_status, Outcome::refused);
  e.cycle.status.reset();
  EXPECT_EQ(verdict_of(e), VerdictCode::wireserver_unreachable);
}

TEST(LookAlikes, MissingKeyFileWithoutAnyFailureIsNotAKeyLoss) {
  auto e = healthy();
  e.keys.entries.clear();
  e.status_file.content->states_key_guid.clear();
  e.status_file.content->key_latch_class = KeyLatchMessage::other;
  EXPECT_EQ(verdict_of(e), VerdictCode::latching_in_progress);
}

TEST(LookAlikes, AcquisitionNetworkFailureIsNotAKeyLoss) {
  auto e = healthy();
  lose_key(e);
  e.status_file.content->key_latch_class = KeyLatchMessage::acquire_network;
  EXPECT_FALSE(is_key_verdict(verdict_of(e)));
}

// GPA 1.0.25+ writes the host's answer to the acquire: a 5xx is the host failing, not the host
// refusing the key. Under Enforce the 401s that follow (GPA holds no key) must not make it
// key_lost and hand the owner a reset.
TEST(LookAlikes, HostErrorOnTheAcquireIsNotAKeyLoss) {
  for (const char* message :
       {R"(Failed to acquire key details: Key(KeyResponse("acquire", 500)))",
        R"(Failed to acquire key details: Key(KeyResponse("acquire", 503)))"}) {
    auto e = healthy();
    lose_key(e);
    e.status_file.content->key_latch_message = message;
    e.status_file.content->key_latch_class = probes::classify_key_latch_message(message);
    EXPECT_FALSE(is_key_verdict(verdict_of(e))) << message << " -> " << to_string(verdict_of(e));
  }
}

TEST(LookAlikes, UnlistableKeyFolderGivesUnknown) {
  auto e = healthy();
  lose_key(e);
  e.keys.state = ReadState::permission_denied;
  e.keys.error = "Permission denied";
  EXPECT_EQ(verdict_of(e), VerdictCode::unknown);
}

TEST(LookAlikes, UnreadableStatusFileIsNeverHealthy) {
  for (auto state : {ReadState::malformed, ReadState::too_large, ReadState::not_a_regular_file}) {
    auto e = healthy();
    e.status_file = {};
    e.status_file.state = state;
    e.status_file.error = "cannot read";
    auto report = diagnose(e);
    EXPECT_NE(report.verdict.code, VerdictCode::healthy) << probes::to_string(state);
    EXPECT_FALSE(is_key_verdict(report.verdict.code)) << probes::to_string(state);
  }
}

TEST(LookAlikes, StaleStatusFileIsNeverHealthy) {
  auto e = healthy();
  e.status_file.age_seconds = 3600;
  EXPECT_EQ(verdict_of(e), VerdictCode::unknown);
}

TEST(ClockJumps, StatusFileSlightlyAheadIsFreshFarAheadIsNot) {
  auto e = healthy();
  e.status_file.age_seconds = -20;  // the clock stepped back a little
  EXPECT_EQ(verdict_of(e), VerdictCode::healthy);
  e.status_file.age_seconds = -7200;
  auto report = diagnose(e);
  EXPECT_EQ(report.verdict.code, VerdictCode::unknown);
  bool told = false;
  for (const auto& f : report.findings) told |= f.id == "status_file_from_the_future";
  EXPECT_TRUE(told);
}

TEST(ClockJumps, FabricDateFarBehindIsSkewNotAKeyProblem) {
  auto e = healthy();
  for (auto& r : e.cycle.results) r.date_header = http_date(kNow - std::chrono::hours(5));
  EXPECT_EQ(verdict_of(e), VerdictCode::clock_skew);
}

TEST(LookAlikes, Unauthorized401WithoutGpaIsNotASuspectMismatch) {
  auto e = healthy();
  upstream_401(e, false);
  EXPECT_NE(verdict_of(e), VerdictCode::key_suspect_mismatch);
}

TEST(LookAlikes, LoneForbiddenWithBodyIsNotARulesDenial) {
  auto e = healthy();
  probe(e, Target::imds_instance) = answer(Target::imds_instance, 403);
  e.cycle.imds.reset();
  EXPECT_NE(verdict_of(e), VerdictCode::access_denied_by_rules);
  EXPECT_FALSE(is_key_verdict(verdict_of(e)));
}

TEST(LookAlikes, ResetPendingIsNotAMismatchWhenTheFolderHoldsOurPreviousKey) {
  auto e = healthy();
  e.cycle.status->key_guid = kOtherGuid;  // the owner's reset issued a new key
  e.cycle.status->key_incarnation_id = 11;
  EXPECT_EQ(verdict_of(e), VerdictCode::reset_pending);
}

// ---- Remedy ----

TEST(Remedy, NamesTheVmAndTheNextIncarnation) {
  auto e = healthy();
  lose_key(e);
  e.cycle.imds = healthy().cycle.imds;  // IMDS still answering (audit mode)
  auto report = diagnose(e);
  ASSERT_TRUE(report.remedy);
  const auto& r = *report.remedy;
  EXPECT_EQ(r.resource_id, kVmResource);
  EXPECT_EQ(r.identity_source, "imds");
  EXPECT_EQ(r.next_incarnation, 11);
  EXPECT_EQ(r.request.method, "PATCH");
  EXPECT_EQ(r.request.url, std::string(kVmResource) + "?api-version=2024-03-01");
  EXPECT_EQ(r.request.body.dump(),
            R"({"properties":{"securityProfile":{"proxyAgentSettings":{"keyIncarnationId":11}}}})");
  EXPECT_NE(r.az_command.find("az rest --method patch"), std::string::npos);
  EXPECT_NE(r.az_command.find("\"keyIncarnationId\":11"), std::string::npos);
  EXPECT_NE(r.powershell_command.find("Invoke-AzRestMethod -Method PATCH"), std::string::npos);
  EXPECT_TRUE(r.scale_set_note.empty());
}

TEST(Remedy, IncarnationIsOneMoreThanTheLargestSeen) {
  auto e = healthy();
  lose_key(e);
  e.status_file.content->states_key_incarnation_id = 12;  // GPA's state ahead of the server
  CachedIdentity cached;
  cached.last_key_incarnation_id = 14;
  e.cache.state = CacheState::ok;
  e.cache.identity = cached;
  EXPECT_EQ(diagnose(e).remedy->next_incarnation, 15);
}

TEST(Remedy, UnknownIncarnationGivesACommandThatComputesIt) {
  Identity id;
  id.source = "imds";
  id.resource_id = kVmResource;
  auto r = build_remedy(id, std::nullopt, false);
  EXPECT_FALSE(r.next_incarnation);
  EXPECT_NE(r.read_incarnation_command.find("keyIncarnationId"), std::string::npos);
  EXPECT_NE(r.az_command.find("N=$(("), std::string::npos);
  EXPECT_EQ(
      r.request.body["properties"]["securityProfile"]["proxyAgentSettings"]["keyIncarnationId"],
      "N");
}

TEST(Remedy, UnknownResourceKeepsAPlaceholderAndFindsTheVmByVmId) {
  Identity id;
  id.source = "unknown";
  id.vm_id = "d0a1b2c3-0000-4000-8000-000000000001";
  auto r = build_remedy(id, 10, false);
  EXPECT_EQ(r.request.url, "{resourceId}?api-version=2024-03-01");
  EXPECT_EQ(r.find_vm_command,
            "az vm list --query \"[?vmId=='d0a1b2c3-0000-4000-8000-000000000001' || "
            "vmId=='c3b2a1d0-0000-0040-8000-000000000001'].id\" -o tsv");
  EXPECT_EQ(r.identity_source, "unknown");
}

TEST(Remedy, ScaleSetInstanceUsesTheInstanceResourceId) {
  auto e = healthy();
  lose_key(e);
  probes::ImdsCompute compute = *healthy().cycle.imds;
  compute.name = "ss_3";
  compute.vm_scale_set_name = "ss";
  compute.resource_id = "";                                          // old api-version: derive it
  compute.subscription_id = "8a3f1c2e-1111-4222-8333-944455566677";  // derived only from a GUID
  e.cycle.imds = compute;
  auto report = diagnose(e);
  ASSERT_TRUE(report.remedy);
  EXPECT_EQ(report.remedy->resource_id,
            "/subscriptions/8a3f1c2e-1111-4222-8333-944455566677/resourceGroups/rg/providers/"
            "Microsoft.Compute/virtualMachineScaleSets/ss/virtualMachines/3");
  EXPECT_EQ(report.remedy->resource_kind, "uniform_instance");
  EXPECT_EQ(report.remedy->request.method, "PUT");
  EXPECT_NE(report.remedy->scale_set_note.find("instance 3"), std::string::npos);
  EXPECT_NE(report.remedy->scale_set_note.find("no scale-set-wide reset"), std::string::npos);
}

// ---- Identity ----

CachedIdentity cached_vm1() {
  CachedIdentity c;
  c.resource_id = kVmResource;
  c.subscription_id = "sub-1";
  c.name = "vm1";
  c.vm_id = "d0a1b2c3-0000-4000-8000-000000000001";
  c.smbios_uuid = "d0a1b2c3-0000-4000-8000-000000000001";
  c.last_key_guid = kGuid;
  c.last_key_incarnation_id = 10;
  c.written_at = kNow - std::chrono::hours(2);
  return c;
}

TEST(Identity, CacheNamesTheResourceWhenImdsIsCutOff) {
  auto e = healthy();
  lose_key(e);  // IMDS answers 401
  e.cache.state = CacheState::ok;
  e.cache.identity = cached_vm1();
  auto report = diagnose(e);
  ASSERT_TRUE(report.remedy);
  EXPECT_EQ(report.remedy->resource_id, kVmResource);
  EXPECT_EQ(report.remedy->identity_source, "cache");
  EXPECT_DOUBLE_EQ(report.remedy->identity_age_seconds, 7200);
  EXPECT_EQ(report.remedy->next_incarnation, 11);
}

TEST(Identity, DiskOnAnotherVmDoesNotHandOutTheOldResourceId) {
  auto e = healthy();
  lose_key(e);
  e.cache.state = CacheState::ok;
  e.cache.identity = cached_vm1();
  e.smbios_uuid = "11111111-2222-3333-4444-555555555555";
  auto report = diagnose(e);
  ASSERT_TRUE(report.remedy);
  EXPECT_TRUE(report.remedy->resource_id.empty());
  EXPECT_TRUE(report.identity.moved_to_other_vm);
  EXPECT_NE(report.remedy->request.url.find("{resourceId}"), std::string::npos);
  bool finding = false;
  for (const auto& f : report.findings) finding |= f.id == "disk_moved_to_other_vm";
  EXPECT_TRUE(finding);
}

TEST(Identity, CacheKeepsTheLastKeyOnlyWhileHealthy) {
  auto e = healthy();
  auto report = diagnose(e);
  auto next = identity_to_cache(e, report);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->resource_id, kVmResource);
  EXPECT_EQ(next->last_key_guid, kGuid);
  EXPECT_EQ(next->last_key_incarnation_id, 10);

  auto lost = healthy();
  lose_key(lost);
  lost.cache.state = CacheState::ok;
  lost.cache.identity = cached_vm1();
  lost.cycle.status->key_incarnation_id = 10;
  auto lost_next = identity_to_cache(lost, diagnose(lost));
  EXPECT_FALSE(lost_next) << "IMDS cut off and not healthy: nothing new to keep";
}

TEST(Identity, TheCachedCloudNamesTheCloudWhenImdsIsCutOff) {
  auto e = healthy();
  e.cycle.imds->az_environment = "AzureUSGovernmentCloud";
  auto next = identity_to_cache(e, diagnose(e));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->cloud, "AzureUSGovernmentCloud");

  auto lost = healthy();
  lose_key(lost);
  lost.cycle.imds.reset();  // IMDS Enforce without a key: no answer
  lost.cache.state = CacheState::ok;
  lost.cache.identity = *next;
  auto report = diagnose(lost);
  EXPECT_EQ(report.identity.source, "cache");
  EXPECT_EQ(report.identity.cloud, "AzureUSGovernmentCloud");
  ASSERT_TRUE(report.remedy);
  EXPECT_EQ(report.remedy->cloud, "AzureUSGovernmentCloud");
}

TEST(Identity, ACacheWrittenBeforeTheCloudWasKeptLoadsAndIsCompletedByImds) {
  // identity.json as latchwatch wrote it before it kept the cloud: no "cloud" key.
  auto parsed = parse_identity_cache(
      R"({"schema":1,"resource_id":"/subscriptions/8a3f1c2e-1111-4222-8333-944455566677/)"
      R"(resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1","name":"vm1",)"
      R"("vm_id":"d0a1b2c3-0000-4000-8000-000000000001","last_key_guid":null,)"
      R"("last_key_incarnation_id":null,"written_at_unix":1790000000})");
  ASSERT_TRUE(parsed) << parsed.error;
  EXPECT_EQ(parsed.value->cloud, "");
  EXPECT_EQ(parsed.value->name, "vm1");

  // IMDS cut off: the cloud is unknown, and the remedy says so instead of guessing one.
  auto lost = healthy();
  lose_key(lost);
  lost.cycle.imds.reset();
  lost.cache.state = CacheState::ok;
  lost.cache.identity = *parsed.value;
  auto report = diagnose(lost);
  ASSERT_TRUE(report.remedy);
  EXPECT_EQ(report.remedy->identity_source, "cache");
  EXPECT_EQ(report.remedy->cloud, "");

  // IMDS answers again: the old cache is rewritten once, with the cloud.
  auto back = healthy();
  back.cycle.imds->az_environment = "AzureChinaCloud";
  back.cache.state = CacheState::ok;
  back.cache.identity = *parsed.value;
  auto next = identity_to_cache(back, diagnose(back));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->cloud, "AzureChinaCloud");
  back.cache.identity = *next;
  EXPECT_FALSE(identity_to_cache(back, diagnose(back))) << "unchanged: not rewritten";
}

TEST(Identity, ACachedCloudFailingItsCheckIsDropped) {
  auto parsed = parse_identity_cache(
      R"js({"schema":1,"cloud":"AzureCloud$(reboot)","written_at_unix":1790000000})js");
  ASSERT_TRUE(parsed) << parsed.error;
  auto rejected = drop_invalid_fields(*parsed.value);
  EXPECT_EQ(parsed.value->cloud, "");
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].field, "cloud");
  EXPECT_FALSE(parse_identity_cache(R"({"schema":1,"cloud":7,"written_at_unix":1790000000})"));
}

TEST(Identity, ResetObservedIsReportedAsResolved) {
  auto e = healthy();
  auto cached = cached_vm1();
  cached.last_key_guid = kOtherGuid;
  cached.last_key_incarnation_id = 9;
  e.cache.state = CacheState::ok;
  e.cache.identity = cached;
  auto report = diagnose(e);
  EXPECT_EQ(report.verdict.code, VerdictCode::healthy);
  ASSERT_TRUE(report.resolved);
  EXPECT_EQ(report.resolved->old_incarnation, 9);
  EXPECT_EQ(report.resolved->new_incarnation, 10);
  EXPECT_NE(report.resolved->message.find("9 -> 10"), std::string::npos);
}

// ---- Advisories ----

TEST(Advisories, ConfidentialVmAndEphemeralDisk) {
  auto e = healthy();
  e.cycle.imds->security_type = "ConfidentialVM";
  e.cycle.imds->ephemeral_os_disk = true;
  auto report = diagnose(e);
  ASSERT_EQ(report.advisories.size(), 2u);
  EXPECT_EQ(report.advisories[0].id, "confidential_vm_cmk_rotation");
  EXPECT_EQ(report.advisories[1].id, "ephemeral_os_disk");
}

TEST(Catalogue, EveryCodeHasItsSeverityAndExitCode) {
  EXPECT_EQ(verdict_catalogue().size(), 18u);
  EXPECT_EQ(exit_code(info(VerdictCode::healthy).severity), 0);
  EXPECT_EQ(exit_code(info(VerdictCode::key_loss_latent).severity), 1);
  EXPECT_EQ(exit_code(info(VerdictCode::key_lost).severity), 2);
  EXPECT_EQ(exit_code(info(VerdictCode::unknown).severity), 3);
  for (const auto& entry : verdict_catalogue())
    EXPECT_EQ(verdict_from_string(entry.name), entry.code) << entry.name;
}

}  // namespace
}  // namespace latchwatch::diagnosis

namespace latchwatch::diagnosis {
namespace {

// Regressions found by fuzzing: values a hostile file can hold but no clock or counter can.
TEST(FuzzRegressions, CacheDatedPastWhatTheClockHoldsIsCorrupt) {
  auto parsed = parse_identity_cache(R"({"schema":1,"written_at_unix":179000000000})");
  EXPECT_FALSE(parsed);
  EXPECT_NE(parsed.error.find("written_at_unix"), std::string::npos);
  EXPECT_TRUE(parse_identity_cache(R"({"schema":1,"written_at_unix":1790000000})"));
}

TEST(FuzzRegressions, IncarnationThatCannotBeRaisedIsUnknown) {
  Identity id;
  id.source = "imds";
  id.resource_id =
      "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/v";
  auto r = build_remedy(id, std::numeric_limits<std::int64_t>::max(), false);
  EXPECT_FALSE(r.next_incarnation);
  EXPECT_FALSE(r.read_incarnation_command.empty());
}

}  // namespace
}  // namespace latchwatch::diagnosis
