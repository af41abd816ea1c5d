// The scenario table and the payloads each endpoint answers. Payload shapes follow the domain
// brief and the fixtures in tests/fixtures (gpa/ and peers/); they are embedded here so the
// simulator needs no files at run time.

#include "tests/fabric_sim/scenarios.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

namespace latchwatch::sim {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

constexpr const char* kKeyLostMessage =
    "Failed to acquire key details: Key(KeyResponse(\"acquire\", 403))";
constexpr const char* kKeyStoreMessage =
    "Failed to save key details to file: Permission denied (os error 13)";
constexpr const char* kRuleId =
    "/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT."
    "COMPUTE/GALLERIES/GALLERYXX/INVMACCESSCONTROLPROFILES/";

// tests/fixtures/peers/WALinuxAgent_version_info.xml, verbatim.
constexpr const char* kVersionsXml = R"(<?xml version="1.0" encoding="utf-8"?>
<Versions>
  <Preferred>
    <Version>2012-11-30</Version>
  </Preferred>
  <Supported>
    <Version>2010-12-15</Version>
    <Version>2010-28-10</Version>
  </Supported>
</Versions>)";

// tests/fixtures/gpa/status-v2-disabled.json, verbatim.
constexpr const char* kStatusV2Disabled =
    R"({"authorizationRules":null,"authorizationScheme":"Azure-HMAC-SHA256",)"
    R"("keyDeliveryMethod":"http","keyGuid":null,"keyIncarnationId":null,)"
    R"("requiredClaimsHeaderPairs":[],"secureChannelEnabled":false,"version":"2.0"})";

// GPA reads this much and no more: the body stops mid-document (domain brief §2: GPA rejects it).
constexpr const char* kStatusMalformed = R"({"secureChannelEnabled": true, "keyGuid": )";

constexpr std::size_t kOversizedBytes = 2 * 1024 * 1024;

/// Makes the unreachable-key scenarios: the host refuses to hand the latched key out again, so
/// GPA holds none, /provision is unfinished and every signed call upstream gets 401.
void lose_key(Scenario& s, const std::string& message) {
  s.key_files.clear();
  s.latch_message = message;
  s.states_hold_key = false;
  s.provision_finished = false;
  s.provision_error = "keyLatchStatus - " + message + "\r\n";
  s.versions = s.health = s.imds_instance = Upstream::unauthorized;
}

/// Upstream answers 401 to requests that bypass GPA (it is down, absent, or not redirecting).
void bypass_gpa(Scenario& s) {
  s.versions = s.health = s.imds_instance = Upstream::unauthorized;
  s.via_gpa = false;
}

