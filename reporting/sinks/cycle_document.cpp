#include "reporting/sinks/sink.h"

#include "reporting/report/reset_ticket.h"

namespace latchwatch::reporting {

std::string dump_json(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json cycle_document(const CycleReport& r) {
  nlohmann::json doc = latchwatch::report_document(r.report);
  doc["host"] = r.host;
  doc["cycle"] = r.cycle;
  doc["started_at"] = latchwatch::iso8601_utc(r.started);
  doc["finished_at"] = latchwatch::iso8601_utc(r.finished);
  doc["transition"] = to_string(r.transition);
  doc["debounce"] = {
      {"confirmed", r.has_confirmed ? nlohmann::json(latchwatch::to_string(r.confirmed))
                                    : nlohmann::json(nullptr)},
      {"previous", r.has_previous ? nlohmann::json(latchwatch::to_string(r.previous))
                                  : nlohmann::json(nullptr)},
      {"pending", r.pending},
      {"key_alert_firing", r.key_alert_firing()}};
  doc["sinks"] = to_json(r.sinks_health);
  return doc;
}

nlohmann::json outward_document(const CycleReport& report, const std::string& delivery_id) {
  auto doc = cycle_document(report);
  if (report.report.remedy)
    doc["reset_ticket"] = latchwatch::reset_ticket(report.report, delivery_id);
  return doc;
}

}  // namespace latchwatch::reporting
