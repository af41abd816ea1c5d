#include "reporting/sinks/log_sink.h"

#include <spdlog/spdlog.h>

namespace latchwatch::reporting {

std::string transition_line(const CycleReport& report, std::size_t max_len) {
  const auto& v = report.report.verdict;
  std::string line = std::string(diagnosis::to_string(report.confirmed)) + " " +
                     diagnosis::to_string(diagnosis::info(report.confirmed).severity) + " " +
                     to_string(report.transition) + ": " + v.summary;
  if (report.report.remedy && report.report.remedy->next_incarnation)
    line += " reset: keyIncarnationId -> " + std::to_string(*report.report.remedy->next_incarnation);
  std::string ascii;
  for (char c : line) ascii += (static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f) ? c : '?';
  if (ascii.size() > max_len) ascii = ascii.substr(0, max_len - 3) + "...";
  return ascii;
}

PublishResult LogSink::publish(const CycleReport& report) {
  if (report.transition == Transition::unchanged) {
    spdlog::debug("cycle {}: {}{}", report.cycle, diagnosis::to_string(report.report.verdict.code),
                  report.pending ? " (key verdict pending confirmation)" : "");
    return {};
  }
  auto line = transition_line(report);
  if (report.has_confirmed && diagnosis::info(report.confirmed).severity >= diagnosis::Severity::critical)
    spdlog::error("{}", line);
  else if (report.transition == Transition::fired)
    spdlog::warn("{}", line);
  else
    spdlog::info("{}", line);
  return {};
}

}  // namespace latchwatch::reporting
