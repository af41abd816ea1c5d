#pragma once
/// The fleet's key-reset plan, computed offline from many latchwatch reports (`check --json`
/// output, the daemon's report.json or report-history lines): which instances need the owner's
/// key reset, with which keyIncarnationId, in which order; which reports were skipped and why;
/// which reports contradict each other. latchwatch prints the plan; it performs nothing.
///
/// Pure logic: inputs are parsed documents, the output is a value. Never throws on bad input;
/// every rejected record is an error naming its file and field.

#include <cstdint>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent/plan/input_stream.h"
#include "reporting/report/report.h"

namespace latchwatch::plan {

/// One report as read from a file.
struct ReportRecord {
  std::string origin;  ///< "reports/a.json", "history.jsonl:17", "fleet.json[3]"
  std::int64_t generated_ms = 0;
  std::string generated_at;
  std::string host;
  std::string verdict_code;
  latchwatch::Identity identity;
  probes::HostFacts host_facts;  ///< checked: host name, addresses, SMBIOS UUID, GPA version
  std::optional<std::int64_t> largest_incarnation;  ///< the largest keyIncarnationId it saw
  /// Resource Graph gives this record's hardware (SMBIOS UUID or vmId) the resource it names:
  /// the strongest claim there is; set by apply_inventory.
  bool arm_confirmed = false;
  std::string file;       ///< the input file it was read from (its name may bind it)
  bool boot_log = false;  ///< a serial line from a boot log, not a JSON report
};

/// What the owner's activity log says about a planned reset (`plan resets --activity-log`): the
/// Succeeded operation on the resource (or its scale set, or its Azure Backup item) that explains
/// the key loss, or none (unexplained: a closer look before resetting). Values come from the
/// log, which is untrusted: they are shown escaped and never reach a command.
struct ActivityCause {
  bool explained = false;
  std::string kind;       ///< "reimage", "redeploy", "restore", "os_disk", "maintenance", "upgrade"
  std::string kind_text;  ///< "reimage", "OS-disk change (swap, repair, attach)", ...
  std::string operation;  ///< operationName.value as the log spells it
  std::string resource_id;  ///< the event's resourceId
  std::string time;         ///< eventTimestamp
  std::string caller;
  std::string correlation_id;
  std::string origin;                    ///< "activity.json[12]"
  std::int64_t before_loss_seconds = 0;  ///< loss time − operation time (negative: clock skew)
  int other_candidates = 0;              ///< further explaining operations in the window
  std::string note;                      ///< scale-set-wide scope, or why it is unexplained
};

struct PlannedReset {
  std::string resource_id;
  std::string scale_set_id;  ///< empty for a standalone VM
  std::string instance_id;   ///< for scale-set instances
  std::string verdict_code;
  std::string origin;  ///< the report that decided (the newest)
  std::string generated_at;
  /// The oldest report of the newest unbroken run of reset verdicts: when the loss was first
  /// seen (a daemon's history repeats the verdict long after the loss).
  std::string first_reported_at;
  std::int64_t first_reported_ms = 0;
  std::string host;
  int superseded = 0;              ///< older reports of the same instance
  std::vector<std::string> flags;  ///< stale identity, resolved copy conflict...
  std::string verify_command;      ///< with a stale identity: reads the resource's vmId
  std::string vm_id;               ///< from the report's identity (IMDS or cache)
  std::string smbios_uuid;         ///< from the report's host facts or identity
  latchwatch::Remedy remedy;
  std::optional<ActivityCause> cause;  ///< set when an activity log was given
};

/// A VM that needs a reset but whose resource id is unknown or belongs to another VM.
struct UnidentifiedVm {
  std::string origin;
  std::string verdict_code;
  std::string host;
  std::string vm_id;
  std::string smbios_uuid;
  std::string claimed_resource_id;  ///< what its (copied) identity says, if anything
  probes::HostFacts host_facts;     ///< how the owner finds it without a resource id
  std::string reason;
  latchwatch::Remedy remedy;  ///< with the {resourceId} placeholder and find_vm command
};

/// Reports that claim one resource id from different hardware: a copied OS disk.
struct Conflict {
  std::string resource_id;
  struct Claim {
    std::string origin;
    std::string host;
    std::string smbios_uuid;
    std::string identity_source;
    std::string verdict_code;
  };
  std::vector<Claim> claims;
  bool resolved = false;  ///< an IMDS-sourced claim says which VM really holds the resource
  std::string message;
};

/// Longer lines of a JSON-lines input are not read (an input error): a report is tens of KiB.
constexpr std::size_t kMaxReportLine = 16u << 20;

/// The records one report file gives, and those it may not speak for.
struct ReportFileRead {
  std::vector<ReportRecord> records;
  /// A file named after one of its machines ("vm-a.json", "pool_3.jsonl", as for boot logs)
  /// speaks only for that machine: records naming another are conflicts, one per machine.
  std::vector<Conflict> conflicts;
  std::string bound_to;  ///< the machine name the file name binds, if it matched
};

/// Splits one input into report records: a single report object, an array of them, or JSON
/// lines (the daemon's history). Read as a stream: memory is bounded by the records kept and one
/// report (one line; for a document, one report of it at a time, built by SAX events without the
/// findings, probes and evidence a plan never reads). Bad records are skipped with errors in
/// `errors`, each naming FILE[:LINE] or FILE[INDEX] and the field.
ReportFileRead read_report_input(const std::string& file_name, const OpenSource& open,
                                 std::vector<std::string>& errors);

/// The file-name binding of read_report_input on records already read.
ReportFileRead bind_reports_to_file_name(const std::string& file_name,
                                         std::vector<ReportRecord> records);

/// Across all inputs (issue 26): a file named after a machine the plan knows ("vm-a.json",
/// "vm-a.log": the name of a machine any record or `known_names` gives, e.g. the Resource Graph
/// export) speaks only for that machine, even when none of its own records name it. Records
/// naming another machine are taken out and returned as conflicts, one per file and machine.
std::vector<Conflict> set_aside_records_their_file_names_deny(
    std::vector<ReportRecord>& records, const std::vector<std::string>& known_names);

/// The same from text in memory; conflicts are added to `errors` ("FILE: a report in the file
/// of ...").
std::vector<ReportRecord> read_report_records(const std::string& file_name, const std::string& text,
                                              std::vector<std::string>& errors);

struct SkippedReport {
  std::string origin;
  std::string subject;  ///< resource id, or vmId/host when unknown
  std::string verdict_code;
  std::string reason;
};

struct ScaleSetPlan {
  std::string scale_set_id;
  std::vector<PlannedReset> instances;  ///< ordered by instance id
};

struct ResetPlanOptions {
  /// A cached identity older than this is flagged stale (its VM may have been redeployed).
  std::int64_t stale_identity_seconds = 7 * 24 * 3600;
  /// Now (Unix ms; 0: not checked). A record dated later than now + `future_tolerance_ms` is
  /// an input error and is not used: it would outrank every true record of its machine.
  std::int64_t now_ms = 0;
  std::int64_t future_tolerance_ms = 10 * 60 * 1000;
};

struct ResetPlan {
  int reports_read = 0;
  std::vector<PlannedReset> vms;  ///< standalone VMs, ordered by resource id
  std::vector<ScaleSetPlan> scale_sets;
  std::vector<UnidentifiedVm> unidentified;
  std::vector<Conflict> conflicts;
  std::vector<SkippedReport> skipped;
  std::vector<std::string> input_errors;
  /// An activity log was given: every planned reset has a cause, and an unexplained one needs a
  /// person.
  bool activity_checked = false;
  std::int64_t activity_window_seconds = 0;

  std::size_t reset_count() const;
  std::size_t unexplained_count() const;
  /// Something a person must look at: input errors, any conflict, unidentified VMs.
  bool needs_attention() const;
};

ResetPlan build_reset_plan(std::vector<ReportRecord> records, const ResetPlanOptions& options);

nlohmann::json reset_plan_document(const ResetPlan& plan);
/// Writes `reset_plan_document(plan)` with `extra`'s members added, byte for byte as its
/// dump(2) would be, without building it whole: each entry (a VM, a scale set, a conflict...) is
/// built, written and freed in turn. A fleet's plan in JSON runs to ~10 KiB per reset; the whole
/// document as one DOM cost several times that again (issue 26).
void write_reset_plan_json(const ResetPlan& plan, const nlohmann::json& extra, std::ostream& out);
/// The plan for a person. Every value that came from a report (ids, host names, file names,
/// messages) is printed escaped on one line (probes::one_line); a command is a line of its own
/// that starts with "    $ " and nothing else does, so no report can forge one.
std::string reset_plan_text(const ResetPlan& plan);

}  // namespace latchwatch::plan
