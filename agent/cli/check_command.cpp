#include <spdlog/spdlog.h>
#include <unistd.h>  // STDOUT_FILENO; mingw-w64 has it too

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/cli/logging.h"
#include "agent/cli/plugin_line.h"
#include "agent/cli/privilege.h"
#include "agent/daemon/check_cycle.h"
#include "agent/daemon/publish_once.h"
#include "reporting/report/human_report.h"

namespace latchwatch::agent {
namespace {

std::string perf_ms(const std::string& label, double ms) {
  if (ms < 0) return label + "=U";
  char value[32];
  std::snprintf(value, sizeof value, "%.1f", ms);
  return label + "=" + value + "ms;;;0";
}

std::optional<std::int64_t> reported_incarnation(const latchwatch::Report& report) {
  for (const auto& probe : report.probes) {
    if (probe.target != probes::Target::wireserver_status || !probe.summary.is_object()) continue;
    auto it = probe.summary.find("keyIncarnationId");
    if (it != probe.summary.end() && it->is_number_integer()) return it->get<std::int64_t>();
  }
  if (report.remedy && report.remedy->current_incarnation)
    return report.remedy->current_incarnation;
  return std::nullopt;
}

}  // namespace

std::string plugin_status_line(const latchwatch::Report& report) {
  static const char* const status[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
  int code = latchwatch::exit_code(report.verdict.severity);
  std::string text =
      std::string(latchwatch::to_string(report.verdict.code)) + ": " + report.verdict.summary;
  for (auto& c : text)
    if (c == '|' || static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      c = c == '|' ? '/' : '?';
  std::string line =
      std::string("LATCHWATCH ") + status[code >= 0 && code <= 3 ? code : 3] + " - " + text + " |";
  for (const auto& probe : report.probes)
    line += " " + perf_ms(probes::to_string(probe.target), probe.timings.total_ms);
  line += " " + perf_ms("cycle", report.cycle_wall_ms);
  auto incarnation = reported_incarnation(report);
  line += incarnation ? " incarnation=" + std::to_string(*incarnation) + ";;;0" : " incarnation=U";
  return line;
}

std::string journal_priority(latchwatch::Severity severity) {
  // As the daemon's log sink: critical and unknown at err, warning at warning, ok at info.
  switch (severity) {
    case latchwatch::Severity::ok:
      return "<6>";
    case latchwatch::Severity::warning:
      return "<4>";
    default:
      return "<3>";
  }
}

int check_command(const Config& config, const OutputOptions& output) {
  const bool journal = is_journal_stream(std::getenv("JOURNAL_STREAM"), STDOUT_FILENO);
  if (auto need = missing_privilege(config); !need.empty()) {
    // The monitoring-plugin form, so Nagios-style callers and the timer's journal line agree.
    std::cout << (journal ? "<3>" : "") << "LATCHWATCH UNKNOWN - " << need << "\n";
    return 3;
  }
  const auto started = std::chrono::system_clock::now();
  if (output.publish) {
    // One line per run: only problems besides it (sink failures at warning).
    auto logger = spdlog::default_logger();
    if (logger && logger->level() < spdlog::level::warn) logger->set_level(spdlog::level::warn);
    auto report = run_check_cycle(config, started);
    auto published = publish_once(config, report, started);
    if (!published.error.empty()) {
      std::cout << (journal ? "<3>" : "")
                << "LATCHWATCH UNKNOWN - nothing published: " << published.error << "\n";
      return 3;
    }
    std::cout << (journal ? journal_priority(report.verdict.severity) : "")
              << plugin_status_line(report) << std::endl;
    return latchwatch::exit_code(report.verdict.severity);
  }
  auto report = run_check_cycle(config, started);
  if (output.json) {
    std::cout << latchwatch::report_document(report).dump(2, ' ', false,
                                                          nlohmann::json::error_handler_t::replace)
              << std::endl;
  } else {
    // The table's own first line restates the verdict; the plugin line takes its place.
    std::string table = reporting::render_human(report, output.color);
    auto first_line_end = table.find('\n');
    std::cout << plugin_status_line(report) << "\n"
              << (first_line_end == std::string::npos ? std::string()
                                                      : table.substr(first_line_end + 1))
              << std::flush;
  }
  return latchwatch::exit_code(report.verdict.severity);
}

int explain_command(const std::string& code) {
  auto verdict = latchwatch::verdict_from_string(code);
  if (!verdict) {
    std::cerr << "latchwatch: unknown verdict '" << code << "'; known verdicts:";
    for (const auto& entry : latchwatch::verdict_catalogue()) std::cerr << " " << entry.name;
    std::cerr << "\n";
    return 3;
  }
  std::cout << reporting::render_explanation(latchwatch::info(*verdict));
  return 0;
}

}  // namespace latchwatch::agent