std::vector<Scenario> build_table() {
  std::vector<Scenario> table;
  auto add = [&table](const char* name, const char* summary,
                      const std::function<void(Scenario&)>& change) {
    Scenario s;
    s.name = name;
    s.summary = summary;
    change(s);
    table.push_back(std::move(s));
  };

  add("healthy", "v2 enforce, key latched, on disk and held by GPA; fabric answers 200",
      [](Scenario&) {});
  add("healthy_v1", "as healthy, status protocol 1.0 (WireserverAndImds)",
      [](Scenario& s) { s.status_body = StatusBody::v1_wireserver_and_imds; });
  add("vmss_healthy", "as healthy, IMDS names scale-set instance ss-latch/3",
      [](Scenario& s) { s.scale_set = true; });
  add("secure_channel_disabled", "v2 disabled; no key, only provisioned.tag; no GPA redirect",
      [](Scenario& s) {
        s.status_body = StatusBody::v2_disabled;
        s.server_key_guid.reset();
        s.server_incarnation.reset();
        s.via_gpa = false;
        s.key_files.clear();
        s.status_tag = false;
        s.latch_message = "Customer has not enforce the secure channel state.";
        s.secure_channel_state = "WireServer Disabled - IMDS Disabled - HostGA Disabled";
        s.states_hold_key = false;
      });
  add("latching_in_progress", "enforce, no key yet (keyGuid null); upstream 401 via GPA",
      [](Scenario& s) {
        lose_key(s, "Key latch is running");
        s.server_key_guid.reset();
        s.server_incarnation.reset();
      });
  add("key_lost", "key file gone, acquire refused 403; upstream 401 via GPA", [](Scenario& s) {
    lose_key(s, kKeyLostMessage);
    s.ok_connections = 0;
    s.unauthorized_connections = 3;
  });
  add("key_mismatch", "as key_lost, but the keys folder holds another VM's key", [](Scenario& s) {
    lose_key(s, kKeyLostMessage);
    s.key_files = {kOtherVmKeyGuid};
    s.ok_connections = 0;
    s.unauthorized_connections = 3;
  });
  add("key_lost_audit",
      "v2 audit, key file gone, acquire refused 403; fabric answers 200 (audit never says 401)",
      [](Scenario& s) {
        s.status_body = StatusBody::v2_audit;
        lose_key(s, kKeyLostMessage);
        s.versions = s.health = s.imds_instance = Upstream::ok;
        s.secure_channel_state = "WireServer Audit -  IMDS Audit - HostGA Audit";
      });
  add("key_unusable",
      "G.key present but GPA cannot load it; acquire refused 403; upstream 401 via GPA",
      [](Scenario& s) {
        lose_key(s, kKeyLostMessage);
        s.key_files = {kPlantedKeyGuid};
        s.ok_connections = 0;
        s.unauthorized_connections = 3;
      });
  add("early_boot", "as gpa_down, 40 s after boot: GPA is not answering yet", [](Scenario& s) {
    s.gpa_port = PortMode::refuse;
    s.status_age = 10min;
    bypass_gpa(s);
    s.uptime = 40s;
  });
  add("key_suspect_mismatch", "key on disk and held, yet upstream answers 401 via GPA",
      [](Scenario& s) {
        s.versions = s.health = s.imds_instance = Upstream::unauthorized;
        s.unauthorized_connections = 5;
      });
  add("key_loss_latent", "key file gone but GPA still holds it in memory; fabric 200",
      [](Scenario& s) { s.key_files.clear(); });
  add("reset_pending", "host reports a new key and incarnation 11; GPA still on 10",
      [](Scenario& s) {
        s.server_key_guid = kResetKeyGuid;
        s.server_incarnation = kResetKeyIncarnationId;
      });
  add("reset_applied",
      "after the owner's reset: new key (incarnation 11) latched, on disk, held; fabric 200",
      [](Scenario& s) {
        s.server_key_guid = kResetKeyGuid;
        s.server_incarnation = kResetKeyIncarnationId;
        s.key_files = {kResetKeyGuid};
        s.held_key_guid = kResetKeyGuid;
        s.held_incarnation = kResetKeyIncarnationId;
      });
  add("gpa_down", "GPA port refused, status.json 10 minutes old; upstream 401, not via GPA",
      [](Scenario& s) {
        s.gpa_port = PortMode::refuse;
        s.status_age = 10min;
        bypass_gpa(s);
      });
  add("gpa_not_installed", "enforce, no key; no GPA files, GPA port refused; upstream 401",
      [](Scenario& s) {
        s.server_key_guid.reset();
        s.server_incarnation.reset();
        s.gpa_installed = false;
        s.gpa_port = PortMode::refuse;
        bypass_gpa(s);
      });
  add("redirect_failure", "eBPF redirector STOPPED in status.json; upstream 401, not via GPA",
      [](Scenario& s) {
        s.ebpf_status = "STOPPED";
        s.ebpf_message = "Failed to start redirector: cgroup2 not mounted";
        bypass_gpa(s);
      });
  add("wireserver_blackholed", "WireServer and HostGAPlugin accept and never answer",
      [](Scenario& s) { s.wireserver_port = s.hostga_port = PortMode::silent; });
  add("wireserver_refused", "WireServer and HostGAPlugin refuse connections",
      [](Scenario& s) { s.wireserver_port = s.hostga_port = PortMode::refuse; });
  add("imds_refused", "IMDS refuses connections",
      [](Scenario& s) { s.imds_port = PortMode::refuse; });
  add("imds_throttled", "IMDS answers 429",
      [](Scenario& s) { s.imds_instance = Upstream::throttled; });
  add("access_denied", "IMDS answers 403, empty body, Connection: close",
      [](Scenario& s) { s.imds_instance = Upstream::denied; });
  add("key_store_unwritable", "GPA cannot save the key; only provisioned.tag; upstream 401",
      [](Scenario& s) {
        lose_key(s, kKeyStoreMessage);
        s.status_tag = false;
      });
  add("clock_skew", "as healthy, every Date header one hour ahead",
      [](Scenario& s) { s.date_skew = 1h; });
  add("status_rejected_by_gpa",
      "as healthy, but the status body is version 2.0 without secureChannelEnabled (GPA rejects)",
      [](Scenario& s) { s.status_body = StatusBody::v2_without_enabled; });
  add("status_missing_gpa_field",
      "as healthy, but the status body has no authorizationScheme (GPA's serde rejects it)",
      [](Scenario& s) { s.status_body = StatusBody::v2_without_scheme; });
  add("malformed_json", "as healthy, the status body is truncated JSON",
      [](Scenario& s) { s.status_body = StatusBody::malformed; });
  add("oversized_body", "as healthy, the status body is 2 MiB of valid JSON",
      [](Scenario& s) { s.status_body = StatusBody::oversized; });
  add("slow_imds", "as healthy, IMDS answers after 200 ms (cycle time vs the slowest probe)",
      [](Scenario& s) { s.imds_delay = 200ms; });
  add("slow_drip", "as healthy, the status response trickles one byte per drip interval",
      [](Scenario& s) { s.drip_status = true; });
  // The owner's reset per kind of resource (real-platform.md §1), with the incarnation known
  // (v2 status, GPA's states) and unknown (v1 status, no incarnation anywhere).
  auto latent = [](Scenario& s) { s.key_files.clear(); };
  auto no_incarnation = [](Scenario& s) {
    s.status_body = StatusBody::v1_wireserver_and_imds;
    s.server_incarnation.reset();
    s.states_hold_incarnation = false;
  };
  add("key_loss_latent_no_incarnation", "as key_loss_latent, status v1: no incarnation anywhere",
      [=](Scenario& s) {
        latent(s);
        no_incarnation(s);
      });
  add("vmss_key_loss_latent", "as key_loss_latent, IMDS names Uniform instance ss-latch/3",
      [=](Scenario& s) {
        latent(s);
        s.scale_set = true;
      });
  add("vmss_key_loss_latent_no_incarnation", "as vmss_key_loss_latent, no incarnation anywhere",
      [=](Scenario& s) {
        latent(s);
        no_incarnation(s);
        s.scale_set = true;
      });
  add("flex_key_loss_latent", "as key_loss_latent, IMDS names Flexible member ss-flex_4b2a1c3d",
      [=](Scenario& s) {
        latent(s);
        s.flexible = true;
      });
  add("flex_key_loss_latent_no_incarnation", "as flex_key_loss_latent, no incarnation anywhere",
      [=](Scenario& s) {
        latent(s);
        no_incarnation(s);
        s.flexible = true;
      });
  add("hostile_imds_key_loss_latent",
      "as key_loss_latent, IMDS identity fields carry shell syntax, quotes and newlines",
      [=](Scenario& s) {
        latent(s);
        s.compute_patch = {
            {"resourceId", std::string(kResourceId) + "$(touch /tmp/latchwatch-pwned-imds)"},
            {"subscriptionId", std::string(kSubscriptionId) + "\"; touch pwned-sub; \""},
            {"resourceGroupName", "rg-latch'\n    az vm delete --ids x --yes\n"},
            {"name", "vm`touch pwned-name`"},
            {"vmScaleSetName", "ss$(touch pwned-ss)"},
            {"vmId", std::string(kVmId) + "'; touch pwned-vmid; '"},
            {"securityProfile", {{"securityType", "TrustedLaunch\r\n$(id)"}}}};
      });
  return table;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string header_value(const LoggedRequest& request, const std::string& lower_name) {
  auto it = request.headers.find(lower_name);
  return it == request.headers.end() ? std::string() : it->second;
}

json nullable(const std::optional<std::string>& value) {
  return value ? json(*value) : json(nullptr);
}

json nullable(const std::optional<int>& value) { return value ? json(*value) : json(nullptr); }

json v2_enforce_status(const Scenario& s) {
  auto rule = [] { return json{{"defaultAccess", "allow"}, {"mode", "enforce"}, {"id", "sigid"}}; };
  return json{
      {"authorizationScheme", "Azure-HMAC-SHA256"},
      {"keyDeliveryMethod", "http"},
      {"keyGuid", nullable(s.server_key_guid)},
      {"keyIncarnationId", nullable(s.server_incarnation)},
      {"requiredClaimsHeaderPairs", nullptr},
      {"secureChannelEnabled", true},
      {"version", "2.0"},
      {"authorizationRules", {{"imds", rule()}, {"wireserver", rule()}, {"hostga", rule()}}}};
}

json v2_audit_status(const Scenario& s) {
  json body = v2_enforce_status(s);
  for (const char* item : {"imds", "wireserver", "hostga"})
    body["authorizationRules"][item]["mode"] = "audit";
  return body;
}

json v1_status(const Scenario& s) {
  return json{{"authorizationScheme", "Azure-HMAC-SHA256"}, {"keyDeliveryMethod", "http"},
              {"keyGuid", nullable(s.server_key_guid)},     {"requiredClaimsHeaderPairs", nullptr},
              {"secureChannelState", "WireserverAndImds"},  {"version", "1.0"}};
}

std::string status_body(const Scenario& s) {
  switch (s.status_body) {
    case StatusBody::v2_enforce:
      return v2_enforce_status(s).dump();
    case StatusBody::v2_audit:
      return v2_audit_status(s).dump();
    case StatusBody::v2_without_enabled: {
      json body = v2_enforce_status(s);
      body.erase("secureChannelEnabled");
      return body.dump();
    }
    case StatusBody::v2_without_scheme: {
      json body = v2_enforce_status(s);
      body.erase("authorizationScheme");
      return body.dump();
    }
    case StatusBody::v1_wireserver_and_imds:
      return v1_status(s).dump();
    case StatusBody::v2_disabled:
      return kStatusV2Disabled;
    case StatusBody::malformed:
      return kStatusMalformed;
    case StatusBody::oversized: {
      json body = v2_enforce_status(s);
      body["padding"] = std::string(kOversizedBytes, 'x');
      return body.dump();
    }
  }
  return {};
}

json imds_instance(const Scenario& s) {
  json compute{{"azEnvironment", "AzurePublicCloud"},
               {"location", kLocation},
               {"name", s.scale_set  ? kScaleSetInstanceName
                        : s.flexible ? kFlexMemberName
                                     : kVmName},
               {"offer", "debian-12"},
               {"osType", "Linux"},
               {"publisher", "Debian"},
               {"resourceGroupName", kResourceGroup},
               {"resourceId", s.scale_set  ? kScaleSetInstanceResourceId
                              : s.flexible ? kFlexMemberResourceId
                                           : kResourceId},
               {"securityProfile",
                {{"secureBootEnabled", "true"},
                 {"virtualTpmEnabled", "true"},
                 {"securityType", "TrustedLaunch"}}},
               {"sku", "12-gen2"},
               {"storageProfile",
                {{"osDisk",
                  {{"diffDiskSettings", {{"option", ""}}},  // managed disk, not ephemeral
                   {"managedDisk", {{"storageAccountType", "Premium_LRS"}}},
                   {"osType", "Linux"}}}}},
               {"subscriptionId", kSubscriptionId},
               {"tags", ""},
               {"vmId", kVmId},
               {"vmScaleSetName", s.scale_set  ? kScaleSetName
                                  : s.flexible ? kFlexScaleSetName
                                               : ""},
               {"vmSize", "Standard_D2s_v5"},
               {"zone", ""}};
  json network{
      {"interface",
       json::array({{{"ipv4",
                      {{"ipAddress",
                        json::array({{{"privateIpAddress", "10.0.1.4"}, {"publicIpAddress", ""}}})},
                       {"subnet", json::array({{{"address", "10.0.1.0"}, {"prefix", "24"}}})}}},
                     {"ipv6", {{"ipAddress", json::array()}}},
                     {"macAddress", "000D3A3382E8"}}})}};
  if (!s.compute_patch.is_null()) compute.merge_patch(s.compute_patch);
  return json{{"compute", std::move(compute)}, {"network", std::move(network)}};
}

Reply text(int status, std::string content_type, std::string body) {
  Reply reply;
  reply.status = status;
  if (!content_type.empty()) reply.headers.emplace_back("Content-Type", std::move(content_type));
  reply.body = std::move(body);
  return reply;
}

Reply json_reply(int status, const json& body) {
  return text(status, "application/json; charset=utf-8", body.dump());
}

/// The reachability calls: the real payload, or what enforce/throttling/allow-list make of it.
Reply upstream(Upstream mode, const std::function<Reply()>& ok) {
  switch (mode) {
    case Upstream::ok:
      return ok();
    case Upstream::unauthorized:
      return text(401, "", "");
    case Upstream::throttled:
      return text(429, "text/plain", "Too many requests");
    case Upstream::denied: {
      Reply reply = text(403, "", "");
      reply.close = true;
      return reply;
    }
  }
  return ok();
}

Reply not_found() { return text(404, "text/plain", "Not found"); }

/// GPA answers its in-memory status as of now: never stale, whatever status.json says.
SystemTime now_for_status(const Scenario& s) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<SystemTime::duration>(s.status_age);
}

