#include "reporting/sinks/eventlog_sink.h"

#include "reporting/sinks/log_sink.h"

namespace latchwatch::reporting {

std::optional<EventLogEntry> eventlog_entry(const CycleReport& report) {
  if (report.transition == Transition::unchanged) return std::nullopt;
  EventLogEntry entry;
  const auto code = report.has_confirmed ? report.confirmed : report.report.verdict.code;
  if (report.transition == Transition::resolved) {
    entry.type = EventType::information;
    entry.id = kEventRecovered;
  } else if (latchwatch::is_key_verdict(code)) {
    entry.type = EventType::error;
    entry.id = kEventKeyVerdict;
  } else {
    entry.type = EventType::warning;
    entry.id = kEventFault;
  }
  entry.text = transition_line(report, 2048);
  if (report.report.remedy && !report.report.remedy->resource_id.empty())
    entry.text += "\r\nresource: " + report.report.remedy->resource_id;
  return entry;
}

}  // namespace latchwatch::reporting
