#include "probes/fabric/probe_cycle.h"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <cctype>

namespace latchwatch::probes {
namespace {

using Clock = std::chrono::steady_clock;

Outcome outcome_of(net::Failure failure) {
  switch (failure) {
    case net::Failure::none:
      return Outcome::ok;
    case net::Failure::refused:
    case net::Failure::resolve:
      return Outcome::refused;
    case net::Failure::timeout:
      return Outcome::timeout;
    case net::Failure::too_large:
      return Outcome::too_large;
    // Something answered, but not in HTTP: reached, and not WireServer's (or GPA's) answer.
    case net::Failure::protocol:
      return Outcome::bad_payload;
    case net::Failure::reset:
    case net::Failure::tls:
      return Outcome::reset;
  }
  return Outcome::reset;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string http_error_text(int status, const std::string& endpoint) {
  std::string text = "HTTP " + std::to_string(status) + " from " + endpoint;
  switch (status) {
    case 400:
      return text + ": request rejected (a required header missing?)";
    case 401:
      return text + ": unauthorized (request unsigned or wrongly signed)";
    case 403:
      return text + ": forbidden (allow-list rules, or throttling)";
    case 404:
      return text + ": path not served here";
    case 429:
      return text + ": throttled";
    case 502:
    case 503:
      return text + ": upstream failure behind the proxy";
    default:
      return text;
  }
}

/// Parses a 2xx body for `target`, filling the cycle's typed payload and the result's summary.
void parse_body(Target target, const std::string& body, ProbeResult& result, ProbeCycle& cycle) {
  auto take = [&](auto parsed, auto& slot) {
    if (!parsed) {
      result.outcome = Outcome::bad_payload;
      result.error =
          "unreadable payload from " + result.endpoint + result.path + ": " + parsed.error;
      return;
    }
    result.summary = *parsed.value;
    slot = std::move(parsed.value);
  };
  switch (target) {
    case Target::wireserver_status:
      return take(parse_secure_channel_status(body), cycle.status);
    case Target::imds_instance:
      return take(parse_imds_instance(body), cycle.imds);
    case Target::gpa_provision:
      return take(parse_provision_reply(body), cycle.provision);
    case Target::gpa_aggregated_status:
      return take(parse_gpa_status_file(body), cycle.aggregated_status);
    case Target::wireserver_versions:
      // A reachability probe: any 2xx with a body counts; nothing in it is used.
      if (body.find("<Versions") == std::string::npos) {
        result.outcome = Outcome::bad_payload;
        result.error = "versions document from " + result.endpoint + " has no <Versions> element";
      }
      return;
    case Target::hostga_health:
      return;
  }
}

ProbeResult to_result(Target target, const ProbeCycleOptions& options, net::Response response,
                      ProbeCycle& cycle) {
  const FabricEndpoints& endpoints = options.endpoints;
  ProbeResult result;
  result.target = target;
  result.endpoint = endpoint_for(endpoints, target).to_string();
  result.path = allowed_request(target, options.gpa_era).target;
  result.outcome = outcome_of(response.failure);
  result.http_status = response.status;
  result.timings = response.timings;
  result.via_gpa = response.has_header("x-ms-azure-host-authorization");
  result.connection_close = lower(response.header("connection")) == "close";
  result.date_header = response.header("date");
  result.body_bytes = response.body.size();
  result.error = response.error;
  if (response.failure != net::Failure::none) return result;
  if (response.status < 200 || response.status > 299) {
    result.outcome = Outcome::http_error;
    result.error = http_error_text(response.status, result.endpoint);
    return result;
  }
  parse_body(target, response.body, result, cycle);
  return result;
}

}  // namespace

const ProbeResult* ProbeCycle::find(Target t) const {
  for (const auto& r : results)
    if (r.target == t) return &r;
  return nullptr;
}

ProbeCycle run_probe_cycle(const ProbeCycleOptions& options) {
  ProbeCycle cycle;
  boost::asio::io_context ioc;
  std::vector<std::optional<ProbeResult>> slots(std::size(kAllTargets));
  auto start = Clock::now();
  for (std::size_t i = 0; i < std::size(kAllTargets); ++i) {
    Target target = kAllTargets[i];
    if (target == Target::imds_instance && !options.probe_imds) continue;
    if (!options.only.empty() &&
        std::find(options.only.begin(), options.only.end(), target) == options.only.end())
      continue;
    if (!allowed_for_era(target, options.gpa_era)) {
      cycle.withheld.push_back(target);
      continue;
    }
    async_fabric_get(ioc, options.endpoints, target, options.gpa_era, options.timeout,
                     [&, i](Target t, net::Response response) {
                       slots[i] = to_result(t, options, std::move(response), cycle);
                     });
  }
  // All in flight at once; returns when the last one ends (or when cancelled).
  if (!options.cancel) {
    ioc.run();
  } else {
    while (!ioc.stopped() && !options.cancel->load()) ioc.run_for(std::chrono::milliseconds(50));
    ioc.stop();
  }
  cycle.wall_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  for (auto& slot : slots)
    if (slot) cycle.results.push_back(std::move(*slot));
  return cycle;
}

}  // namespace latchwatch::probes
