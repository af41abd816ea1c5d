#include "probes/fabric/fabric_client.h"

#include <utility>

namespace latchwatch::probes {

net::Request allowed_request(Target target, const GpaEra& era) {
  net::Request request;  // Method::get, always: nothing here can say otherwise.
  switch (target) {
    case Target::wireserver_status:
      // Unsigned and always allowed: GPA itself calls it while recovering (domain brief §1).
      request.target = "/secure-channel/status";
      request.headers = {{"Metadata", "True"}};
      break;
    case Target::wireserver_versions:
      request.target = "/?comp=versions";
      break;
    case Target::hostga_health:
      request.target = "/health";
      break;
    case Target::imds_instance:
      // Without this header IMDS answers 400.
      request.target = std::string("/metadata/instance?api-version=") + kImdsApiVersion;
      request.headers = {{"Metadata", "true"}};
      break;
    case Target::gpa_provision:
      // A Metadata header and never x-ms-azure-notify, which would wake GPA's key keeper. The
      // time tick 0 answers exactly as no tick does (proxy_server.rs compares finished_time_tick
      // >= tick), without GPA's "No 'x-ms-azure-time_tick' header" warning line.
      request.target = "/provision";
      request.headers = {{"Metadata", "true"}};
      if (!era.time_tick_header.empty()) request.headers.push_back({era.time_tick_header, "0"});
      break;
    case Target::gpa_aggregated_status:
      // GPA 1.0.47 serves its aggregate status from memory here to elevated callers, through
      // its redirect (proxy_server.rs handle_status_request: Metadata header required, 400
      // without; 403 for a non-elevated caller). Older GPA, or no redirect: WireServer's 404.
      request.target = "/gpa-aggregated-status";
      request.headers = {{"Metadata", "True"}};
      break;
  }
  return request;
}

bool allowed_for_era(Target target, const GpaEra& era) {
  switch (target) {
    case Target::gpa_provision:
      return era.send_provision;
    case Target::gpa_aggregated_status:
      return era.send_aggregated_status;
    default:
      // WireServer's status, versions, HostGAPlugin's health and IMDS: what the VM agent and GPA
      // itself send; through GPA's redirect they are ordinary traffic on every release.
      return true;
  }
}

const net::Endpoint& endpoint_for(const FabricEndpoints& endpoints, Target target) {
  switch (target) {
    case Target::wireserver_status:
    case Target::wireserver_versions:
    case Target::gpa_aggregated_status:
      return endpoints.wireserver;
    case Target::hostga_health:
      return endpoints.hostga;
    case Target::imds_instance:
      return endpoints.imds;
    case Target::gpa_provision:
      return endpoints.gpa;
  }
  return endpoints.wireserver;
}

void async_fabric_get(net::IoContext& ioc, const FabricEndpoints& endpoints, Target target,
                      const GpaEra& era, std::chrono::milliseconds budget,
                      FabricCallback callback) {
  net::Options options;
  options.budget = budget;
  net::async_exchange(ioc, endpoint_for(endpoints, target), allowed_request(target, era), options,
                      [target, callback = std::move(callback)](net::Response response) {
                        callback(target, std::move(response));
                      });
}

}  // namespace latchwatch::probes
