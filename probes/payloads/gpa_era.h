#pragma once
/// What differs between GPA releases, in one table (docs/gpa-eras.md): what a request to GPA
/// does to it, how it writes status.json, how it reads WireServer's rule items. Every fact was
/// read from Azure/GuestProxyAgent at the tags named; tests/fixtures/gpa-eras/README.md cites the
/// files.
///
/// An unknown version (no status.json, an unparsable `version`) gets the answers that are safe
/// on every release: the requests it may send are those harmless everywhere, and the validation
/// is the strictest any release applies.

#include <optional>
#include <string>

#include "probes/payloads/gpa_version.h"

namespace latchwatch::probes {

/// What one `GET /provision` with a `Metadata` header does to the GPA that receives it
/// (besides the Info lines every request through GPA writes).
enum class ProvisionEffect {
  /// ≤ 1.0.20: no such route. GPA looks the caller up in its redirect's audit map, finds no
  /// entry (the request was not redirected), writes a warning *event* (telemetry, uploaded to the
  /// host) and a `421 Misdirected Request` entry in proxyConnectionSummary
  /// (proxy/proxy_listener.rs handle_connection, `lookup_audit` failure).
  misdirected_warning_event,
  /// 1.0.21: wakes the key keeper (key_keeper_wrapper::notify); with the channel enabled it logs a
  /// warning and restarts its whole poll sleep, so requests closer than the poll interval
  /// postpone GPA's polling indefinitely (key_keeper.rs loop_poll).
  postpones_key_poll,
  /// 1.0.22 – 1.0.25: wakes the key keeper; with the channel `disabled` or `Unknown` it resets
  /// GPA's provision state to `finished: false` (provision::key_latch_ready_state_reset) and,
  /// since the state does not change afterwards, it stays so until GPA restarts; enabled, it
  /// logs a warning line.
  resets_provision_state,
  /// 1.0.26 on: the key keeper is woken only by `x-ms-azure-notify` (never sent). Without the
  /// time-tick header GPA logs a warning line ("No 'x-ms-azure-time_tick' header found"); with it
  /// (value 0) the request has no effect.
  none_with_time_tick,
};
const char* to_string(ProvisionEffect e);

struct GpaEra {
  std::optional<GpaVersion> version;  ///< nullopt: unknown
  ProvisionEffect provision_effect = ProvisionEffect::misdirected_warning_event;
  /// The header GPA reads the query time tick from (sent with "0", which changes nothing in the
  /// answer): `x-ms-azure-time_tick` 1.0.26 – 1.0.36, `x-ms-azure-time-tick` from 1.0.37
  /// (common/constants.rs TIME_TICK_HEADER). Empty before 1.0.26.
  std::string time_tick_header;
  /// latchwatch sends GET /provision: only where it has no effect (known version ≥ 1.0.26).
  bool send_provision = false;
  /// GET /gpa-aggregated-status (1.0.47, elevated callers; through the redirect): sent when the
  /// version is unknown (older GPAs forward it to WireServer, which answers 404) or ≥ 1.0.47.
  bool send_aggregated_status = true;
  /// How often GPA rewrites status.json: 300 s in 1.0.13.x, 60 s from 1.0.14
  /// (proxy_agent_status.rs / monitor.rs interval). Unknown: 300 (the slowest).
  double status_rewrite_seconds = 300;
  /// ≤ 1.0.23 truncate and rewrite status.json in place (a reader can see half a file); from
  /// 1.0.24 GPA writes a temporary file and renames it. Unknown: in place.
  bool status_rewritten_in_place = true;
  /// 1.0.26 – 1.0.27 take HostGAPlugin's mode (and the HostGA part of the state string) from the
  /// v2 `hostga` rule item; from 1.0.28 it follows WireServer's (key.rs get_hostga_mode).
  bool hostga_mode_from_hostga_item = false;
  /// `states.hostGARuleId` is the `hostga` item's id 1.0.26 – 1.0.38 and WireServer's from 1.0.39
  /// (key.rs get_hostga_rules).
  bool hostga_rule_id_from_wireserver_item = true;
  /// `AuthorizationItem.id` is a required String from 1.0.15 (1.0.13.1 and 1.0.14 have no such
  /// field): a rule item without it makes GPA reject the whole status body. Unknown: required.
  bool rule_item_id_required = true;
  /// ≥ 1.0.26: a HostGA part in secureChannelState.
  bool has_hostga = true;
};

/// The era of `version` (nullopt: unknown, the safe answers above).
GpaEra gpa_era(const std::optional<GpaVersion>& version);

/// One line for people: what latchwatch sends to this GPA and why.
std::string describe_requests(const GpaEra& era);

}  // namespace latchwatch::probes
