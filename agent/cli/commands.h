#pragma once
/// The subcommands. Each takes its already-parsed configuration and returns the exit code.

#include <string>
#include <vector>

#include "agent/config/config.h"

namespace latchwatch::agent {

struct OutputOptions {
  bool json = false;
  bool color = false;  ///< only when stdout is a terminal, unless --no-color
};

int check_command(const Config& config, const OutputOptions& output);
int explain_command(const std::string& code);
/// `plan resets ...` and `plan cmk-rotation ...`; `args` follow the word "plan".
int plan_command(const std::vector<std::string>& args);

}  // namespace latchwatch::agent
