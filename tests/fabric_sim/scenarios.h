#pragma once
/// The simulator's scenario table and everything a scenario decides, as plain data and pure
/// functions: what each endpoint answers (`answer`) and which GPA files exist with what content
/// (`write_gpa_files`). No sockets here; those live in fabric_simulator.cpp, the one Beast
/// translation unit, which only moves bytes.

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/fabric_sim/fabric_simulator.h"

namespace latchwatch::sim {

using SystemTime = std::chrono::system_clock::time_point;

/// How a role's port behaves. The port number stays the same in every mode.
enum class PortMode {
  serve,   ///< listening, answers HTTP
  refuse,  ///< bound but not listening: a connect gets a reset, i.e. "connection refused"
  silent,  ///< listening, accepts, never reads or writes (a black hole behind a firewall)
};

/// The body of WireServer's GET /secure-channel/status.
enum class StatusBody {
  v2_enforce,              ///< protocol 2.0, all three rules enforce, key per server_key_*
  v1_wireserver_and_imds,  ///< protocol 1.0, secureChannelState WireserverAndImds
  v2_disabled,             ///< fixtures/gpa/status-v2-disabled.json
  v2_audit,                ///< protocol 2.0, WireServer and IMDS rules audit
  v2_without_enabled,      ///< version "2.0" without secureChannelEnabled: GPA rejects it
  v2_without_scheme,       ///< v2_enforce without authorizationScheme: GPA's serde rejects it
  malformed,               ///< truncated JSON
  oversized,               ///< valid JSON of 2 MiB
};

/// What WireServer's /?comp=versions, HostGAPlugin's /health and IMDS's instance call answer.
enum class Upstream {
  ok,            ///< 200 with the real payload
  unauthorized,  ///< 401, empty body: enforce mode and an unsigned or wrongly signed request
  throttled,     ///< 429 "Too many requests"
  denied,        ///< 403, empty body, Connection: close: GPA's own allow-list said no
};

/// One scenario: a delta from `healthy`. Every field has healthy's value by default.
struct Scenario {
  std::string name;
  std::string summary;  ///< one line for README and --list

  // Ports.
  PortMode wireserver_port = PortMode::serve;
  PortMode hostga_port = PortMode::serve;
  PortMode imds_port = PortMode::serve;
  PortMode gpa_port = PortMode::serve;

  // WireServer GET /secure-channel/status.
  StatusBody status_body = StatusBody::v2_enforce;
  std::optional<std::string> server_key_guid = std::string(kPlantedKeyGuid);
  std::optional<int> server_incarnation = kKeyIncarnationId;
  bool drip_status = false;  ///< written one byte per drip interval

  // The plain reachability calls.
  Upstream versions = Upstream::ok;
  Upstream health = Upstream::ok;
  Upstream imds_instance = Upstream::ok;
  bool via_gpa = true;  ///< responses carry x-ms-azure-host-authorization
  std::chrono::seconds date_skew{0};
  bool scale_set = false;  ///< IMDS names a scale-set instance
  bool flexible = false;   ///< IMDS names a Flexible scale-set member (a VM resource)
  /// Merged into IMDS compute (RFC 7396): the real fields with other values (hostile ones).
  nlohmann::json compute_patch = nullptr;
  std::chrono::milliseconds imds_delay{0};  ///< IMDS answers this late (benchmarks)

  // GPA GET /provision.
  bool provision_finished = true;
  std::string provision_error;

  // Files on the "disk".
  bool gpa_installed = true;  ///< unit file, binary, status.json and the keys folder exist
  std::vector<std::string> key_files{kPlantedKeyGuid};  ///< guids with a <guid>.key file
  bool provisioned_tag = true;
  bool status_tag = true;

  // status.json.
  std::string latch_message = "Found key details from local and ready to use. - 122";
  std::string secure_channel_state = "WireServer Enforce -  IMDS Enforce - HostGA Enforce";
  bool states_hold_key = true;  ///< states.keyGuid / keyIncarnationId present (GPA holds a key)
  bool states_hold_incarnation = true;          ///< false: states.keyIncarnationId absent (v1 host)
  std::string held_key_guid = kPlantedKeyGuid;  ///< the key GPA holds, when it holds one
  int held_incarnation = kKeyIncarnationId;
  std::chrono::seconds status_age{0};  ///< how old the timestamp is; > 0 means GPA stopped writing
  std::string ebpf_status = "RUNNING";
  std::string ebpf_message = "Started Redirector with eBPF maps - 143";
  int ok_connections = 42;           ///< proxyConnectionSummary "200 OK" count (0: no entry)
  int unauthorized_connections = 0;  ///< proxyConnectionSummary "401 Unauthorized" count

