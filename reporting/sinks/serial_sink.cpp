#include "reporting/sinks/serial_sink.h"

// The line policy, the same on every platform; the device is written by serial_sink_posix.cpp
// (a tty, FIFO or file) or serial_sink_windows.cpp (COM1, a named pipe or a file).

namespace latchwatch::reporting {

SerialLine serial_line_for(const CycleReport& cycle, const std::string& event) {
  const auto& r = cycle.report;
  SerialLine line;
  line.event = event;
  line.verdict = latchwatch::to_string(r.verdict.code);
  line.generated_at = r.generated_at;
  // The same "largest keyIncarnationId seen" a plan reads from a JSON report.
  auto take = [&](const std::optional<std::int64_t>& n) {
    if (n && *n >= 0 && (!line.incarnation || *n > *line.incarnation)) line.incarnation = n;
  };
  if (r.remedy) take(r.remedy->current_incarnation);
  if (r.resolved) {
    take(r.resolved->new_incarnation);
    take(r.resolved->old_incarnation);
  }
  if (r.remedy) line.next_incarnation = r.remedy->next_incarnation;
  line.vm_id = r.identity.vm_id;
  line.smbios_uuid = r.identity.smbios_uuid;
  line.source = r.identity.moved_to_other_vm ? "moved" : r.identity.source;
  line.source_age_seconds = r.identity.age_seconds;
  line.resource_id = r.identity.resource_id;
  if (!cycle.host.empty() && cycle.host != r.identity.name) line.host = cycle.host;
  return line;
}

PublishResult SerialSink::publish(const CycleReport& report) {
  const auto now = report.finished;
  const bool firing = !report.pending && report.key_alert_firing() &&
                      report.report.verdict.code == report.confirmed;
  std::string event;
  if (report.transition != Transition::unchanged) {
    event = to_string(report.transition);
  } else if (firing) {
    // A wall clock that went back (a resumed VM) makes the reminder due rather than silent.
    bool due = !last_key_line_ || now < *last_key_line_ ||
               now - *last_key_line_ >= options_.reminder_interval;
    if (!due) return {};
    event = "reminder";
  } else {
    return {};
  }
  PublishResult result;
  bool written =
      write_line(format_serial_line(serial_line_for(report, event), options_.max_line), result);
  if (!firing)
    last_key_line_.reset();
  else if (written)
    last_key_line_ = now;  // a dropped line leaves the reminder due: tried again next cycle
  return result;
}

}  // namespace latchwatch::reporting
