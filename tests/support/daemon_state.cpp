#include "tests/support/daemon_state.h"

#include <fstream>

#include "tests/support/test_support.h"

namespace latchwatch::testing {

std::vector<nlohmann::json> read_history(const std::string& state_dir) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(state_dir + "/history.jsonl");
  for (std::string line; std::getline(in, line);) {
    auto doc = nlohmann::json::parse(line, nullptr, false);
    if (!doc.is_discarded()) lines.push_back(doc);
  }
  return lines;
}

nlohmann::json read_report(const std::string& state_dir) {
  auto doc = nlohmann::json::parse(read_file(state_dir + "/report.json"), nullptr, false);
  return doc.is_discarded() ? nlohmann::json::object() : doc;
}

}  // namespace latchwatch::testing
