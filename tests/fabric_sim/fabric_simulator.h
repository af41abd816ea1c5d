#pragma once
/// A real HTTP/1.1 fabric on loopback: WireServer, HostGAPlugin, IMDS and GPA's local listener,
/// each on its own port (bound to port 0), plus the GPA files of the "VM disk" (key folder,
/// status.json, unit file, binary) written to a folder of its own. Scenarios are named and can be
/// switched while running. Every request received is logged.
///
/// Thread-safety: start/stop from one thread; set_scenario, requests, clear_requests from any.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "probes/net/http_exchange.h"

namespace latchwatch::sim {

enum class Role { wireserver, hostga, imds, gpa, control };
const char* to_string(Role r);

struct LoggedRequest {
  Role role = Role::wireserver;
  std::string method;                          ///< as sent, e.g. "GET"
  std::string target;                          ///< as sent, e.g. "/secure-channel/status"
  std::map<std::string, std::string> headers;  ///< names lower-cased
  /// What the request did to the simulated GPA besides being answered, as GPA's source at the
  /// scenario's version says (scenarios.h GpaEffect; docs/gpa-eras.md); empty: nothing.
  std::string effect;
};

/// What requests did to the simulated GPA since it (re)started: a scenario switch restarts it.
/// Only effects beyond the Info lines every request through GPA writes are counted.
struct GpaState {
  /// GPA 1.0.22 – 1.0.25: a /provision GET woke the key keeper while the channel was disabled or
  /// Unknown, and GPA's provision state is `finished: false` until it restarts.
  bool provision_reset = false;
  int warning_events = 0;      ///< telemetry warning events (≤ 1.0.20's, or any version's, 421)
  int misdirected = 0;         ///< `421 Misdirected Request` entries in proxyConnectionSummary
  int key_keeper_wakeups = 0;  ///< key_keeper notify() calls
  int log_warnings = 0;        ///< warning lines in GPA's own log caused by a request's shape
};

/// The guid and hex of the key file planted in every scenario that has one. Tests grep every
/// output for kPlantedKeyHex; it must never appear.
constexpr const char* kPlantedKeyGuid = "e3882f98-da8d-4410-8394-06c23462781c";
constexpr const char* kOtherVmKeyGuid = "5b1c0c4e-7a0f-4c4e-9f0b-2d7c9c1e0a11";
constexpr const char* kPlantedKeyHex =
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
/// The key incarnation the host reports (and status.json names) while the key is healthy.
constexpr int kKeyIncarnationId = 10;
/// reset_pending: the host already moved on to this key and incarnation; GPA has not yet.
constexpr const char* kResetKeyGuid = "1f0e2d3c-4b5a-4697-8877-665544332211";
constexpr int kResetKeyIncarnationId = 11;

/// The VM's identity as IMDS reports it (vmss_healthy changes name, vmScaleSetName, resourceId).
constexpr const char* kSubscriptionId = "8a3f1c2e-1111-4222-8333-944455566677";
constexpr const char* kResourceGroup = "rg-latch";
constexpr const char* kVmName = "vm-latch-01";
constexpr const char* kVmId = "d0a1b2c3-0000-4000-8000-000000000001";
constexpr const char* kLocation = "westeurope";
constexpr const char* kResourceId =
    "/subscriptions/8a3f1c2e-1111-4222-8333-944455566677/resourceGroups/rg-latch/providers/"
    "Microsoft.Compute/virtualMachines/vm-latch-01";
constexpr const char* kScaleSetName = "ss-latch";
constexpr const char* kScaleSetInstanceName = "ss-latch_3";
constexpr const char* kScaleSetInstanceResourceId =
    "/subscriptions/8a3f1c2e-1111-4222-8333-944455566677/resourceGroups/rg-latch/providers/"
    "Microsoft.Compute/virtualMachineScaleSets/ss-latch/virtualMachines/3";

/// A Flexible scale-set member: a VM resource of its own, named by the platform.
constexpr const char* kFlexScaleSetName = "ss-flex";
constexpr const char* kFlexMemberName = "ss-flex_4b2a1c3d";
constexpr const char* kFlexMemberResourceId =
    "/subscriptions/8a3f1c2e-1111-4222-8333-944455566677/resourceGroups/rg-latch/providers/"
    "Microsoft.Compute/virtualMachines/ss-flex_4b2a1c3d";

/// Responses that went through GPA carry this header (domain brief §1); the value is arbitrary.
constexpr const char* kViaGpaHeader = "x-ms-azure-host-authorization";

struct SimulatorOptions {
  std::string scenario = "healthy";
  /// Folder for the GPA files; created if missing. Empty: a fresh folder under $TMPDIR.
  std::string gpa_dir;
  std::chrono::milliseconds drip_interval{1000};  ///< slow_drip: one byte per interval
  /// Called on the simulator's thread for every fabric request, as it is logged (the standalone
  /// binary appends it to its request log). Must not call back into the simulator.
  std::function<void(const LoggedRequest&)> on_request;
};

class FabricSimulator {
 public:
  explicit FabricSimulator(SimulatorOptions options = {});
  ~FabricSimulator();  ///< stops
  FabricSimulator(const FabricSimulator&) = delete;
  FabricSimulator& operator=(const FabricSimulator&) = delete;

  /// Binds every listener on 127.0.0.1 port 0, writes the scenario's files, starts serving on a
  /// thread of its own. Returns once every port is bound (and listening where the scenario says
  /// so), in the scenario last given to set_scenario, else options.scenario. Throws
  /// std::runtime_error if it cannot, std::invalid_argument for an unknown scenario,
  /// std::logic_error when already running (a stopped simulator may start again, on new ports).
  void start();
  /// Closes every port and connection and joins the thread. Idempotent; not to be called while
  /// another thread is inside set_scenario. The endpoints keep their values (now refused); the
  /// GPA files stay until destruction, which removes the folder only if the simulator made it.
  void stop();

  net::Endpoint wireserver() const;
  net::Endpoint hostga() const;
  net::Endpoint imds() const;
  net::Endpoint gpa() const;
  /// POST /scenario/NAME, GET /requests, GET /scenario, GET /gpa-state
  net::Endpoint control() const;

  std::string key_dir() const;      ///< <gpa_dir>/keys
  std::string status_file() const;  ///< <gpa_dir>/status.json
  std::string unit_file() const;    ///< <gpa_dir>/azure-proxy-agent.service
  std::string binary() const;       ///< <gpa_dir>/azure-proxy-agent
  std::string smbios_file() const;  ///< <gpa_dir>/product_uuid

  /// Switches scenario (rewrites the GPA files, rebinds refusing/silent listeners) and returns
  /// when the switch is complete: the next connection sees the new behaviour. Every role keeps
  /// its port. Connections held open by a black-holed role are closed. Throws
  /// std::invalid_argument for an unknown name, std::runtime_error when a file or port cannot be
  /// written or rebound.
  void set_scenario(const std::string& name);
  std::string scenario() const;

  std::vector<LoggedRequest> requests() const;  ///< fabric roles only, not control
  void clear_requests();
  /// What the requests so far did to the simulated GPA (reset by set_scenario and start).
  GpaState gpa_state() const;

  /// The flags that point `latchwatch check` at this simulator, as separate argv words.
  std::vector<std::string> check_flags() const;

  static std::vector<std::string> scenario_names();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace latchwatch::sim
