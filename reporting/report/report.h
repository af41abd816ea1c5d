#pragma once
/// What a diagnosis produces: every finding with its evidence, one verdict (the top finding),
/// the owner's remedy when a key reset is needed, and advisories. Plain values; rendering lives
/// in reporting/.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "probes/base/vm_identity.h"
#include "probes/fabric/probe_result.h"
#include "probes/local/host_facts.h"
#include "reporting/report/blast_radius.h"
#include "reporting/report/verdict.h"

namespace latchwatch {

/// One observation. `id` is stable and machine-readable ("key_file_missing",
/// "status_file_stale"...); `message` is for a person and never carries secrets.
struct Finding {
  std::string id;
  Severity severity = Severity::ok;
  std::string source;  ///< "wireserver_status", "key_folder", "status_file", ...
  std::string message;
  nlohmann::json evidence;  ///< small, secret-free facts behind the message
};

struct Verdict {
  VerdictCode code = VerdictCode::unknown;
  Severity severity = Severity::unknown;
  std::string summary;
};

struct RemedyRequest {
  std::string method = "PATCH";  ///< "PUT" for a Uniform scale-set instance (no PATCH there)
  /// Relative to the cloud's ARM endpoint ("/subscriptions/...?api-version=..."); contains
  /// "{resourceId}" when the resource is unknown.
  std::string url;
  nlohmann::json body;  ///< PATCH: the whole body; PUT: null (the body is the model from GET)
  /// The steps a program follows, in order (real-platform.md §6): for a VM one PATCH; for a
  /// Uniform instance GET, raise, remove imageReference, PUT with If-Match.
  nlohmann::json steps = nlohmann::json::array();
};

/// The owner's key reset, handed out as text; latchwatch never performs it. Every command is
/// built from checked identity fields, each quoted by code (command_quote.h); a bash command
/// can be pasted into bash as printed, a PowerShell one into PowerShell 7.
struct Remedy {
  bool planned = false;     ///< key_loss_latent: not broken yet, plan the reset
  std::string resource_id;  ///< empty when unknown
  /// "virtual_machine", "flexible_member", "uniform_instance" or "unknown" (from the resource id;
  /// real-platform.md §1 decides the method per kind).
  std::string resource_kind = "unknown";
  std::string subscription_id;  ///< parsed from the resource id
  std::string resource_group;
  std::string scale_set_name;  ///< Uniform instances
  std::string instance_id;     ///< Uniform instances
  /// Non-empty when no command can be given: the incarnation is at int32's limit.
  std::string blocked;
  std::string identity_source;                      ///< "imds", "cache" or "unknown"
  double identity_age_seconds = 0;                  ///< for "cache"
  std::optional<std::int64_t> current_incarnation;  ///< largest seen
  std::optional<std::int64_t> next_incarnation;     ///< current + 1
  RemedyRequest request;
  std::string az_command;  ///< bash: the command to run for this kind
  /// bash, az-native reset: az vm update --key-incarnation-id (az >= 2.72.0) for VMs, az vmss
  /// update --instance-id --set (an az whose compute API knows proxyAgentSettings) for Uniform.
  std::string az_update_command;
  std::string rest_command;  ///< unused since az_command is az rest for every kind; kept empty
  std::string powershell_command;        ///< PowerShell 7 with Az.Accounts
  std::string patch_alternative;         ///< Uniform: Learn's PATCH, labelled, never the one to run
  std::string read_incarnation_command;  ///< bash, az rest: reads the current value (always given)
  std::string read_az_native_command;    ///< bash, az vm show / az vmss show (labelled)
  std::string find_vm_command;           ///< bash, when the resource is unknown; never empty query
  std::string confirm_command;           ///< bash, az rest: the instance view's GPA substatus
  std::string confirm_az_native_command;  ///< bash, az vm/vmss get-instance-view (labelled)
  std::string cloud;                      ///< IMDS azEnvironment (checked); empty when unknown
  std::string vm_id;
  std::string scale_set_note;  ///< for scale-set instances
  std::string confirm;         ///< how to confirm that the new key latched
  std::vector<std::string> notes;
};

/// The remedy's commands as a JSON array of {"shell","purpose","command"} in the report, so a
/// program can pick the one it runs without parsing prose. Learn's PATCH for a Uniform instance
/// is not among them (it stays in "patch_alternative", labelled).
nlohmann::json remedy_commands(const Remedy& r);

struct Advisory {
  std::string id;  ///< "confidential_vm_cmk_rotation", "ephemeral_os_disk"
  std::string message;
};

/// The identity a report names, and where it came from.
struct Identity : VmIdentity {
  std::string source;  ///< "imds", "cache", "unknown"
  double age_seconds = 0;
  /// The cloud (IMDS compute.azEnvironment, checked): the printed ARM URLs are relative to it.
  std::string cloud;
  bool moved_to_other_vm = false;  ///< the cache names another VM than this hardware
};

/// A key reset observed: the server key changed since the cache, and all is healthy again.
struct Resolved {
  std::string old_key_guid;
  std::string new_key_guid;
  std::optional<std::int64_t> old_incarnation;
  std::optional<std::int64_t> new_incarnation;
  std::string message;
};

struct Report {
  static constexpr int kSchemaVersion = 1;
  std::string generated_at;  ///< ISO 8601 UTC
  Verdict verdict;
  std::vector<Finding> findings;  ///< most severe first
  std::vector<probes::ProbeResult> probes;
  nlohmann::json evidence;  ///< summaries of the local sources
  Identity identity;
  probes::HostFacts host;  ///< names the machine without IMDS
  std::optional<Remedy> remedy;
  std::vector<Advisory> advisories;
  std::optional<Resolved> resolved;
  /// Key verdicts: what else is broken for the same reason and which configured outward
  /// channels still reach the owner (blast_radius.h).
  std::optional<BlastRadius> blast_radius;
  double cycle_wall_ms = 0;
};

void to_json(nlohmann::json& j, const Finding& f);
void to_json(nlohmann::json& j, const Verdict& v);
void to_json(nlohmann::json& j, const Remedy& r);
void to_json(nlohmann::json& j, const Identity& i);
void to_json(nlohmann::json& j, const Report& r);

/// The report's JSON document (what `check --json` prints).
nlohmann::json report_document(const Report& report);

std::string iso8601_utc(std::chrono::system_clock::time_point t);

}  // namespace latchwatch
