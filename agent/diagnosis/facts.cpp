// The facts the rules look at, derived once from the evidence.
#include "agent/diagnosis/diagnosis_steps.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "probes/base/json_limits.h"
#include "probes/base/utc_time.h"
#include "probes/local/smbios.h"
#include "reporting/report/remedy.h"

namespace latchwatch::diagnosis::detail {
namespace {

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

}  // namespace

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

}  // namespace latchwatch::diagnosis::detail
