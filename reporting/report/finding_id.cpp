#include "reporting/report/finding_id.h"

namespace latchwatch {

const char* to_string(FindingId id) {
  switch (id) {
    case FindingId::acquire_refused_inferred:
      return "acquire_refused_inferred";
    case FindingId::clock_skew:
      return "clock_skew";
    case FindingId::disk_from_other_vm:
      return "disk_from_other_vm";
    case FindingId::disk_moved_to_other_vm:
      return "disk_moved_to_other_vm";
    case FindingId::early_boot:
      return "early_boot";
    case FindingId::ebpf_not_running:
      return "ebpf_not_running";
    case FindingId::fabric_unauthorized:
      return "fabric_unauthorized";
    case FindingId::gpa_aggregated_status:
      return "gpa_aggregated_status";
    case FindingId::gpa_aggregated_status_ignored:
      return "gpa_aggregated_status_ignored";
    case FindingId::gpa_holds_no_key:
      return "gpa_holds_no_key";
    case FindingId::gpa_not_found:
      return "gpa_not_found";
    case FindingId::gpa_not_provisioned:
      return "gpa_not_provisioned";
    case FindingId::gpa_requests:
      return "gpa_requests";
    case FindingId::gpa_saw_401:
      return "gpa_saw_401";
    case FindingId::gpa_version:
      return "gpa_version";
    case FindingId::gpa_version_unknown:
      return "gpa_version_unknown";
    case FindingId::hostga_mode_from_item:
      return "hostga_mode_from_item";
    case FindingId::hostga_rule_item_ignored:
      return "hostga_rule_item_ignored";
    case FindingId::identity_cache_field_rejected:
      return "identity_cache_field_rejected";
    case FindingId::identity_cache_unusable:
      return "identity_cache_unusable";
    case FindingId::imds_identity_field_rejected:
      return "imds_identity_field_rejected";
    case FindingId::key_file_missing:
      return "key_file_missing";
    case FindingId::key_folder_listing:
      return "key_folder_listing";
    case FindingId::key_folder_missing:
      return "key_folder_missing";
    case FindingId::key_folder_symlink:
      return "key_folder_symlink";
    case FindingId::key_folder_unreadable:
      return "key_folder_unreadable";
    case FindingId::key_incarnation_at_limit:
      return "key_incarnation_at_limit";
    case FindingId::method_not_allowed:
      return "method_not_allowed";
    case FindingId::probes_not_root:
      return "probes_not_root";
    case FindingId::secure_channel_state:
      return "secure_channel_state";
    case FindingId::smbios_unreadable:
      return "smbios_unreadable";
    case FindingId::status_file_from_the_future:
      return "status_file_from_the_future";
    case FindingId::status_file_missing:
      return "status_file_missing";
    case FindingId::status_file_stale:
      return "status_file_stale";
    case FindingId::status_file_torn:
      return "status_file_torn";
    case FindingId::status_file_unreadable:
      return "status_file_unreadable";
    case FindingId::status_rule_item_without_id:
      return "status_rule_item_without_id";
    case FindingId::uptime_unreadable:
      return "uptime_unreadable";
  }
  return "unknown_finding";
}

const std::vector<FindingId>& all_finding_ids() {
  static const std::vector<FindingId> ids = {
      FindingId::acquire_refused_inferred,
      FindingId::clock_skew,
      FindingId::disk_from_other_vm,
      FindingId::disk_moved_to_other_vm,
      FindingId::early_boot,
      FindingId::ebpf_not_running,
      FindingId::fabric_unauthorized,
      FindingId::gpa_aggregated_status,
      FindingId::gpa_aggregated_status_ignored,
      FindingId::gpa_holds_no_key,
      FindingId::gpa_not_found,
      FindingId::gpa_not_provisioned,
      FindingId::gpa_requests,
      FindingId::gpa_saw_401,
      FindingId::gpa_version,
      FindingId::gpa_version_unknown,
      FindingId::hostga_mode_from_item,
      FindingId::hostga_rule_item_ignored,
      FindingId::identity_cache_field_rejected,
      FindingId::identity_cache_unusable,
      FindingId::imds_identity_field_rejected,
      FindingId::key_file_missing,
      FindingId::key_folder_listing,
      FindingId::key_folder_missing,
      FindingId::key_folder_symlink,
      FindingId::key_folder_unreadable,
      FindingId::key_incarnation_at_limit,
      FindingId::method_not_allowed,
      FindingId::probes_not_root,
      FindingId::secure_channel_state,
      FindingId::smbios_unreadable,
      FindingId::status_file_from_the_future,
      FindingId::status_file_missing,
      FindingId::status_file_stale,
      FindingId::status_file_torn,
      FindingId::status_file_unreadable,
      FindingId::status_rule_item_without_id,
      FindingId::uptime_unreadable,
  };
  return ids;
}

}  // namespace latchwatch
