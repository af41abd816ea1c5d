// How each GPA version writes status.json and what it puts in keyLatchStatus, read from
// Azure/GuestProxyAgent at each tag (tests/fixtures/gpa-eras/README.md cites the files):
//   proxy_agent_shared/src/proxy_agent_aggregate_status.rs  (the document's structs)
//   proxy_agent/src/key_keeper.rs                           (messages, states)
//   proxy_agent/src/key_keeper/key.rs                       (secureChannelState text, Display)
//   proxy_agent/src/proxy_agent_status.rs                   (states from 1.0.25 on)
//   proxy_agent_shared/src/telemetry/span.rs, common/helpers.rs (timed messages)

#include <array>
#include <cstdio>

#include "tests/fabric_sim/scenarios.h"

namespace latchwatch::sim {
namespace {

using json = nlohmann::json;
using Version = std::array<int, 3>;  // 1.0.N: only N varies across the releases in the field

constexpr const char* kReady = "Found key details from local and ready to use.";
constexpr const char* kDisabled = "Customer has not enforce the secure channel state.";
constexpr const char* kAcquire403 =
    "Failed to acquire key details: Key(KeyResponse(\"acquire\", 403))";
constexpr const char* kZeroGuid = "00000000-0000-0000-0000-000000000000";
constexpr const char* kRuleId =
    "/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT."
    "COMPUTE/GALLERIES/GALLERYXX/INVMACCESSCONTROLPROFILES/";

bool parse_version(const std::string& text, Version& out) {
  int a = 0, b = 0, c = 0, d = 0;
  char tail = 0;
  int n = std::sscanf(text.c_str(), "%d.%d.%d.%d%c", &a, &b, &c, &d, &tail);
  if (n == 3) n = std::sscanf(text.c_str(), "%d.%d.%d%c", &a, &b, &c, &tail) == 3 ? 3 : 0;
  if (n != 3 && n != 4) return false;
  if (a != 1 || b != 0 || c < 13 || c > 47) return false;
  out = {a, b, c};
  return true;
}

int patch_of(const Scenario& s) {
  Version v{};
  return parse_version(s.gpa_version, v) ? v[2] : 47;
}

/// 1.0.13.1: helpers::get_task_elapsed_message; 1.0.14 on: write_startup_event, whose
/// ElapsedMessage Display is "<message> - <elapsed ms>".
std::string timed(int patch, const std::string& message) {
  if (patch < 14) return "{\"elapsed\":122, \"task\":\"" + message + "\"}";
  return message + " - 122";
}

std::string started(int patch) {
  return patch <= 20 ? "poll secure channel status thread started."
                     : "poll secure channel status task started.";
}

/// KeyStatus::get_secure_channel_state as stored in states.secureChannelState.
std::string state_text(const Scenario& s, int patch) {
  auto modes = [patch](const char* mode) {
    std::string text = std::string("WireServer ") + mode + " -  IMDS " + mode;
    if (patch >= 26) text += std::string(" - HostGA ") + mode;  // hostga arrives in 1.0.26
    return text;
  };
  switch (s.status_body) {
    case StatusBody::v2_disabled:
      return "disabled";
    case StatusBody::v1_wireserver_and_imds:
      return "wireserverandimds";
    case StatusBody::v2_audit:
      return modes("Audit");
    default:
      return modes("Enforce");
  }
}

/// "Got key status successfully: {KeyStatus}." (1.0.25 … 1.0.46 write it every poll).
std::string key_status_display(const Scenario& s, int patch) {
  const bool v1 = s.status_body == StatusBody::v1_wireserver_and_imds;
  return "Got key status successfully: authorizationScheme: Azure-HMAC-SHA256, "
         "keyDeliveryMethod: http, keyGuid: " +
         (s.server_key_guid ? *s.server_key_guid : std::string("None")) +
         ", secureChannelState: " + state_text(s, patch) + ", version: " + (v1 ? "1.0" : "2.0") +
         ".";
}

json connection_entry(int patch, const char* ip, const char* command, const char* status,
                      int count) {
  json entry{{"userName", "root"},       {"ip", ip},      {"port", 80}, {"processCmdLine", command},
             {"responseStatus", status}, {"count", count}};
  if (patch >= 15) {  // userGroups and processFullPath arrive in 1.0.15
    entry["userGroups"] = json::array({"root"});
    entry["processFullPath"] = "/usr/bin/python3.11";
  }
  return entry;
}

json latch_states(const Scenario& s, int patch) {
  const bool rules =
      s.status_body == StatusBody::v2_enforce || s.status_body == StatusBody::v2_audit;
  // Up to 1.0.33 the state is stored only after the key step succeeds (a refused acquire
  // `continue`s before it, key_keeper.rs): holding no key, an enabled GPA still has its initial
  // UNKNOWN_STATE. From 1.0.34 the state is stored first.
  const bool enabled = s.status_body != StatusBody::v2_disabled;
  json states{{"secureChannelState", patch <= 33 && enabled && !s.states_hold_key
                                         ? std::string("Unknown")
                                         : state_text(s, patch)}};
  if (patch >= 15) {
    states["wireServerRuleId"] =
        rules ? std::string(kRuleId) + "LINUXWIRESERVER/VERSIONS/1.0.0" : "";
    states["imdsRuleId"] = rules ? std::string(kRuleId) + "LINUXIMDS/VERSIONS/1.0.0" : "";
  }
  // hostGARuleId: the hostga item's id 1.0.26 – 1.0.38, WireServer's from 1.0.39 (key.rs
  // get_hostga_rules).
  if (patch >= 26)
    states["hostGARuleId"] =
        rules ? std::string(kRuleId) +
                    (patch >= 39 ? "LINUXWIRESERVER/VERSIONS/1.0.0" : "LINUXHOSTGA/VERSIONS/1.0.0")
              : "";
  if (s.states_hold_key) {
    states["keyGuid"] = s.held_key_guid;
    states["keyIncarnationId"] = std::to_string(s.held_incarnation);
  } else if (patch <= 17) {
    states["keyGuid"] = kZeroGuid;  // Key::empty() until 1.0.18
  }
  return states;
}

}  // namespace

std::optional<Scenario> scenario_for_gpa_version(const Scenario& base, const std::string& version) {
  Version v{};
  if (!parse_version(version, v)) return std::nullopt;
  const int patch = v[2];
  Scenario s = base;
  s.name = base.name + "@" + version;
  s.gpa_version = version;
  s.serve_aggregated_status = patch >= 47;
  const std::string message = base.latch_message;
  if (message.rfind(kReady, 0) == 0) {
    s.latch_message =
        (patch >= 25 && patch <= 46) ? key_status_display(s, patch) : timed(patch, kReady);
  } else if (message.rfind(kDisabled, 0) == 0) {
    s.latch_message = timed(patch, kDisabled);
  } else if (message == kAcquire403 && patch <= 24) {
    // Up to 1.0.24 the refusal is only logged (logger::write_warning): the message stays.
    s.latch_message = started(patch);
  }
  if (s.provision_error.find(message) != std::string::npos && !message.empty())
    s.provision_error = "keyLatchStatus - " + s.latch_message + "\r\n";
  s.secure_channel_state = state_text(s, patch);
  return s;
}

json era_status_file_document(const Scenario& s, SystemTime now, const std::string& timestamp) {
  const int patch = patch_of(s);
  json summary = json::array();
  if (s.ok_connections > 0)
    summary.push_back(connection_entry(patch, "168.63.129.16",
                                       "/usr/bin/python3 -u /usr/sbin/waagent -run-exthandlers",
                                       "200 OK", s.ok_connections));
  if (s.unauthorized_connections > 0)
    summary.push_back(connection_entry(
        patch, "169.254.169.254",
        "curl -H Metadata:true http://169.254.169.254/metadata/instance?api-version=2021-02-01",
        "401 Unauthorized", s.unauthorized_connections));
  auto running = [](const std::string& message) {
    return json{{"status", "RUNNING"}, {"message", message}};
  };
  json agent{
      {"version", s.gpa_version},
      {"status", "SUCCESS"},
      {"monitorStatus", running("proxy_agent_status thread started.")},
      {"keyLatchStatus",
       {{"status", "RUNNING"}, {"message", s.latch_message}, {"states", latch_states(s, patch)}}},
      {"ebpfProgramStatus", {{"status", s.ebpf_status}, {"message", s.ebpf_message}}},
      {"proxyListenerStatus",
       running(timed(patch, "Started proxy listener, ready to accept request"))},
      {"telemetryLoggerStatus", running("Telemetry event logger thread started.")},
      {"proxyConnectionsCount", s.ok_connections + s.unauthorized_connections}};
  json doc{{"timestamp", timestamp},
           {"proxyAgentStatus", std::move(agent)},
           {"proxyConnectionSummary", std::move(summary)}};
  if (patch >= 16) doc["failedAuthenticateSummary"] = json::array();  // arrives in 1.0.16
  (void)now;
  return doc;
}

}  // namespace latchwatch::sim
