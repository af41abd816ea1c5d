// The decision table of the domain brief §6. Facts are derived once from the evidence; findings
// record every observation; `choose_verdict` walks the rules in order so that network, agent and
// rule faults always win over key verdicts, and evidence that could not be read never yields
// `healthy` or a key verdict.
// `diagnose` runs the steps of diagnosis_steps.h in order.

#include "agent/diagnosis/diagnose.h"

#include "agent/diagnosis/diagnosis_steps.h"
#include "reporting/report/remedy.h"

namespace latchwatch::diagnosis {
namespace {

using namespace detail;

nlohmann::json evidence_summary(const Evidence& e) {
  nlohmann::json status_file = {{"state", to_string(e.status_file.state)}};
  if (!e.status_file.error.empty()) status_file["error"] = e.status_file.error;
  if (e.status_file.content) {
    status_file["content"] = *e.status_file.content;
    status_file["age_seconds"] = e.status_file.age_seconds;
  }
  return {{"key_folder", e.keys},
          {"status_file", status_file},
          {"gpa_presence", e.presence},
          {"smbios_uuid",
           e.smbios_uuid.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.smbios_uuid)},
          {"running_as_root", e.running_as_root},
          {"uptime_seconds",
           e.uptime_seconds ? nlohmann::json(*e.uptime_seconds) : nlohmann::json(nullptr)},
          {"identity_cache", {{"state", to_string(e.cache.state)}}}};
}

}  // namespace

Report diagnose(const Evidence& evidence, const DiagnosisSettings& settings) {
  Facts facts = derive_facts(evidence, settings);
  FindingList findings;
  probe_findings(evidence, facts, findings);
  local_findings(evidence, facts, settings, findings);

  Report report;
  report.generated_at = iso8601_utc(evidence.now);
  Choice choice = choose_verdict(evidence, facts, settings);
  const auto& catalogue_entry = info(choice.code);
  report.verdict = {choice.code, catalogue_entry.severity,
                    catalogue_entry.meaning +
                        (choice.detail.empty() ? std::string() : " (" + choice.detail + ")")};
  report.identity = resolve_identity(evidence, findings);
  report.host = evidence.host;
  if (catalogue_entry.needs_key_reset) {
    // Which configured channels still get out is added by whoever knows the configuration
    // (agent/daemon/check_cycle.cpp); the modes are the server's.
    const auto& status = evidence.cycle.status;
    report.blast_radius = blast_radius(status ? status->wireserver : probes::Mode::disabled,
                                       status ? status->imds : probes::Mode::disabled, {});
    report.remedy = build_remedy(report.identity, largest_incarnation(evidence),
                                 choice.code == VerdictCode::key_loss_latent, &report.host);
    if (!report.remedy->blocked.empty())
      findings.add(FindingId::key_incarnation_at_limit, Severity::critical, "remedy",
                   report.remedy->blocked);
  }
  report.findings = std::move(findings).sorted();
  report.probes = evidence.cycle.results;
  report.evidence = evidence_summary(evidence);
  report.advisories = advisories_for(report.identity);
  report.cycle_wall_ms = evidence.cycle.wall_ms;
  report.resolved = resolved_reset(evidence, choice.code);
  return report;
}

std::optional<CachedIdentity> identity_to_cache(const Evidence& e, const Report& report) {
  std::optional<CachedIdentity> next = e.cache.identity;
  bool changed = false;
  // An IMDS answer with a field that failed its check is not cached: a good cache stays good.
  if (e.cycle.imds && e.cycle.imds->rejected.empty()) {
    const Identity& id = report.identity;  // resolved from IMDS this cycle
    CachedIdentity fresh = next.value_or(CachedIdentity{});
    static_cast<VmIdentity&>(fresh) = id;
    fresh.cloud = id.cloud;
    if (next && !same_vm_id(next->vm_id, id.vm_id)) {  // another VM: its old key facts do not apply
      fresh.last_key_guid.clear();
      fresh.last_key_incarnation_id.reset();
    }
    next = fresh;
    changed = true;
  }
  // The last key is recorded only while healthy, so that a later healthy cycle with a new key
  // can report the reset as resolved.
  if (next && report.verdict.code == VerdictCode::healthy && e.cycle.status) {
    next->last_key_guid = lower(e.cycle.status->key_guid);
    next->last_key_incarnation_id = e.cycle.status->key_incarnation_id;
    changed = true;
  }
  if (!changed) return std::nullopt;
  // Unchanged content is not rewritten: a daemon on every VM should not wear the disk (or its
  // fsyncs) once per cycle to say the same thing. written_at then tells when it last changed.
  if (e.cache.identity) {
    CachedIdentity same = *next;
    same.written_at = e.cache.identity->written_at;
    if (nlohmann::json(same) == nlohmann::json(*e.cache.identity)) return std::nullopt;
  }
  next->written_at = e.now;
  return next;
}

}  // namespace latchwatch::diagnosis