Reply wireserver(const Scenario& s, const std::string& path, const std::string& query) {
  if (path == "/secure-channel/status") {
    Reply reply = text(200, "application/json; charset=utf-8", status_body(s));
    reply.drip = s.drip_status;
    return reply;
  }
  if (path == "/gpa-aggregated-status" && s.serve_aggregated_status && s.via_gpa &&
      s.gpa_port == PortMode::serve)
    return json_reply(200, status_file_document(s, now_for_status(s)));
  if (path == "/" && query.find("comp=versions") != std::string::npos)
    return upstream(s.versions, [] { return text(200, "text/xml; charset=utf-8", kVersionsXml); });
  return not_found();
}

Reply hostga(const Scenario& s, const std::string& path) {
  if (path == "/health") return upstream(s.health, [] { return text(200, "text/plain", "OK"); });
  return not_found();
}

Reply imds(const Scenario& s, const LoggedRequest& request, const std::string& path,
           const std::string& query) {
  if (path != "/metadata/instance") return not_found();
  // Real IMDS checks the header before anything else, whatever GPA thinks of the caller.
  if (lower(header_value(request, "metadata")) != "true")
    return json_reply(400, {{"error", "Bad request. Required metadata header not specified"}});
  if (query.find("api-version=") == std::string::npos)
    return json_reply(400,
                      {{"error", "Bad request. api-version was not specified in the request"}});
  return upstream(s.imds_instance, [&s] { return json_reply(200, imds_instance(s)); });
}

