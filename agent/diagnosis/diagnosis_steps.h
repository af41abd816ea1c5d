#pragma once
/// The diagnosis' internals, shared by its parts (not used outside agent/diagnosis): the facts
/// derived once from the evidence, the finding list, and the steps `diagnose` runs in order:
/// facts (facts.cpp) -> findings per source (probe_findings.cpp, local_findings.cpp) -> the
/// ordered verdict rules (verdict_rules.cpp) -> identity and remedy inputs
/// (identity_resolution.cpp). Adding a GPA era touches facts.cpp (and the era table in
/// probes/payloads/gpa_era.*); adding a verdict touches verdict_rules.cpp (and the catalogue in
/// reporting/report/verdict.*).

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "agent/diagnosis/diagnose.h"
#include "probes/payloads/gpa_era.h"
#include "probes/payloads/gpa_version.h"
#include "reporting/report/finding_id.h"

namespace latchwatch::diagnosis::detail {

using probes::KeyLatchMessage;
using probes::Outcome;
using probes::ProbeResult;
using probes::ReadState;
using probes::Target;

std::string lower(std::string s);
bool iequals(const std::string& a, const std::string& b);
std::string trim(const std::string& s);
/// No usable answer at all: refused, or nothing (or not even a full header) within the deadline.
bool unreachable(const ProbeResult* r);
/// Parses an RFC 1123 HTTP date ("Sun, 06 Nov 1994 08:49:37 GMT").
std::optional<std::chrono::system_clock::time_point> parse_http_date(const std::string& text);

/// Everything the rules look at, derived once.
struct Facts {
  const ProbeResult* ws_status = nullptr;
  const ProbeResult* imds = nullptr;
  const ProbeResult* provision = nullptr;
  bool ws_unreachable = false;
  bool imds_unreachable = false;
  bool status_known = false;  ///< the secure-channel status was read and parsed
  bool enabled = false;
  std::string server_guid;  ///< G
  std::optional<std::int64_t> server_incarnation;

  bool keys_readable = false;          ///< listed, or the folder is missing (wiped)
  std::vector<std::string> key_guids;  ///< L
  bool server_key_on_disk = false;     ///< G ∈ L
  bool other_keys = false;             ///< L holds guids other than G

  bool status_file_ok = false;  ///< present and parsed
  bool status_file_fresh = false;
  std::string gpa_guid;  ///< M
  std::optional<std::int64_t> gpa_incarnation;
  KeyLatchMessage latch_message = KeyLatchMessage::other;
  bool ebpf_not_running = false;
  /// GPA's status: the in-memory one (GET /gpa-aggregated-status, 1.0.47) when it answered,
  /// else status.json. nullptr when neither could be read.
  const probes::GpaStatusFile* gpa = nullptr;
  bool gpa_status_from_endpoint = false;
  /// Why GPA's in-memory status was not used (stale, no timestamp, contradicted), or empty.
  std::string aggregated_ignored;
  std::optional<probes::GpaVersion> gpa_version;
  /// Up to 1.0.24 a refused acquire is only logged: the message stays "… started.".
  bool era_logs_refusal_only = false;
  bool explicit_refusal = false;  ///< GPA's message: acquire answered 4xx
  bool inferred_refusal = false;  ///< ≤ 1.0.24: stuck "started" message, see derive_facts
  std::optional<double> uptime;
  bool in_boot_grace = false;    ///< uptime known and below the grace
  bool past_boot_grace = false;  ///< uptime known and at least the grace
  /// A probe answered 405. GPA never does to a GET (its allow-list, 1.0.45 on, admits GET), so
  /// this is a proxy or another listener in the path: no evidence about GPA's rules or the key.
  bool method_not_allowed = false;
  bool gpa_alive = false;  ///< GPA's status is fresh (or being rewritten), or /provision answers
  /// GPA's era as read from its version (the unknown era when there is none).
  probes::GpaEra era;
  double stale_after_seconds = 0;   ///< the staleness limit, with a margin for GPA 1.0.13
  bool provision_withheld = false;  ///< /provision was not sent: it has effects on this GPA
  bool status_torn = false;         ///< status.json stayed cut short: GPA is rewriting it
  /// The server's status has a rule item without `id`, which this GPA (1.0.15 on, or unknown)
  /// rejects: GPA cannot use the body, so neither can the diagnosis.
  bool rule_item_rejected = false;
  probes::Mode hostga_mode = probes::Mode::disabled;  ///< as this GPA's era reads it

  bool gpa_listener_down = false;
  bool gpa_installed = false;
  int upstream_401 = 0;
  int upstream_401_via_gpa = 0;
  std::int64_t status_file_401 = 0;
  bool denied_by_rules = false;
  bool imds_throttled = false;
  std::optional<double> skew_seconds;
};

Facts derive_facts(const Evidence& e, const DiagnosisSettings& settings);

class FindingList {
 public:
  void add(FindingId id, Severity severity, std::string source, std::string message,
           nlohmann::json evidence = nullptr) {
    add_family(to_string(id), severity, std::move(source), std::move(message), std::move(evidence));
  }
  /// The two families of finding_id.h (`<target>_<outcome>`, `key_latch_<class>`): the id is
  /// built from their closed vocabularies by the caller.
  void add_family(std::string id, Severity severity, std::string source, std::string message,
                  nlohmann::json evidence = nullptr) {
    findings_.push_back(
        {std::move(id), severity, std::move(source), std::move(message), std::move(evidence)});
  }
  std::vector<Finding> sorted() && {
    auto rank = [](Severity s) {
      switch (s) {
        case Severity::critical:
          return 0;
        case Severity::unknown:
          return 1;
        case Severity::warning:
          return 2;
        case Severity::ok:
          return 3;
      }
      return 4;
    };
    std::stable_sort(findings_.begin(), findings_.end(), [&](const Finding& a, const Finding& b) {
      return rank(a.severity) < rank(b.severity);
    });
    return std::move(findings_);
  }

 private:
  std::vector<Finding> findings_;
};

/// Findings from the fabric probes (WireServer, HostGAPlugin, IMDS, GPA's endpoints).
void probe_findings(const Evidence& e, const Facts& f, FindingList& out);
/// Findings from this VM's own evidence (key folder, status file, GPA's presence, boot, clock).
void local_findings(const Evidence& e, const Facts& f, const DiagnosisSettings& settings,
                    FindingList& out);

struct Choice {
  VerdictCode code;
  std::string detail;
};

/// The rules, in order. The first that holds is the verdict.
Choice choose_verdict(const Evidence& e, const Facts& f, const DiagnosisSettings& settings);

/// The report's identity: IMDS, else the cache (unless the disk moved), else unknown.
Identity resolve_identity(const Evidence& e, FindingList& findings);
/// The largest keyIncarnationId any evidence names (the reset raises it by one).
std::optional<std::int64_t> largest_incarnation(const Evidence& e);
std::vector<Advisory> advisories_for(const Identity& id);
/// A reset seen to have worked: healthy again with a new key guid or a higher incarnation.
std::optional<Resolved> resolved_reset(const Evidence& e, VerdictCode verdict);

}  // namespace latchwatch::diagnosis::detail
