#include "reporting/sinks/log_sink.h"

#include <spdlog/spdlog.h>

namespace latchwatch::reporting {

std::string transition_line(const CycleReport& report, std::size_t max_len) {
  const auto& v = report.report.verdict;
  auto ascii = [](const std::string& text) {
    std::string out;
    for (char c : text)
      out +=
          (static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f) ? c : '?';
    return out;
  };
  std::string head = std::string(latchwatch::to_string(report.confirmed)) + " " +
                     latchwatch::to_string(latchwatch::info(report.confirmed).severity) + " " +
                     to_string(report.transition) + ": ";
  // The reset is what the owner acts on: when the line is too long the summary gives way, never
  // the reset value.
  std::string reset;
  if (report.report.remedy && report.report.remedy->next_incarnation)
    reset =
        " reset: keyIncarnationId -> " + std::to_string(*report.report.remedy->next_incarnation);
  std::string summary = ascii(v.summary);
  std::size_t room =
      max_len > head.size() + reset.size() ? max_len - head.size() - reset.size() : 0;
  if (summary.size() > room) summary = room > 3 ? summary.substr(0, room - 3) + "..." : "";
  return ascii(head) + summary + reset;
}

PublishResult LogSink::publish(const CycleReport& report) {
  if (report.transition == Transition::unchanged) {
    spdlog::debug("cycle {}: {}{}", report.cycle, latchwatch::to_string(report.report.verdict.code),
                  report.pending ? " (key verdict pending confirmation)" : "");
    return {};
  }
  auto line = transition_line(report, 1024);  // the journal keeps long lines whole
  if (report.has_confirmed &&
      latchwatch::info(report.confirmed).severity >= latchwatch::Severity::critical)
    spdlog::error("{}", line);
  else if (report.transition == Transition::fired)
    spdlog::warn("{}", line);
  else
    spdlog::info("{}", line);
  return {};
}

}  // namespace latchwatch::reporting