/// The N of GPA 1.0.N the scenario plays; plain scenarios write "1.0.48" and play the newest.
int gpa_patch(const Scenario& s) {
  int a = 0, b = 0, c = 0;
  if (!s.gpa_version.empty() && std::sscanf(s.gpa_version.c_str(), "%d.%d.%d", &a, &b, &c) == 3)
    return c;
  return 48;
}

/// The header GPA 1.0.26 on reads the query time tick from (common/constants.rs).
const char* time_tick_header(int patch) {
  return patch >= 37 ? "x-ms-azure-time-tick" : "x-ms-azure-time_tick";
}

/// GPA's current secure-channel state is `disabled` or `Unknown` (the key keeper never stored
/// one: enabled, but no key step has succeeded, up to 1.0.33).
bool channel_disabled_or_unknown(const Scenario& s) {
  return s.status_body == StatusBody::v2_disabled || !s.states_hold_key;
}

Reply misdirected() {
  Reply reply = text(421, "", "");
  return reply;
}

Reply gpa(const Scenario& s, const LoggedRequest& request, const std::string& path,
          const GpaState& state) {
  const int patch = gpa_patch(s);
  // A request GPA's listener does not route is looked up in the redirect's audit map, which has
  // no entry for a direct caller: 421 (era scenarios; plain ones keep the simple 404).
  if (!s.gpa_version.empty() && (path != "/provision" || patch <= 20)) return misdirected();
  if (path != "/provision") return not_found();
  // GPA (proxy_server.rs handle_provision_state_check_request): no Metadata header is 400 with
  // Connection: close; without x-ms-azure-time-tick the query tick is 0, and
  // finished_time_tick >= 0 always holds, so the answer is finished:true. Only errorMessage
  // carries what is not ready.
  if (header_value(request, "metadata").empty()) {
    Reply reply = text(400, "", "");
    reply.close = true;
    return reply;
  }
  bool finished = s.provision_finished && !state.provision_reset;
  if (patch >= 26) {
    // finished_time_tick >= query tick (0 without the header): an unfinished GPA's finish tick is
    // 0, so any tick <= 0 reads finished.
    long long tick = 0;
    const std::string text = header_value(request, time_tick_header(patch));
    if (!text.empty()) tick = std::atoll(text.c_str());
    finished = s.provision_finished || tick <= 0;
  }
  return json_reply(200, {{"finished", finished}, {"errorMessage", s.provision_error}});
}

