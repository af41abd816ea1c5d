#include "probes/fabric/probe_result.h"

namespace latchwatch::probes {

const char* to_string(Target t) {
  switch (t) {
    case Target::wireserver_status:
      return "wireserver_status";
    case Target::wireserver_versions:
      return "wireserver_versions";
    case Target::hostga_health:
      return "hostga_health";
    case Target::imds_instance:
      return "imds_instance";
    case Target::gpa_provision:
      return "gpa_provision";
    case Target::gpa_aggregated_status:
      return "gpa_aggregated_status";
  }
  return "unknown";
}

const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::ok:
      return "ok";
    case Outcome::refused:
      return "refused";
    case Outcome::timeout:
      return "timeout";
    case Outcome::reset:
      return "reset";
    case Outcome::http_error:
      return "http_error";
    case Outcome::bad_payload:
      return "bad_payload";
    case Outcome::too_large:
      return "too_large";
  }
  return "unknown";
}

namespace {
nlohmann::json ms_or_null(double ms) {
  return ms < 0 ? nlohmann::json(nullptr) : nlohmann::json(ms);
}
}  // namespace

void to_json(nlohmann::json& j, const ProbeResult& r) {
  j = nlohmann::json{
      {"target", to_string(r.target)},
      {"endpoint", r.endpoint},
      {"path", r.path},
      {"outcome", to_string(r.outcome)},
      {"http_status", r.http_status == 0 ? nlohmann::json(nullptr) : nlohmann::json(r.http_status)},
      {"timings_ms",
       {{"connect", ms_or_null(r.timings.connect_ms)},
        {"first_byte", ms_or_null(r.timings.first_byte_ms)},
        {"total", r.timings.total_ms}}},
      {"via_gpa", r.via_gpa},
      {"body_bytes", r.body_bytes},
      {"summary", r.summary}};
  if (!r.error.empty()) j["error"] = r.error;
}

}  // namespace latchwatch::probes
