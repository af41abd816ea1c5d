#pragma once
/// Reading what a running daemon left in its state folder, for tests that synchronise on it.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace latchwatch::testing {

/// Every complete line of STATE/history.jsonl, oldest first; a line being written is skipped.
std::vector<nlohmann::json> read_history(const std::string& state_dir);

/// STATE/report.json, or an empty object while it does not exist or is not whole.
nlohmann::json read_report(const std::string& state_dir);

}  // namespace latchwatch::testing