json connection_entry(const char* ip, const char* command, const char* status, int count) {
  return json{{"userName", "root"},
              {"ip", ip},
              {"port", 80},
              {"processCmdLine", command},
              {"responseStatus", status},
              {"count", count},
              {"userGroups", json::array({"root"})},
              {"processFullPath", "/usr/bin/python3.11"}};
}

json latch_states(const Scenario& s) {
  json states{{"secureChannelState", s.secure_channel_state}};
  if (s.status_body != StatusBody::v2_disabled) {
    states["wireServerRuleId"] = std::string(kRuleId) + "LINUXWIRESERVER/VERSIONS/1.0.0";
    states["imdsRuleId"] = std::string(kRuleId) + "LINUXIMDS/VERSIONS/1.0.0";
    states["hostGARuleId"] = std::string(kRuleId) + "LINUXWIRESERVER/VERSIONS/1.0.0";
  }
  if (s.states_hold_key) {
    // GPA keeps the key it latched (kPlantedKeyGuid, incarnation 10) even when the host has
    // moved on (reset_pending) or the file is gone (key_loss_latent).
    states["keyGuid"] = s.held_key_guid;
    if (s.states_hold_incarnation) states["keyIncarnationId"] = std::to_string(s.held_incarnation);
  }
  return states;
}

}  // namespace

