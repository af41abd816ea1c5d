#pragma once
/// The subcommands. Each takes its already-parsed configuration and returns the exit code.

#include <string>
#include <vector>

#include "agent/config/config.h"

namespace latchwatch::agent {

struct OutputOptions {
  bool json = false;
  bool color = false;  ///< only when stdout is a terminal, unless --no-color
  /// check --publish: hand the cycle to the daemon's sinks once (the timer alternative) and print
  /// one line, at the verdict's syslog priority when stdout is the journal.
  bool publish = false;
};

int check_command(const Config& config, const OutputOptions& output);
int explain_command(const std::string& code);
/// `withdraw`: takes back every signal latchwatch published (the node_exporter textfile, its
/// KVP records, the latest report), for the package's remove and erase scripts. 0 when nothing
/// published is left, 1 when something could not be removed (said on stderr).
int withdraw_command(const Config& config);
/// `plan resets ...` and `plan cmk-rotation ...`; `args` follow the word "plan".
int plan_command(const std::vector<std::string>& args);

}  // namespace latchwatch::agent
