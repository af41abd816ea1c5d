#pragma once
/// latchwatch's command line: subcommands, shared flags, usage text. `main` only calls run_cli.

#include <string>
#include <vector>

namespace latchwatch::agent {

/// Exit codes follow the monitoring-plugin convention: 0 ok, 1 warning, 2 critical, 3 unknown
/// (also for usage and configuration errors).
constexpr int kExitUsage = 3;

int run_cli(const std::vector<std::string>& args);

/// The usage text, listing every subcommand and flag (from the option table).
std::string usage_text();

}  // namespace latchwatch::agent