const char* to_string(Role r) {
  switch (r) {
    case Role::wireserver:
      return "wireserver";
    case Role::hostga:
      return "hostga";
    case Role::imds:
      return "imds";
    case Role::gpa:
      return "gpa";
    case Role::control:
      return "control";
  }
  return "unknown";
}

void to_json(nlohmann::json& j, const LoggedRequest& request) {
  j = json{{"role", to_string(request.role)},
           {"method", request.method},
           {"target", request.target},
           {"headers", request.headers}};
  if (!request.effect.empty()) j["effect"] = request.effect;
}

PortMode Scenario::port_mode(Role role) const {
  switch (role) {
    case Role::wireserver:
      return wireserver_port;
    case Role::hostga:
      return hostga_port;
    case Role::imds:
      return imds_port;
    case Role::gpa:
      return gpa_port;
    case Role::control:
      return PortMode::serve;
  }
  return PortMode::serve;
}

const std::vector<Scenario>& scenario_table() {
  static const std::vector<Scenario> table = build_table();
  return table;
}

const Scenario* find_scenario(const std::string& name) {
  const auto at = name.find('@');
  const std::string base_name = name.substr(0, at);
  const Scenario* base = nullptr;
  for (const auto& s : scenario_table())
    if (s.name == base_name) base = &s;
  if (!base || at == std::string::npos) return base;
  // Era variants are built once and kept for the process's life (callers hold the pointer).
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<Scenario>> variants;
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = variants[name];
  if (!slot) {
    auto variant = scenario_for_gpa_version(*base, name.substr(at + 1));
    if (!variant) {
      variants.erase(name);
      return nullptr;
    }
    slot = std::make_unique<Scenario>(std::move(*variant));
  }
  return slot.get();
}

