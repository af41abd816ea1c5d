// The fleet reset plan: group reports per instance, newest wins, copied disks are conflicts,
// and each needed reset gets keyIncarnationId = largest seen for that instance + 1.

#include "agent/plan/reset_plan.h"

#include <algorithm>
#include <map>
#include <set>

#include "agent/plan/json_cursor.h"
#include "agent/plan/resource_text.h"
#include "probes/local/smbios.h"
#include "reporting/report/command_quote.h"
#include "reporting/report/remedy.h"
#include "reporting/report/verdict.h"

namespace latchwatch::plan {
namespace {

using Records = std::vector<const ReportRecord*>;

bool needs_reset(const std::string& code) {
  auto v = latchwatch::verdict_from_string(code);
  return v && latchwatch::info(*v).needs_key_reset;
}

const ReportRecord* newest(const Records& records) {
  const ReportRecord* best = nullptr;
  for (const auto* r : records)  // ties: the later input wins
    if (!best || r->generated_ms >= best->generated_ms) best = r;
  return best;
}

std::optional<std::int64_t> largest_incarnation(const Records& records) {
  std::optional<std::int64_t> largest;
  for (const auto* r : records)
    if (r->largest_incarnation && (!largest || *r->largest_incarnation > *largest))
      largest = r->largest_incarnation;
  return largest;
}

std::string resource_id_of(const latchwatch::Identity& id) {
  if (id.moved_to_other_vm) return {};  // the disk's identity names another VM
  // Only an id naming a VM or a scale-set instance is one whose key can be reset.
  if (!id.resource_id.empty() &&
      latchwatch::parse_resource_id(id.resource_id, id.vm_scale_set_name).kind != "unknown")
    return id.resource_id;
  return latchwatch::derive_resource_id(id.subscription_id, id.resource_group_name, id.name,
                                        id.vm_scale_set_name);
}

std::string days_text(double seconds) {
  double days = seconds / 86400.0;
  return days >= 2 ? std::to_string(static_cast<long long>(days)) + " days"
                   : std::to_string(static_cast<long long>(seconds / 3600.0)) + " hours";
}

/// Why a newest report needs no reset, for the skipped list.
std::string skip_reason(const ReportRecord& newest_report, const Records& all) {
  auto code = latchwatch::verdict_from_string(newest_report.verdict_code);
  std::string reason =
      code == latchwatch::VerdictCode::healthy
          ? "healthy in its newest report"
          : std::string("not a key verdict: ") + latchwatch::info(*code).owner_action;
  for (const auto* r : all)
    if (r != &newest_report && needs_reset(r->verdict_code)) {
      reason += " (supersedes an older " + r->verdict_code + " report of " + r->generated_at + ")";
      break;
    }
  return reason;
}

/// The oldest record of the newest unbroken run of reset verdicts (newest first, back to the
/// first record that needs no reset): when the loss was first reported.
void first_of_streak(const Records& records, const ReportRecord& top, PlannedReset& reset) {
  Records ordered = records;
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const ReportRecord* a, const ReportRecord* b) {
                     return a->generated_ms > b->generated_ms;
                   });
  const ReportRecord* first = &top;
  for (const auto* r : ordered) {
    if (r->generated_ms > top.generated_ms) continue;
    if (!needs_reset(r->verdict_code)) break;
    first = r;
  }
  reset.first_reported_at = first->generated_at;
  reset.first_reported_ms = first->generated_ms;
}

class PlanBuilder {
 public:
  PlanBuilder(const ResetPlanOptions& options, ResetPlan& plan) : options_(options), plan_(plan) {}

