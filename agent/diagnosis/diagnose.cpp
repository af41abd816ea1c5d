// The decision table of the domain brief §6. Facts are derived once from the evidence; findings
// record every observation; `choose_verdict` walks the rules in order so that network, agent and
// rule faults always win over key verdicts, and evidence that could not be read never yields
// `healthy` or a key verdict.

#include "agent/diagnosis/diagnose.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "probes/base/json_limits.h"
#include "probes/base/utc_time.h"
#include "probes/local/smbios.h"
#include "probes/payloads/gpa_era.h"
#include "probes/payloads/gpa_version.h"
#include "reporting/report/remedy.h"

namespace latchwatch::diagnosis {
namespace {

using probes::KeyLatchMessage;
using probes::Outcome;
using probes::ProbeResult;
using probes::ReadState;
using probes::Target;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool iequals(const std::string& a, const std::string& b) { return lower(a) == lower(b); }

std::string trim(const std::string& s) {
  auto begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t\r\n") - begin + 1);
}

/// No usable answer at all: refused, or nothing (or not even a full header) within the deadline.
bool unreachable(const ProbeResult* r) {
  if (!r) return false;
  if (r->outcome == Outcome::refused || r->outcome == Outcome::timeout) return !r->answered();
  return r->outcome == Outcome::reset && !r->answered();
}

/// Parses an RFC 1123 HTTP date ("Sun, 06 Nov 1994 08:49:37 GMT").
std::optional<std::chrono::system_clock::time_point> parse_http_date(const std::string& text) {
  auto t = probes::parse_http_date_seconds(text);
  if (!t || *t < 0 || *t > (1LL << 33)) return std::nullopt;
  return probes::time_from_unix_seconds(*t);
}

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

/// Why GPA's in-memory status (GET /gpa-aggregated-status) cannot be used this cycle, or empty.
/// It is used only when its own timestamp is fresh and it agrees with the other evidence: a
/// fresh status.json (the same GPA writes both) and the key folder (issue 26). Otherwise it is
/// one more finding and the verdict follows the rest.
std::string aggregated_status_doubt(const Evidence& e, const Facts& f,
                                    const DiagnosisSettings& settings) {
  const auto& a = *e.cycle.aggregated_status;
  if (!a.timestamp) return "it carries no timestamp, so its age is unknown";
  const double age = std::chrono::duration<double>(e.now - *a.timestamp).count();
  if (std::fabs(age) > settings.status_stale_after_seconds)
    return "its timestamp " + a.timestamp_text + " is " +
           std::to_string(static_cast<long long>(age)) + " s from now (stale after " +
           std::to_string(static_cast<long long>(settings.status_stale_after_seconds)) + " s)";
  const auto& file = e.status_file.content;
  if (file && std::fabs(e.status_file.age_seconds) <= settings.status_stale_after_seconds) {
    auto text = [](const probes::GpaStatusFile& s) {
      return (s.states_key_guid.empty() ? std::string("no key") : "key " + s.states_key_guid) +
             (s.states_key_incarnation_id
                  ? " incarnation " + std::to_string(*s.states_key_incarnation_id)
                  : std::string());
    };
    if (lower(a.states_key_guid) != lower(file->states_key_guid) ||
        a.states_key_incarnation_id != file->states_key_incarnation_id)
      return "it says " + text(a) + " while the fresh status.json says " + text(*file);
  }
  // Holding no key in memory while the server's key sits on disk: GPA loads that file when it
  // starts, so the two cannot both be true of one running GPA.
  if (a.states_key_guid.empty() && f.status_known && f.enabled && f.server_key_on_disk)
    return "it says GPA holds no key while the server's key " + f.server_guid +
           " is in the key folder";
  return {};
}

Facts derive_facts(const Evidence& e, const DiagnosisSettings& settings) {
  Facts f;
  const auto& cycle = e.cycle;
  f.ws_status = cycle.find(Target::wireserver_status);
  f.imds = cycle.find(Target::imds_instance);
  f.provision = cycle.find(Target::gpa_provision);
  f.ws_unreachable = unreachable(f.ws_status);
  f.imds_unreachable = unreachable(f.imds);
  // GPA's version first: the era decides how the rest is read.
  const probes::GpaStatusFile* gpa_status = cycle.aggregated_status ? &*cycle.aggregated_status
                                            : e.status_file.content ? &*e.status_file.content
                                                                    : nullptr;
  if (gpa_status) f.gpa_version = probes::GpaVersion::parse(gpa_status->agent_version);
  f.era = probes::gpa_era(f.gpa_version);
  f.stale_after_seconds = f.era.version ? std::max(settings.status_stale_after_seconds,
                                                   2 * f.era.status_rewrite_seconds)
                                        : settings.status_stale_after_seconds;
  f.provision_withheld = std::find(cycle.withheld.begin(), cycle.withheld.end(),
                                   Target::gpa_provision) != cycle.withheld.end();
  f.status_torn = e.status_file.torn;
  f.rule_item_rejected =
      cycle.status && !cycle.status->items_without_id.empty() && f.era.rule_item_id_required;
  if (cycle.status && !f.rule_item_rejected) {
    f.status_known = true;
    f.enabled = cycle.status->enabled;
    f.server_guid = lower(cycle.status->key_guid);
    f.server_incarnation = cycle.status->key_incarnation_id;
    f.hostga_mode = probes::hostga_mode_for(*cycle.status, f.era.hostga_mode_from_hostga_item);
  }

  f.keys_readable = e.keys.state == ReadState::ok || e.keys.state == ReadState::missing;
  if (e.keys.state == ReadState::ok) f.key_guids = e.keys.key_guids();
  for (const auto& guid : f.key_guids) {
    if (guid == f.server_guid)
      f.server_key_on_disk = true;
    else
      f.other_keys = true;
  }

  if (cycle.aggregated_status) {
    f.aggregated_ignored = aggregated_status_doubt(e, f, settings);
    if (f.aggregated_ignored.empty()) {
      // GPA answered from memory just now, fresh and agreeing: fresher than any file.
      f.gpa = &*cycle.aggregated_status;
      f.gpa_status_from_endpoint = true;
    }
  }
  if (!f.gpa && e.status_file.content) f.gpa = &*e.status_file.content;
  if (f.gpa) {
    const auto& s = *f.gpa;
    f.status_file_ok = true;
    // A timestamp slightly ahead of the local clock (a clock stepped back) still counts as
    // fresh; one far ahead is as untrustworthy as one far behind.
    f.status_file_fresh =
        f.gpa_status_from_endpoint || std::fabs(e.status_file.age_seconds) <= f.stale_after_seconds;
    f.gpa_guid = lower(s.states_key_guid);
    f.gpa_incarnation = s.states_key_incarnation_id;
    f.latch_message = s.key_latch_class;
    f.ebpf_not_running = !s.ebpf_status.empty() && !iequals(s.ebpf_status, "RUNNING");
    f.status_file_401 = s.unauthorized_count;
    // 1.0.13.1 is the first release; anything older (a test mock's "1.0") has no known era.
    f.era_logs_refusal_only =
        f.gpa_version && f.gpa_version->at_least(1, 0, 13) && f.gpa_version->at_most(1, 0, 24);
    f.explicit_refusal = f.latch_message == KeyLatchMessage::acquire_refused;
  }
  f.uptime = e.uptime_seconds;
  f.in_boot_grace = f.uptime && *f.uptime < settings.boot_grace_seconds;
  f.past_boot_grace = f.uptime && *f.uptime >= settings.boot_grace_seconds;
  // "Past a few polls": GPA polls every 15 s (every second while the state is unknown, for up
  // to 5 minutes after it starts) and its first poll comes seconds after boot. Past the boot
  // grace (default 300 s = 20 polls), a GPA ≤ 1.0.24 that is alive (fresh status, or its
  // listener answers), sees the
  // channel enabled with a server keyGuid and holds no key, yet still says "… started.", has
  // been refused on every poll: a successful load or acquire would have replaced the message.
  // The daemon adds its debounce (two cycles) on top. Without a readable uptime: no inference.
  f.gpa_alive =
      f.status_file_fresh || f.status_torn || (f.provision && f.provision->outcome == Outcome::ok);
  f.inferred_refusal = f.era_logs_refusal_only && f.latch_message == KeyLatchMessage::started &&
                       f.gpa_alive && f.status_known && f.enabled && !f.server_guid.empty() &&
                       f.gpa_guid.empty() && f.past_boot_grace;

  // /provision unsent (it has effects on this GPA, or its version is unknown): no GPA process
  // stands in for a listener that does not answer.
  // A torn status.json is GPA writing it right now: alive whatever else says.
  f.gpa_listener_down =
      !f.status_torn && (f.provision ? unreachable(f.provision)
                                     : f.provision_withheld && !e.presence.process_running);
  f.gpa_installed = e.presence.any() || e.status_file.state != ReadState::missing ||
                    (f.provision && f.provision->answered());

  for (const auto& r : cycle.results) {
    bool upstream = r.target == Target::wireserver_versions || r.target == Target::hostga_health ||
                    r.target == Target::imds_instance;
    if (upstream && r.http_status == 401) {
      ++f.upstream_401;
      if (r.via_gpa) ++f.upstream_401_via_gpa;
    }
    // GPA's own allow-list denial: 403, empty body, Connection: close (domain brief §5). The
    // aggregate-status call answers that way to any non-elevated caller: not a rules fault.
    if (r.target != Target::gpa_aggregated_status && r.http_status == 403 && r.body_bytes == 0 &&
        r.connection_close)
      f.denied_by_rules = true;
    // GPA's method allow-list (1.0.45 on, proxy_server.rs is_method_allowed) admits GET, POST,
    // PUT, DELETE, HEAD, OPTIONS and PATCH: no GPA answers a GET with 405.
    if (r.http_status == 405) f.method_not_allowed = true;
    if (!f.skew_seconds && r.answered() && !r.date_header.empty()) {
      if (auto date = parse_http_date(r.date_header))
        f.skew_seconds = std::chrono::duration<double>(*date - e.now).count();
    }
  }
  f.imds_throttled = f.imds && f.imds->http_status == 429;
  return f;
}

class FindingList {
 public:
  void add(std::string id, Severity severity, std::string source, std::string message,
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

void probe_findings(const Evidence& e, const Facts& f, FindingList& out) {
  for (const auto& r : e.cycle.results) {
    if (r.outcome == Outcome::ok) continue;
    bool core = r.target == Target::wireserver_status || r.target == Target::imds_instance;
    Severity severity = (core && unreachable(&r)) ? Severity::critical : Severity::warning;
    // Only GPA 1.0.47 behind its redirect serves it: 404 elsewhere is the normal answer.
    if (r.target == Target::gpa_aggregated_status) severity = Severity::ok;
    out.add(std::string(to_string(r.target)) + "_" + to_string(r.outcome), severity,
            to_string(r.target), r.error,
            {{"endpoint", r.endpoint}, {"http_status", r.http_status}, {"via_gpa", r.via_gpa}});
  }
  if (const auto& s = e.cycle.status) {
    out.add("secure_channel_state", Severity::ok, "wireserver_status",
            std::string("secure channel ") + (s->enabled ? "enabled" : "disabled") +
                " (WireServer " + to_string(s->wireserver) + ", IMDS " + to_string(s->imds) +
                ", HostGA " + to_string(f.hostga_mode) + "), server keyGuid " +
                (s->key_guid.empty() ? "none" : s->key_guid) + ", keyIncarnationId " +
                (s->key_incarnation_id ? std::to_string(*s->key_incarnation_id) : "none"),
            *s);
    if (f.era.hostga_mode_from_hostga_item && s->enabled)
      out.add("hostga_mode_from_item", Severity::ok, "wireserver_status",
              "GPA " + f.gpa->agent_version +
                  " takes HostGAPlugin's mode from the v2 hostga rule item (" +
                  (s->hostga_item_mode ? to_string(*s->hostga_item_mode) : "absent: disabled") +
                  "); from 1.0.28 GPA follows WireServer's mode");
    else if (s->hostga_item_ignored)
      out.add("hostga_rule_item_ignored", Severity::ok, "wireserver_status",
              "the v2 body's hostga rule item differs from WireServer's; GPA (1.0.28 on) ignores "
              "it and HostGAPlugin follows WireServer's mode");
  }
  if (e.cycle.aggregated_status && f.aggregated_ignored.empty())
    out.add("gpa_aggregated_status", Severity::ok, "gpa_aggregated_status",
            "GPA served its in-memory status (GET /gpa-aggregated-status); it is used instead of "
            "status.json");
  else if (e.cycle.aggregated_status)
    out.add("gpa_aggregated_status_ignored", Severity::warning, "gpa_aggregated_status",
            "GPA's in-memory status (GET /gpa-aggregated-status) is not used: " +
                f.aggregated_ignored + "; the verdict follows the other evidence");
}

void local_findings(const Evidence& e, const Facts& f, const DiagnosisSettings& settings,
                    FindingList& out) {
  const auto& keys = e.keys;
  if (keys.state == ReadState::missing) {
    out.add("key_folder_missing", Severity::warning, "key_folder",
            "key folder " + keys.path + " does not exist");
  } else if (keys.state != ReadState::ok) {
    out.add("key_folder_unreadable", Severity::unknown, "key_folder",
            "cannot list the key folder: " + keys.error, {{"state", to_string(keys.state)}});
  } else {
    out.add("key_folder_listing", Severity::ok, "key_folder",
            "key folder lists " + std::to_string(f.key_guids.size()) + " key file(s)",
            {{"key_guids", f.key_guids}});
    for (const auto& entry : keys.entries)
      if (entry.is_symlink)
        out.add("key_folder_symlink", Severity::warning, "key_folder",
                "the key folder holds a symbolic link '" + entry.name +
                    "'; it is listed, never followed, and never counts as a key");
  }
  if (!f.server_guid.empty() && f.keys_readable && !f.server_key_on_disk)
    out.add("key_file_missing", Severity::warning, "key_folder",
            "no key file for the server's keyGuid " + f.server_guid +
                (f.other_keys ? " (the folder holds other guids)" : ""));

  // f.gpa is the status in use: the aggregated status may have named the version and then been
  // set aside (stale or contradicted), with no status.json to stand in.
  if (f.gpa_version && f.gpa)
    out.add("gpa_version", Severity::ok, "status_file",
            "GPA version " + f.gpa->agent_version +
                (f.era_logs_refusal_only
                     ? ": a refused acquire is only logged, never written to keyLatchStatus"
                     : ""));
  else if (f.gpa)
    out.add("gpa_version_unknown", Severity::warning, "status_file",
            "GPA's version '" + f.gpa->agent_version +
                "' cannot be read: no era-specific inference is made");
  if (f.gpa && f.gpa->states_key_guid_zero)
    out.add("gpa_holds_no_key", Severity::ok, "status_file",
            "states.keyGuid is the all-zero GUID: GPA (1.0.13-1.0.17) holds no key");
  if (f.inferred_refusal)
    out.add("acquire_refused_inferred", Severity::warning, "status_file",
            "GPA " + f.gpa->agent_version + " still says '" + f.gpa->key_latch_message + "' " +
                std::to_string(static_cast<long long>(*f.uptime)) +
                " s after boot, with the channel enabled and server keyGuid " + f.server_guid +
                ": this GPA only logs a refused acquire, so the host has refused it every poll");
  else if (f.era_logs_refusal_only && f.latch_message == KeyLatchMessage::started && !f.uptime)
    out.add("uptime_unreadable", Severity::warning, "uptime",
            "cannot tell how long GPA has polled (" + e.uptime_error +
                "), so a stuck 'started' message is not read as a refused acquire");
  if (f.in_boot_grace)
    out.add("early_boot", Severity::ok, "uptime",
            "the VM booted " + std::to_string(static_cast<long long>(*f.uptime)) +
                " s ago (grace " +
                std::to_string(static_cast<long long>(settings.boot_grace_seconds)) +
                " s): GPA may still be starting, so absence is not a fault yet");
  if (f.method_not_allowed)
    out.add("method_not_allowed", Severity::warning, "fabric",
            "a probe's GET was answered 405 Method Not Allowed: no GPA release refuses a GET (its "
            "method allow-list admits it), so something else in the path answered; this says "
            "nothing about GPA's rules or the key");
  out.add("gpa_requests", Severity::ok, "fabric", probes::describe_requests(e.gpa_era),
          {{"provision_effect", to_string(e.gpa_era.provision_effect)},
           {"provision_sent", !f.provision_withheld && f.provision != nullptr}});
  if (f.status_torn)
    out.add("status_file_torn", Severity::ok, "status_file",
            "status.json was cut short on every read (" + e.status_file.error +
                "): GPA up to 1.0.23 rewrites it in place; it is alive and writing, and this "
                "read is not evidence");
  if (f.rule_item_rejected)
    out.add("status_rule_item_without_id", Severity::unknown, "wireserver_status",
            "WireServer's status has rule item(s) without id (" + e.cycle.status->items_without_id +
                "): GPA " + (f.era.version ? "of this version" : "from 1.0.15 on") +
                " rejects the whole body, so it cannot use it either");
  else if (e.cycle.status && !e.cycle.status->items_without_id.empty())
    out.add("status_rule_item_without_id", Severity::ok, "wireserver_status",
            "rule item(s) without id (" + e.cycle.status->items_without_id + "): GPA " +
                (f.gpa ? f.gpa->agent_version : std::string()) +
                " has no such field and accepts the body");

  const auto& sf = e.status_file;
  if (!f.gpa_status_from_endpoint && sf.state == ReadState::missing) {
    out.add("status_file_missing", Severity::warning, "status_file", "GPA status file missing");
  } else if (!f.gpa) {
    out.add("status_file_unreadable", Severity::unknown, "status_file",
            "cannot read GPA's status file: " + sf.error, {{"state", to_string(sf.state)}});
  } else {
    const auto& s = *f.gpa;
    if (!f.status_file_fresh && sf.age_seconds < 0)
      out.add("status_file_from_the_future", Severity::warning, "status_file",
              "GPA's status file is dated " +
                  std::to_string(static_cast<long long>(-sf.age_seconds)) +
                  " s ahead of the local clock: did the clock jump back?");
    else if (!f.status_file_fresh)
      out.add("status_file_stale", Severity::warning, "status_file",
              "GPA's status file is " + std::to_string(static_cast<long long>(sf.age_seconds)) +
                  " s old (stale after " +
                  std::to_string(static_cast<long long>(f.stale_after_seconds)) +
                  " s): GPA may not be running");
    out.add(std::string("key_latch_") + to_string(s.key_latch_class),
            s.key_latch_class == KeyLatchMessage::ready ||
                    s.key_latch_class == KeyLatchMessage::disabled ||
                    s.key_latch_class == KeyLatchMessage::key_status_received
                ? Severity::ok
                : Severity::warning,
            "status_file", "keyLatchStatus: " + s.key_latch_message,
            {{"status", s.key_latch_status},
             {"gpa_key_guid",
              f.gpa_guid.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.gpa_guid)}});
    if (f.ebpf_not_running)
      out.add("ebpf_not_running", Severity::critical, "status_file",
              "ebpfProgramStatus is " + s.ebpf_status + ": " + s.ebpf_message);
    if (s.unauthorized_count > 0)
      out.add("gpa_saw_401", Severity::warning, "status_file",
              "GPA's connection summary counts " + std::to_string(s.unauthorized_count) +
                  " response(s) 401 Unauthorized");
  }
  if (!f.gpa_installed)
    out.add("gpa_not_found", Severity::warning, "gpa_presence",
            "no trace of the Guest Proxy Agent: no unit file, binary, process, status file or "
            "listener");
  // GPA answers finished:true to a request without x-ms-azure-time-tick (latchwatch never
  // sends one: proxy_server.rs compares finished_time_tick >= 0), so only errorMessage informs.
  if (f.provision && f.provision->outcome == Outcome::ok && e.cycle.provision &&
      (!e.cycle.provision->finished || !trim(e.cycle.provision->error_message).empty()))
    out.add("gpa_not_provisioned", Severity::warning, "gpa_provision",
            "GPA reports modules not ready: " + trim(e.cycle.provision->error_message));
  if (!e.smbios_error.empty())
    out.add("smbios_unreadable", Severity::warning, "smbios", e.smbios_error);
  if (e.cache.state == CacheState::corrupt || e.cache.state == CacheState::unreadable)
    out.add("identity_cache_unusable", Severity::warning, "identity_cache",
            "identity cache ignored: " + e.cache.error);
  if (f.upstream_401 > 0)
    out.add("fabric_unauthorized", Severity::warning, "fabric",
            std::to_string(f.upstream_401) + " fabric probe(s) answered 401 Unauthorized (" +
                std::to_string(f.upstream_401_via_gpa) + " through GPA)");
  if (f.skew_seconds && std::fabs(*f.skew_seconds) > settings.clock_skew_threshold_seconds)
    out.add("clock_skew", Severity::warning, "fabric",
            "the fabric's clock is " + std::to_string(static_cast<long long>(*f.skew_seconds)) +
                " s from this VM's",
            {{"skew_seconds", *f.skew_seconds}});
  if (!e.running_as_root && f.ws_unreachable)
    out.add("probes_not_root", Severity::unknown, "wireserver_status",
            "latchwatch runs unprivileged: the VM agent's firewall rule (WALinuxAgent's; the "
            "Windows guest agent's) drops unprivileged connections to WireServer, so "
            "'unreachable' may mean 'blocked locally'. Run as root (on Windows as an "
            "administrator or the LocalSystem service).");
}

struct Choice {
  VerdictCode code;
  std::string detail;
};

/// The rules, in order. The first that holds is the verdict.
Choice choose_verdict(const Evidence& e, const Facts& f, const DiagnosisSettings& settings) {
  using V = VerdictCode;
  const bool enabled_or_401 = (f.status_known && f.enabled) || (!f.status_known && f.upstream_401);
  const bool status_file_unusable = !f.status_file_ok;

  if (enabled_or_401 && !f.gpa_installed)
    return {V::gpa_not_installed, "no unit file, binary, process, status file or listener"};
  if (enabled_or_401 && f.gpa_listener_down && (status_file_unusable || !f.status_file_fresh) &&
      f.in_boot_grace)
    return {V::latching_in_progress, "early boot: GPA is not answering yet"};
  // GPA is down when its status file is gone or stale; one that is there but unusable (too
  // large, unreadable, malformed) is no evidence either way, and the rules below say `unknown`.
  const bool status_file_gone_or_stale =
      (status_file_unusable && e.status_file.state == ReadState::missing) ||
      (!status_file_unusable && !f.status_file_fresh);
  if (enabled_or_401 && f.gpa_listener_down && status_file_gone_or_stale)
    return {V::gpa_down,
            std::string(f.provision ? "GPA's listener does not answer" : "no GPA process runs") +
                " and its status file is " +
                std::string(status_file_unusable ? "missing" : "stale")};
  if (enabled_or_401 && f.status_file_fresh && f.ebpf_not_running)
    return {V::redirect_failure, "ebpfProgramStatus is not RUNNING"};
  if (f.ws_unreachable) {
    if (!e.running_as_root && f.ws_status->outcome == Outcome::timeout)
      return {V::unknown, "WireServer timed out while running as non-root: blocked locally?"};
    return {V::wireserver_unreachable, f.ws_status->error};
  }
  if (f.imds_unreachable) return {V::imds_unreachable, f.imds->error};
  if (f.status_known && !f.enabled) return {V::secure_channel_disabled, ""};
  if (f.rule_item_rejected)
    return {V::unknown, "WireServer's status has a rule item without id, which GPA rejects"};
  if (!f.status_known)
    return {V::unknown, "the secure-channel status could not be read: " +
                            (f.ws_status ? f.ws_status->error : std::string("not probed"))};

  // From here: the secure channel is enabled and its status was read.
  if (f.status_file_fresh && f.latch_message == KeyLatchMessage::store_unwritable)
    return {V::key_store_unwritable, "GPA cannot save or check its key file"};
  if (f.server_guid.empty()) return {V::latching_in_progress, "the host has latched no key yet"};
  if (!f.keys_readable) return {V::unknown, "the key folder could not be listed: " + e.keys.error};

  const bool gpa_holds_other = !f.gpa_guid.empty() && f.gpa_guid != f.server_guid;
  const bool incarnation_ahead =
      f.server_incarnation && f.gpa_incarnation && *f.server_incarnation > *f.gpa_incarnation;
  if (gpa_holds_other || incarnation_ahead)
    return {V::reset_pending, "the host's key " + f.server_guid + " is newer than GPA's " +
                                  (f.gpa_guid.empty() ? std::string("(none)") : f.gpa_guid)};

  if (!f.server_key_on_disk) {
    if (!f.gpa_guid.empty())  // M = G but no file: running from memory
      return {V::key_loss_latent, "GPA holds key " + f.server_guid + " in memory only"};
    if (status_file_unusable && f.upstream_401 == 0)
      return {V::unknown, "no key file, and GPA's status file could not be read to tell why"};
    const bool network_side = f.latch_message == KeyLatchMessage::acquire_network ||
                              f.latch_message == KeyLatchMessage::acquire_host_error ||
                              f.latch_message == KeyLatchMessage::status_failed;
    const bool refused = f.explicit_refusal || f.inferred_refusal;
    const bool corroborated =
        refused || (!network_side && (f.upstream_401 > 0 || f.status_file_401 > 0));
    // Early boot: no key yet and 401s are normal; only GPA's own explicit refusal counts.
    if (f.in_boot_grace && !f.explicit_refusal)
      return {V::latching_in_progress, "early boot: no key file yet"};
    if (!corroborated)
      return {V::latching_in_progress, network_side
                                           ? "GPA cannot reach WireServer to acquire the key yet"
                                           : "no key file yet, and nothing has failed"};
    if (f.other_keys)
      return {V::key_mismatch, "the key folder holds other guids: this disk came from another VM"};
    return {V::key_lost, "no key file for " + f.server_guid + " and the host refuses it again"};
  }

  // G ∈ L.
  // The file is there but GPA holds no key and the host refused the acquire: GPA could not load
  // the file (unreadable or unparsable) and asked again. A key loss, not an unknown.
  if (f.gpa_alive && f.status_file_ok && f.gpa_guid.empty() &&
      (f.explicit_refusal || (f.inferred_refusal && !f.in_boot_grace)))
    return {V::key_lost, "the key file for " + f.server_guid +
                             " is present but GPA cannot use it, and the host refuses the key "
                             "again"};
  if (f.status_file_fresh && f.gpa_guid == f.server_guid &&
      (f.upstream_401_via_gpa > 0 || (f.upstream_401 > 0 && f.status_file_401 > 0)))
    return {V::key_suspect_mismatch,
            "GPA signs with " + f.server_guid + " yet the fabric answers 401"};
  if (f.upstream_401 > 0)
    return {V::unknown,
            "the fabric answers 401 while the key is on disk; GPA's status does not "
            "confirm that it signs with it"};
  if (f.denied_by_rules) return {V::access_denied_by_rules, ""};
  if (f.imds_throttled) return {V::imds_throttled, ""};
  if (f.skew_seconds && std::fabs(*f.skew_seconds) > settings.clock_skew_threshold_seconds)
    return {V::clock_skew, ""};
  if (status_file_unusable || !f.status_file_fresh)
    return {V::unknown,
            "GPA's status file is missing, unreadable or stale, so GPA's key "
            "cannot be confirmed"};
  if (f.gpa_guid.empty())
    return {V::latching_in_progress, "the key file is on disk; GPA has not loaded it yet"};
  return {V::healthy, ""};
}

/// The fields IMDS compute, the cache and the report's identity share (resource id and this
/// hardware's SMBIOS UUID aside).
void copy_vm_fields(const VmIdentity& from, Identity& to) {
  const std::string resource_id = to.resource_id, smbios_uuid = to.smbios_uuid;
  static_cast<VmIdentity&>(to) = from;
  to.resource_id = resource_id;
  to.smbios_uuid = smbios_uuid;
}

/// Identity fields dropped by their character-class check (real-platform.md §3).
void rejected_field_findings(const std::vector<probes::RejectedField>& rejected, const char* id,
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

Identity resolve_identity(const Evidence& e, FindingList& findings) {
  Identity id;
  id.smbios_uuid = e.smbios_uuid;
  const auto& cache = e.cache.identity;
  rejected_field_findings(e.cache.rejected, "identity_cache_field_rejected", "identity_cache",
                          "the identity cache's", findings);
  if (e.cycle.imds) {
    const auto& c = *e.cycle.imds;
    id.source = "imds";
    rejected_field_findings(c.rejected, "imds_identity_field_rejected", "imds_instance", "IMDS's",
                            findings);
    // A rejected resourceId is not rebuilt from the other fields: the placeholder form stands.
    id.resource_id = c.resource_id.empty() && !was_rejected(c.rejected, "resourceId")
                         ? derive_resource_id(c.subscription_id, c.resource_group_name, c.name,
                                              c.vm_scale_set_name)
                         : c.resource_id;
    copy_vm_fields(c, id);
    id.cloud = c.az_environment;
    if (cache && !cache->vm_id.empty() && !same_vm_id(cache->vm_id, c.vm_id))
      findings.add("disk_from_other_vm", Severity::warning, "identity_cache",
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
      findings.add("disk_moved_to_other_vm", Severity::warning, "identity_cache",
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
      findings.add("key_incarnation_at_limit", Severity::critical, "remedy",
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
