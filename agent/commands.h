#pragma once
/// The subcommands. Each takes its already-parsed configuration and returns the exit code.

#include <string>

#include "agent/config.h"

namespace latchwatch::agent {

struct OutputOptions {
  bool json = false;
  bool color = false;  ///< only when stdout is a terminal, unless --no-color
};

int check_command(const Config& config, const OutputOptions& output);
int explain_command(const std::string& code);

}  // namespace latchwatch::agent
