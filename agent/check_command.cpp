#include <iostream>

#include "agent/check_cycle.h"
#include "agent/commands.h"
#include "reporting/human_report.h"

namespace latchwatch::agent {

int check_command(const Config& config, const OutputOptions& output) {
  auto report = run_check_cycle(config, std::chrono::system_clock::now());
  if (output.json)
    std::cout << diagnosis::report_document(report).dump(2, ' ', false,
                                                         nlohmann::json::error_handler_t::replace)
              << std::endl;
  else
    std::cout << reporting::render_human(report, output.color) << std::flush;
  return diagnosis::exit_code(report.verdict.severity);
}

int explain_command(const std::string& code) {
  auto verdict = diagnosis::verdict_from_string(code);
  if (!verdict) {
    std::cerr << "latchwatch: unknown verdict '" << code << "'; known verdicts:";
    for (const auto& entry : diagnosis::verdict_catalogue()) std::cerr << " " << entry.name;
    std::cerr << "\n";
    return 3;
  }
  std::cout << reporting::render_explanation(diagnosis::info(*verdict));
  return 0;
}

}  // namespace latchwatch::agent