  void add_resource(const std::string& key, Records records) {
    Records kept = resolve_copies(key, records);
    if (kept.empty()) return;
    const ReportRecord& top = *newest(kept);
    if (!needs_reset(top.verdict_code)) {
      plan_.skipped.push_back(
          {top.origin, resource_id_of(top.identity), top.verdict_code, skip_reason(top, kept)});
      return;
    }
    PlannedReset reset;
    latchwatch::Identity identity = top.identity;
    identity.resource_id = resource_id_of(top.identity);
    reset.resource_id = identity.resource_id;
    auto split = split_scale_set_instance(reset.resource_id);
    reset.scale_set_id = split.scale_set_id;
    reset.instance_id = split.instance_id;
    if (!split.scale_set_id.empty() && identity.vm_scale_set_name.empty())
      identity.vm_scale_set_name = last_segment(split.scale_set_id);
    reset.verdict_code = top.verdict_code;
    reset.origin = top.origin;
    reset.generated_at = top.generated_at;
    first_of_streak(kept, top, reset);
    reset.host = top.host;
    if (identity.source == "imds" || identity.source == "cache") reset.vm_id = identity.vm_id;
    reset.smbios_uuid =
        !top.host_facts.smbios_uuid.empty() ? top.host_facts.smbios_uuid : top.identity.smbios_uuid;
    reset.superseded = static_cast<int>(kept.size()) - 1;
    if (identity.source == "cache" &&
        identity.age_seconds > static_cast<double>(options_.stale_identity_seconds)) {
      reset.flags.push_back("stale identity: the resource id comes from a cache " +
                            days_text(identity.age_seconds) +
                            " old; before running, confirm with the first command that the "
                            "resource's vmId is " +
                            (identity.vm_id.empty() ? std::string("this VM's") : identity.vm_id));
      reset.verify_command = "az resource show --ids " + latchwatch::sh_quote(reset.resource_id) +
                             " --query properties.vmId -o tsv";
    }
    if (copies_resolved_.count(key))
      reset.flags.push_back(
          "another VM claims this resource id from a copied disk (see conflicts); "
          "this reset is for the VM that IMDS names");
    reset.remedy = latchwatch::build_remedy(identity, largest_incarnation(kept),
                                            top.verdict_code == "key_loss_latent", &top.host_facts);
    if (!reset.remedy.blocked.empty()) reset.flags.push_back(reset.remedy.blocked);
    if (reset.scale_set_id.empty()) {
      vms_.push_back(std::move(reset));
      return;
    }
    // ARM ids compare case-insensitively: one group per scale set, named as first seen.
    auto& set = scale_sets_[ascii_lower(reset.scale_set_id)];
    if (set.first.empty()) set.first = reset.scale_set_id;
    set.second.push_back(std::move(reset));
  }

  /// Reports without a usable resource id (or whose identity names another VM): grouped by the
  /// hardware they ran on, newest wins.
  void add_unidentified(const Records& records) {
    std::map<std::string, Records> by_machine;
    int anonymous = 0;
    for (const auto* r : records) {
      std::string machine = ascii_lower(machine_key(*r));
      if (machine.empty()) machine = "#" + std::to_string(anonymous++);
      by_machine[machine].push_back(r);
    }
    for (auto& [machine, group] : by_machine) {
      const ReportRecord& top = *newest(group);
      if (!needs_reset(top.verdict_code)) {
        plan_.skipped.push_back(
            {top.origin, subject_of(top), top.verdict_code, skip_reason(top, group)});
        continue;
      }
      UnidentifiedVm vm;
      vm.origin = top.origin;
      vm.verdict_code = top.verdict_code;
      vm.host = top.host;
      // The hardware's own UUID: a copied disk's cached vmId is the original VM's.
      vm.vm_id = !top.identity.smbios_uuid.empty() ? top.identity.smbios_uuid : top.identity.vm_id;
      vm.smbios_uuid = top.identity.smbios_uuid;
      vm.host_facts = top.host_facts;
      if (vm.smbios_uuid.empty()) vm.smbios_uuid = top.host_facts.smbios_uuid;
      if (vm.vm_id.empty()) vm.vm_id = vm.smbios_uuid;
      auto claimed = claimed_.find(&top);
      if (claimed != claimed_.end()) {
        vm.claimed_resource_id = claimed->second;
        vm.reason = "its identity claims " + claimed->second +
                    ", which IMDS gives to another VM: this VM runs on a copied disk";
      } else if (top.identity.moved_to_other_vm) {
        vm.reason = "its disk moved from another VM, so its cached identity is not this VM's";
      } else if (top.identity.source == "imds" || top.identity.source == "cache") {
        vm.reason = std::string("its identity from ") +
                    (top.identity.source == "imds" ? "IMDS" : "the cache") +
                    " failed the character-class checks and was dropped (see the report's "
                    "findings)";
      } else {
        vm.reason = "IMDS was unreachable and no identity was cached";
      }
      latchwatch::Identity identity = top.identity;
      identity.resource_id.clear();
      identity.vm_scale_set_name.clear();
      identity.vm_id = vm.vm_id;
      vm.remedy = latchwatch::build_remedy(identity, std::nullopt,
                                           top.verdict_code == "key_loss_latent", &top.host_facts);
      plan_.unidentified.push_back(std::move(vm));
    }
  }

