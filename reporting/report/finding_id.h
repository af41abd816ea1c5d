#pragma once
/// The finding ids the diagnosis writes: one closed list, so a finding cannot be misspelt and a
/// reader (docs, alert rules, receivers) can rely on the set. Two families carry a suffix built
/// from another closed vocabulary: `<probe target>_<outcome>` (a probe that did not answer ok,
/// e.g. `imds_instance_timeout`) and `key_latch_<class>` (GPA's key-latch message class).
/// In the report the id is its text (`Finding::id`), as before.

#include <vector>

namespace latchwatch {

enum class FindingId {
  acquire_refused_inferred,
  clock_skew,
  disk_from_other_vm,
  disk_moved_to_other_vm,
  early_boot,
  ebpf_not_running,
  fabric_unauthorized,
  gpa_aggregated_status,
  gpa_aggregated_status_ignored,
  gpa_holds_no_key,
  gpa_not_found,
  gpa_not_provisioned,
  gpa_requests,
  gpa_saw_401,
  gpa_version,
  gpa_version_unknown,
  hostga_mode_from_item,
  hostga_rule_item_ignored,
  identity_cache_field_rejected,
  identity_cache_unusable,
  imds_identity_field_rejected,
  key_file_missing,
  key_folder_listing,
  key_folder_missing,
  key_folder_symlink,
  key_folder_unreadable,
  key_incarnation_at_limit,
  method_not_allowed,
  probes_not_root,
  secure_channel_state,
  smbios_unreadable,
  status_file_from_the_future,
  status_file_missing,
  status_file_stale,
  status_file_torn,
  status_file_unreadable,
  status_rule_item_without_id,
  uptime_unreadable,
};

const char* to_string(FindingId id);
/// Every id, in declaration order.
const std::vector<FindingId>& all_finding_ids();

}  // namespace latchwatch
