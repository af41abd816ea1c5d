#pragma once
/// The only client latchwatch uses toward WireServer, HostGAPlugin, IMDS and GPA.
///
/// Read-only by construction: a caller names one of the allow-listed requests of the domain
/// brief §1 or GPA 1.0.47's `GET /gpa-aggregated-status` (a `Target`); the client builds a GET
/// for its fixed path and headers. There is no way
/// to pass a method, a path, a body or a header. It never sends `x-ms-azure-notify`.

#include <chrono>
#include <string>

#include "probes/fabric/probe_result.h"
#include "probes/net/http_exchange.h"
#include "probes/payloads/gpa_era.h"

namespace latchwatch::probes {

struct FabricEndpoints {
  net::Endpoint wireserver{"168.63.129.16", 80};
  net::Endpoint hostga{"168.63.129.16", 32526};
  net::Endpoint imds{"169.254.169.254", 80};
  net::Endpoint gpa{"127.0.0.1", 3080};
};

/// IMDS api-version that returns compute.securityType and resourceId.
constexpr const char* kImdsApiVersion = "2021-12-13";

/// The fixed GET request for `target`: path and headers exactly as the domain brief allows. For
/// `gpa_provision` the era adds its time-tick header with the value 0 (which changes nothing in
/// GPA's answer and spares its log a warning); the default era (unknown) adds none.
net::Request allowed_request(Target target, const GpaEra& era = {});

/// Whether a cycle may send `target` to a GPA of `era` at all (docs/gpa-eras.md).
bool allowed_for_era(Target target, const GpaEra& era);

/// Which endpoint serves `target`.
const net::Endpoint& endpoint_for(const FabricEndpoints& endpoints, Target target);

/// Raw exchange result plus the target it answered; parsing happens in the probe cycle.
using FabricCallback = std::function<void(Target, net::Response)>;

/// Starts the allow-listed GET for `target` on `ioc` under `budget`.
void async_fabric_get(net::IoContext& ioc, const FabricEndpoints& endpoints, Target target,
                      const GpaEra& era, std::chrono::milliseconds budget, FabricCallback callback);

}  // namespace latchwatch::probes