  void finish() {
    std::sort(vms_.begin(), vms_.end(), [](const PlannedReset& a, const PlannedReset& b) {
      return ascii_lower(a.resource_id) < ascii_lower(b.resource_id);
    });
    plan_.vms = std::move(vms_);
    for (auto& [key, set] : scale_sets_) {
      auto& [id, instances] = set;
      std::sort(instances.begin(), instances.end(), instance_order);
      plan_.scale_sets.push_back({id, std::move(instances)});
    }
  }

  const Records& copies() const { return copies_; }

 private:
  static bool instance_order(const PlannedReset& a, const PlannedReset& b) {
    auto numeric = [](const std::string& s) {
      return !s.empty() && s.size() < 19 &&
             std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (numeric(a.instance_id) && numeric(b.instance_id))
      return std::stoll(a.instance_id) < std::stoll(b.instance_id);
    return a.instance_id < b.instance_id;
  }

  static std::string subject_of(const ReportRecord& r) {
    if (!r.identity.vm_id.empty()) return "vmId " + r.identity.vm_id;
    if (!r.identity.smbios_uuid.empty()) return "SMBIOS " + r.identity.smbios_uuid;
    if (!r.host_facts.smbios_uuid.empty()) return "SMBIOS " + r.host_facts.smbios_uuid;
    if (!r.host.empty()) return "host " + r.host;
    if (!r.host_facts.private_addresses.empty())
      return "address " + r.host_facts.private_addresses.front();
    return "an unnamed machine";
  }

  /// What tells machines apart without a resource id: the hardware's UUID, the vmId, else the
  /// host name with its primary address (a template's clones share a host name).
  static std::string machine_key(const ReportRecord& r) {
    if (!r.identity.smbios_uuid.empty()) return r.identity.smbios_uuid;
    if (!r.host_facts.smbios_uuid.empty()) return r.host_facts.smbios_uuid;
    if (!r.identity.vm_id.empty()) return r.identity.vm_id;
    std::string address =
        r.host_facts.private_addresses.empty() ? "" : r.host_facts.private_addresses.front();
    if (r.host_facts.host_name.empty() && address.empty()) return {};
    return "host:" + r.host_facts.host_name + "/" + address;
  }

  /// The machine a record ran on: its SMBIOS UUID, else its vmId (lower case, in the vmId's
  /// byte order: on Azure the SMBIOS UUID is the vmId, possibly byte-swapped).
  std::string hardware_of(const ReportRecord& r) const {
    std::string smbios = ascii_lower(r.identity.smbios_uuid);
    std::string vm_id =
        r.identity.moved_to_other_vm ? std::string() : ascii_lower(r.identity.vm_id);
    if (smbios.empty()) return vm_id;
    if (!vm_id.empty() && probes::byte_swapped_uuid(smbios) == vm_id) return vm_id;
    return smbios;
  }

  /// Two machines (SMBIOS UUIDs, else vmIds) claiming one resource: a copied disk, or a forgery.
  /// The claim that IMDS confirmed is the real VM; the others are copies and move to the
  /// unidentified list. Without an IMDS claim nobody can tell from the reports, so no reset is
  /// planned for the resource.
  Records resolve_copies(const std::string& key, const Records& records) {
    std::set<std::string> machines;
    for (const auto* r : records)
      if (auto m = hardware_of(*r); !m.empty()) machines.insert(m);
    if (machines.size() <= 1) return records;

    Conflict conflict;
    conflict.resource_id = resource_id_of(records.front()->identity);
    for (const auto* r : records)
      conflict.claims.push_back(
          {r->origin, r->host, r->identity.smbios_uuid, r->identity.source, r->verdict_code});
    // Resource Graph's word first: a claim ARM confirms is the real VM, and one ARM
    // contradicts never got here (apply_inventory set it aside). Without it, IMDS claims.
    Records confirmed;
    for (const auto* r : records)
      if (r->arm_confirmed) confirmed.push_back(r);
    const bool by_arm = !confirmed.empty();
    if (!by_arm)
      for (const auto* r : records)
        if (r->identity.source == "imds") confirmed.push_back(r);
    std::set<std::string> confirming;
    for (const auto* r : confirmed) confirming.insert(hardware_of(*r));
    if (!by_arm && confirming.size() > 1) {
      // IMDS gives a resource to one machine: two machines "confirmed" by IMDS means one report
      // is forged (or copied with its source field). The reports cannot tell which.
      conflict.message = std::to_string(confirming.size()) +
                         " machines each claim this resource through IMDS: at most one of them "
                         "is telling the truth. No reset is planned for it: pass a Resource Graph "
                         "export (--resource-graph) so ARM's vmId decides, or check each machine.";
      plan_.conflicts.push_back(std::move(conflict));
      return {};
    }
    if (confirmed.empty()) {
      conflict.message = std::to_string(machines.size()) +
                         " machines claim this resource and none through IMDS: a copied disk, "
                         "and the reports cannot tell which VM is the original. No reset is "
                         "planned for it: find each machine by its SMBIOS UUID (az vm list "
                         "--query \"[?vmId=='UUID'].id\") and run the per-VM check there.";
      plan_.conflicts.push_back(std::move(conflict));
      return {};
    }
    std::string real = hardware_of(*newest(confirmed));
    Records kept;
    for (const auto* r : records) {
      std::string machine = hardware_of(*r);
      if (machine.empty() || machine == real) {
        kept.push_back(r);
      } else {
        copies_.push_back(r);
        claimed_[r] = conflict.resource_id;
      }
    }
    conflict.resolved = true;
    conflict.message = std::string(by_arm ? "Resource Graph (ARM's vmId)" : "IMDS") +
                       " names machine " + real +
                       " as this resource; the other machines run on a copy of its disk and "
                       "are listed as unidentified VMs, each with its own reset to find";
    copies_resolved_.insert(key);
    plan_.conflicts.push_back(std::move(conflict));
    return kept;
  }

  const ResetPlanOptions& options_;
  ResetPlan& plan_;
  std::vector<PlannedReset> vms_;
  std::map<std::string, std::pair<std::string, std::vector<PlannedReset>>> scale_sets_;
  Records copies_;
  std::map<const ReportRecord*, std::string> claimed_;
  std::set<std::string> copies_resolved_;
};

}  // namespace

