#pragma once
/// The plain value every fabric probe produces.

#include <nlohmann/json.hpp>
#include <string>

#include "probes/net/http_exchange.h"

namespace latchwatch::probes {

/// The read-only questions latchwatch asks the fabric (domain brief §1), plus GPA 1.0.47's
/// in-memory aggregate status, asked on the WireServer address (GPA's redirect answers it).
enum class Target {
  wireserver_status,
  wireserver_versions,
  hostga_health,
  imds_instance,
  gpa_provision,
  gpa_aggregated_status,
};
const char* to_string(Target t);
constexpr Target kAllTargets[] = {Target::wireserver_status, Target::wireserver_versions,
                                  Target::hostga_health,     Target::imds_instance,
                                  Target::gpa_provision,     Target::gpa_aggregated_status};

enum class Outcome { ok, refused, timeout, reset, http_error, bad_payload, too_large };
const char* to_string(Outcome o);

struct ProbeResult {
  Target target = Target::wireserver_status;
  std::string endpoint;  ///< "host:port" dialled
  std::string path;      ///< request target sent
  Outcome outcome = Outcome::refused;
  int http_status = 0;  ///< 0 when no response header arrived
  net::Timings timings;
  bool via_gpa = false;  ///< response carried x-ms-azure-host-authorization
  bool connection_close = false;
  std::size_t body_bytes = 0;
  std::string date_header;  ///< the fabric's Date header, for clock skew
  nlohmann::json summary;   ///< parsed payload summary (null when none)
  std::string error;        ///< what went wrong, for a person; empty when ok

  bool answered() const { return http_status != 0; }
};

void to_json(nlohmann::json& j, const ProbeResult& r);

}  // namespace latchwatch::probes