std::vector<std::string> FabricSimulator::scenario_names() {
  std::vector<std::string> names;
  for (const auto& s : scenario_table()) names.push_back(s.name);
  return names;
}

namespace {
/// The simulator keeps its own calendar (independent of the agent's utc_time): the C library's.
std::tm utc_fields(SystemTime t) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
#ifdef _WIN32  // the scenario table is also compiled into the Windows unit tests
  ::gmtime_s(&utc, &seconds);
#else
  ::gmtime_r(&seconds, &utc);
#endif
  return utc;
}
}  // namespace

std::string http_date(SystemTime t) {
  std::tm utc = utc_fields(t);
  // Not strftime: %a and %b follow the locale, RFC 1123 names are always English.
  static const char* const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buffer[80];
  std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[utc.tm_wday],
                utc.tm_mday, months[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min,
                utc.tm_sec);
  return buffer;
}

std::string status_timestamp(SystemTime t) {
  auto since_epoch = t.time_since_epoch();
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count() % 1000;
  std::tm utc = utc_fields(t);
  char buffer[80];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03d", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  return buffer;
}

std::string apply_gpa_effect(const Scenario& s, const LoggedRequest& request, GpaState& state) {
  if (request.role != Role::gpa || request.method != "GET") return "";
  const std::string path = request.target.substr(0, request.target.find('?'));
  const int patch = gpa_patch(s);
  if (path != "/provision" || patch <= 20) {
    ++state.warning_events;
    ++state.misdirected;
    return "warning_event";
  }
  if (header_value(request, "metadata").empty()) {
    ++state.log_warnings;
    return "log_warning";
  }
  if (patch == 21) {
    ++state.key_keeper_wakeups;
    ++state.log_warnings;
    return "key_keeper_woken";
  }
  if (patch <= 25) {
    ++state.key_keeper_wakeups;
    if (channel_disabled_or_unknown(s)) {
      state.provision_reset = true;
      return "provision_reset";
    }
    ++state.log_warnings;
    return "key_keeper_woken";
  }
  std::string effect;
  if (!header_value(request, "x-ms-azure-notify").empty() && !s.provision_finished) {
    ++state.key_keeper_wakeups;
    effect = "key_keeper_woken";
  }
  if (header_value(request, time_tick_header(patch)).empty()) {
    ++state.log_warnings;
    if (effect.empty()) effect = "log_warning";
  }
  return effect;
}