std::size_t ResetPlan::reset_count() const {
  std::size_t n = vms.size() + unidentified.size();
  for (const auto& s : scale_sets) n += s.instances.size();
  return n;
}

std::size_t ResetPlan::unexplained_count() const {
  auto unexplained = [](const PlannedReset& r) { return r.cause && !r.cause->explained; };
  std::size_t n = static_cast<std::size_t>(std::count_if(vms.begin(), vms.end(), unexplained));
  for (const auto& s : scale_sets)
    n += static_cast<std::size_t>(
        std::count_if(s.instances.begin(), s.instances.end(), unexplained));
  return n;
}

bool ResetPlan::needs_attention() const {
  if (!input_errors.empty() || !unidentified.empty()) return true;
  // A key loss no operation explains is for a closer look before anyone resets it (issue 23).
  if (activity_checked && unexplained_count() > 0) return true;
  // A reset with no command (keyIncarnationId at the int32 limit) is for a person, not a paste.
  auto blocked = [](const PlannedReset& r) { return !r.remedy.blocked.empty(); };
  if (std::any_of(vms.begin(), vms.end(), blocked)) return true;
  for (const auto& set : scale_sets)
    if (std::any_of(set.instances.begin(), set.instances.end(), blocked)) return true;
  // Any conflict, resolved or not: records disagreed about a machine, so someone may be
  // speaking for another VM (issue 26); the plan says so and exits non-zero.
  return !conflicts.empty();
}

ResetPlan build_reset_plan(std::vector<ReportRecord> records, const ResetPlanOptions& options) {
  ResetPlan plan;
  plan.reports_read = static_cast<int>(records.size());
  if (options.now_ms > 0) {
    // A record from the future would outrank every true record of its machine: not used.
    auto future = [&](const ReportRecord& r) {
      return r.generated_ms > options.now_ms + options.future_tolerance_ms;
    };
    for (const auto& r : records)
      if (future(r))
        plan.input_errors.push_back(r.origin + ": dated " + r.generated_at +
                                    ", in the future: not used (a record cannot outrank the "
                                    "machine's own later ones)");
    records.erase(std::remove_if(records.begin(), records.end(), future), records.end());
  }
  std::map<std::string, Records> by_resource;  // ARM ids compare case-insensitively
  Records unidentified;
  for (const auto& r : records) {
    std::string id = resource_id_of(r.identity);
    if (id.empty())
      unidentified.push_back(&r);
    else
      by_resource[ascii_lower(id)].push_back(&r);
  }
  PlanBuilder builder(options, plan);
  for (auto& [key, group] : by_resource) builder.add_resource(key, std::move(group));
  unidentified.insert(unidentified.end(), builder.copies().begin(), builder.copies().end());
  builder.add_unidentified(unidentified);
  builder.finish();
  return plan;
}

}  // namespace latchwatch::plan