  // GPA's version ("" = the current shape, status.json only). Set through a scenario name
  // "NAME@VERSION" (e.g. "key_lost@1.0.20"): status.json, its messages and the in-memory status
  // endpoint then follow that GPA tag (gpa_eras.cpp; tests/fixtures/gpa-eras/README.md).
  std::string gpa_version;
  bool serve_aggregated_status = false;  ///< GET /gpa-aggregated-status on WireServer (1.0.47)
  std::chrono::seconds uptime{3600};     ///< what <gpa_dir>/uptime says (seconds since boot)

  PortMode port_mode(Role role) const;
};

/// `base` as GPA `version` writes and answers it (gpa_eras.cpp): nullopt for a version that is
/// not a GPA release tag between 1.0.13 and 1.0.47.
std::optional<Scenario> scenario_for_gpa_version(const Scenario& base, const std::string& version);

/// Every scenario, in the order of FabricSimulator::scenario_names().
const std::vector<Scenario>& scenario_table();
/// nullptr for an unknown name. "NAME@VERSION" is NAME as GPA VERSION behaves (1.0.13 … 1.0.47).
const Scenario* find_scenario(const std::string& name);

/// What one request does to a GPA of `scenario`'s version (plain scenarios: the newest), read
/// from Azure/GuestProxyAgent at each tag (docs/gpa-eras.md):
///  - to GPA's listener, any path but /provision, and /provision up to 1.0.20 (no such route):
///    no audit entry for the caller, a warning event and a 421 (proxy_listener.rs /
///    proxy_server.rs `lookup_audit` failure): "warning_event";
///  - /provision without Metadata (1.0.21 on): 400 and a warning line: "log_warning";
///  - /provision with Metadata, 1.0.21: the key keeper is woken (and, enabled, restarts its poll
///    wait): "key_keeper_woken";
///  - 1.0.22 – 1.0.25: woken; with the channel disabled or Unknown its provision state is reset
///    to not finished until restart (provision::key_latch_ready_state_reset): "provision_reset",
///    else "key_keeper_woken";
///  - 1.0.26 on: woken only with `x-ms-azure-notify` while unfinished ("key_keeper_woken");
///    without the era's time-tick header (`x-ms-azure-time_tick` to 1.0.36,
///    `x-ms-azure-time-tick` from 1.0.37) a warning line ("log_warning"); else nothing.
/// Requests to WireServer, HostGAPlugin and IMDS are ordinary traffic: "".
std::string apply_gpa_effect(const Scenario& scenario, const LoggedRequest& request,
                             GpaState& state);

/// nlohmann/json form of GpaState.
void to_json(nlohmann::json& j, const GpaState& state);

/// A canned HTTP answer. Date and Server are already among the headers; Content-Length is not.
struct Reply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool close = false;  ///< send Connection: close and end the connection after writing
  bool drip = false;   ///< write it one byte per drip interval
  std::chrono::milliseconds delay{0};  ///< wait this long before answering at all
};

/// What a fabric role (not control) answers to `request` in `scenario` at time `now`.
Reply answer(const Scenario& scenario, const LoggedRequest& request, SystemTime now,
             const GpaState& gpa_state = {});

/// {"role","method","target","headers"}: one line of the request log.
void to_json(nlohmann::json& j, const LoggedRequest& request);

/// RFC 1123, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(SystemTime t);
/// GPA's status.json timestamp: UTC, milliseconds, no zone ("2026-07-22T10:15:42.123").
std::string status_timestamp(SystemTime t);

nlohmann::json status_file_document(const Scenario& scenario, SystemTime now);
/// status.json as GPA `scenario.gpa_version` writes it (gpa_eras.cpp).
nlohmann::json era_status_file_document(const Scenario& scenario, SystemTime now,
                                        const std::string& timestamp);

/// Where the GPA files of one simulated VM live.
struct GpaPaths {
  std::string root;
  std::string key_dir;
  std::string status_file;
  std::string unit_file;
  std::string binary;
  std::string smbios_file;
  std::string uptime_file;  ///< "/proc/uptime" of the simulated VM

  static GpaPaths under(const std::string& root);
};

/// Creates `paths.root` if needed and makes the files match `scenario`: each written atomically
/// (temp file + rename) with GPA's modes, files the scenario does not have removed. Throws
/// std::runtime_error (naming the path) when something cannot be written.
void write_gpa_files(const Scenario& scenario, const GpaPaths& paths, SystemTime now);
/// Rewrites only status.json when the scenario has one, as a running GPA does every 60 s.
void refresh_status_file(const Scenario& scenario, const GpaPaths& paths, SystemTime now);

}  // namespace latchwatch::sim