void to_json(nlohmann::json& j, const GpaState& state) {
  j = json{{"provision_reset", state.provision_reset},
           {"warning_events", state.warning_events},
           {"misdirected", state.misdirected},
           {"key_keeper_wakeups", state.key_keeper_wakeups},
           {"log_warnings", state.log_warnings}};
}

Reply answer(const Scenario& s, const LoggedRequest& request, SystemTime now,
             const GpaState& gpa_state) {
  const auto query_at = request.target.find('?');
  const std::string path = request.target.substr(0, query_at);
  const std::string query = query_at == std::string::npos ? "" : request.target.substr(query_at);

  Reply reply;
  if (request.method != "GET") {
    // Nothing latchwatch may send is anything but GET (domain brief §1).
    reply = text(405, "text/plain", "Method not allowed");
    reply.headers.emplace_back("Allow", "GET");
  } else {
    switch (request.role) {
      case Role::wireserver:
        reply = wireserver(s, path, query);
        break;
      case Role::hostga:
        reply = hostga(s, path);
        break;
      case Role::imds:
        reply = imds(s, request, path, query);
        reply.delay = s.imds_delay;
        break;
      case Role::gpa:
        reply = gpa(s, request, path, gpa_state);
        break;
      case Role::control:
        reply = not_found();
        break;
    }
  }
  reply.headers.emplace_back("Date", http_date(now + s.date_skew));
  reply.headers.emplace_back("Server", "latchwatch-fabric-sim");
  if (s.via_gpa) reply.headers.emplace_back(kViaGpaHeader, "sim");
  return reply;
}

nlohmann::json status_file_document(const Scenario& s, SystemTime now) {
  if (!s.gpa_version.empty())
    return era_status_file_document(s, now, status_timestamp(now - s.status_age));
  json summary = json::array();
  if (s.ok_connections > 0)
    summary.push_back(connection_entry("168.63.129.16",
                                       "/usr/bin/python3 -u /usr/sbin/waagent -run-exthandlers",
                                       "200 OK", s.ok_connections));
  if (s.unauthorized_connections > 0)
    summary.push_back(connection_entry(
        "169.254.169.254",
        "curl -H Metadata:true http://169.254.169.254/metadata/instance?api-version=2021-02-01",
        "401 Unauthorized", s.unauthorized_connections));

  auto running = [](const char* message) {
    return json{{"status", "RUNNING"}, {"message", message}};
  };
  json agent{
      {"version", "1.0.48"},
      {"status", "SUCCESS"},
      {"monitorStatus",
       running("Aggregate status written to status file: /var/log/azure-proxy-agent/status.json")},
      {"keyLatchStatus",
       {{"status", "RUNNING"}, {"message", s.latch_message}, {"states", latch_states(s)}}},
      {"ebpfProgramStatus", {{"status", s.ebpf_status}, {"message", s.ebpf_message}}},
      {"proxyListenerStatus", running("Started proxy listener, ready to accept request - 27")},
      {"telemetryLoggerStatus", running("Telemetry event logger thread started.")},
      {"proxyConnectionsCount", s.ok_connections + s.unauthorized_connections}};
  return json{{"timestamp", status_timestamp(now - s.status_age)},
              {"proxyAgentStatus", std::move(agent)},
              {"proxyConnectionSummary", std::move(summary)},
              {"failedAuthenticateSummary", json::array()}};
}

GpaPaths GpaPaths::under(const std::string& root) {
  GpaPaths paths;
  paths.root = root;
  paths.key_dir = root + "/keys";
  paths.status_file = root + "/status.json";
  paths.unit_file = root + "/azure-proxy-agent.service";
  paths.binary = root + "/azure-proxy-agent";
  paths.smbios_file = root + "/product_uuid";
  paths.uptime_file = root + "/uptime";
  return paths;
}

}  // namespace latchwatch::sim
