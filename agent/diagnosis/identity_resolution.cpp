// The report's identity and the inputs of its remedy.
#include "agent/diagnosis/diagnosis_steps.h"

#include <algorithm>

#include "probes/base/json_limits.h"
#include "probes/base/utc_time.h"
#include "probes/local/smbios.h"
#include "reporting/report/remedy.h"

namespace latchwatch::diagnosis::detail {
namespace {

/// The fields IMDS compute, the cache and the report's identity share (resource id and this
/// hardware's SMBIOS UUID aside).
void copy_vm_fields(const VmIdentity& from, Identity& to) {
  const std::string resource_id = to.resource_id, smbios_uuid = to.smbios_uuid;
  static_cast<VmIdentity&>(to) = from;
  to.resource_id = resource_id;
  to.smbios_uuid = smbios_uuid;
}

/// Identity fields dropped by their character-class check (real-platform.md §3).
void rejected_field_findings(const std::vector<probes::RejectedField>& rejected, FindingId id,
                             const char* source, const char* where, FindingList& findings) {
  for (const auto& r : rejected)
    findings.add(id, Severity::warning, source,
                 std::string(where) + " field " + r.field + " is not " + r.expected +
                     " and was dropped: '" + r.shown + "'; the remedy uses the placeholder form",
                 {{"field", r.field}});
}

bool was_rejected(const std::vector<probes::RejectedField>& rejected, const char* field) {
  return std::any_of(rejected.begin(), rejected.end(),
                     [field](const probes::RejectedField& r) { return r.field == field; });
}

}  // namespace

Identity resolve_identity(const Evidence& e, FindingList& findings) {
  Identity id;
  id.smbios_uuid = e.smbios_uuid;
  const auto& cache = e.cache.identity;
  rejected_field_findings(e.cache.rejected, FindingId::identity_cache_field_rejected,
                          "identity_cache", "the identity cache's", findings);
  if (e.cycle.imds) {
    const auto& c = *e.cycle.imds;
    id.source = "imds";
    rejected_field_findings(c.rejected, FindingId::imds_identity_field_rejected, "imds_instance",
                            "IMDS's", findings);
    // A rejected resourceId is not rebuilt from the other fields: the placeholder form stands.
    id.resource_id = c.resource_id.empty() && !was_rejected(c.rejected, "resourceId")
                         ? derive_resource_id(c.subscription_id, c.resource_group_name, c.name,
                                              c.vm_scale_set_name)
                         : c.resource_id;
    copy_vm_fields(c, id);
    id.cloud = c.az_environment;
    if (cache && !cache->vm_id.empty() && !same_vm_id(cache->vm_id, c.vm_id))
      findings.add(FindingId::disk_from_other_vm, Severity::warning, "identity_cache",
                   "this disk last ran on VM " + cache->vm_id + "; it now runs on VM " + c.vm_id);
    return id;
  }
  if (cache) {
    bool moved = !e.smbios_uuid.empty() && !cache->smbios_uuid.empty() &&
                 !iequals(e.smbios_uuid, cache->smbios_uuid);
    if (moved) {
      id.source = "unknown";
      id.moved_to_other_vm = true;
      id.vm_id = e.smbios_uuid;
      findings.add(FindingId::disk_moved_to_other_vm, Severity::warning, "identity_cache",
                   "the cached identity names VM " + cache->name + " (SMBIOS " +
                       cache->smbios_uuid + ") but this hardware is " + e.smbios_uuid +
                       ": the disk now runs on a different VM, so the cached resource id is "
                       "not handed out");
      return id;
    }
    id.source = "cache";
    id.age_seconds = std::chrono::duration<double>(e.now - cache->written_at).count();
    id.resource_id = cache->resource_id;
    copy_vm_fields(*cache, id);
    id.cloud = cache->cloud;  // empty from a cache written before the cloud was kept
    return id;
  }
  id.source = "unknown";
  id.vm_id = e.smbios_uuid;
  return id;
}

std::optional<std::int64_t> largest_incarnation(const Evidence& e) {
  std::optional<std::int64_t> best;
  auto take = [&](std::optional<std::int64_t> v) {
    if (v && (!best || *v > *best)) best = v;
  };
  if (e.cycle.status) take(e.cycle.status->key_incarnation_id);
  if (e.status_file.content) take(e.status_file.content->states_key_incarnation_id);
  if (e.cache.identity) take(e.cache.identity->last_key_incarnation_id);
  return best;
}

std::vector<Advisory> advisories_for(const Identity& id) {
  std::vector<Advisory> out;
  if (iequals(id.security_type, "ConfidentialVM"))
    out.push_back({"confidential_vm_cmk_rotation",
                   "Confidential VM: rotating the customer-managed key of its Disk Encryption "
                   "Set needs every confidential VM on that set stopped; if any runs, none gets "
                   "the new key. Automatic rotation is not supported for confidential VMs."});
  if (id.ephemeral_os_disk)
    out.push_back({"ephemeral_os_disk",
                   "Ephemeral OS disk: key rotation is not supported, and a Disk Encryption Set "
                   "shared with ephemeral-disk VMs blocks rotation until they are deleted."});
  return out;
}

std::optional<Resolved> resolved_reset(const Evidence& e, VerdictCode verdict) {
  if (verdict != VerdictCode::healthy || !e.cache.identity || !e.cycle.status) return std::nullopt;
  const auto& cache = *e.cache.identity;
  const auto& now = *e.cycle.status;
  if (cache.last_key_guid.empty()) return std::nullopt;
  bool new_guid = !iequals(cache.last_key_guid, now.key_guid);
  bool higher = now.key_incarnation_id && cache.last_key_incarnation_id &&
                *now.key_incarnation_id > *cache.last_key_incarnation_id;
  if (!new_guid && !higher) return std::nullopt;
  Resolved r{cache.last_key_guid,
             lower(now.key_guid),
             cache.last_key_incarnation_id,
             now.key_incarnation_id,
             {}};
  auto inc = [](const std::optional<std::int64_t>& v) {
    return v ? std::to_string(*v) : std::string("?");
  };
  r.message = "key reset observed: keyIncarnationId " + inc(r.old_incarnation) + " -> " +
              inc(r.new_incarnation) + ", keyGuid " + r.old_key_guid + " -> " + r.new_key_guid +
              "; the fabric answers again";
  return r;
}

}  // namespace latchwatch::diagnosis::detail
