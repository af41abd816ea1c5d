#include "agent/cli/cli.h"

#include <unistd.h>  // isatty; mingw-w64 has it too (io.h underneath)

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "agent/cli/colour.h"
#include "agent/cli/commands.h"
#include "agent/cli/logging.h"
#include "agent/cli/portable_runtime.h"
#include "agent/cli/service_command.h"
#include "agent/config/config.h"
#include "agent/daemon/run_loop.h"

namespace latchwatch::agent {
namespace {

struct ParsedArgs {
  std::string command;
  std::vector<std::string> positional;
  Config config;
  OutputOptions output;
  bool no_color = false;
  bool service = false;  ///< run --service: under the Windows service manager
  std::string error;
};

/// Applies --config first (wherever it stands), then every other flag over it.
ParsedArgs parse_args(const std::vector<std::string>& args) {
  ParsedArgs parsed;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] != "--config") continue;
    if (i + 1 >= args.size()) {
      parsed.error = "--config needs a FILE";
      return parsed;
    }
    parsed.error = load_config_file(args[i + 1], parsed.config);
    if (!parsed.error.empty()) return parsed;
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--config") {
      ++i;
    } else if (arg == "--json") {
      parsed.output.json = true;
    } else if (arg == "--publish") {
      parsed.output.publish = true;
    } else if (arg == "--no-color") {
      parsed.no_color = true;
    } else if (arg == "--service") {
      parsed.service = true;
    } else if (arg.rfind("--", 0) == 0) {
      std::string flag = arg;
      std::string value;
      auto eq = arg.find('=');
      if (eq != std::string::npos) {
        flag = arg.substr(0, eq);
        value = arg.substr(eq + 1);
      } else if (!is_config_flag(flag)) {
        parsed.error = "unknown flag " + flag;
        return parsed;
      } else if (i + 1 >= args.size()) {
        parsed.error = flag + " needs a value";
        return parsed;
      } else {
        value = args[++i];
      }
      parsed.error = apply_flag(flag, value, parsed.config);
      if (!parsed.error.empty()) return parsed;
    } else if (parsed.command.empty()) {
      parsed.command = arg;
    } else {
      parsed.positional.push_back(arg);
    }
  }
  // Flags may change what the file set: the same refusals as `config validate` (issue 26).
  if (parsed.error = config_error(parsed.config); !parsed.error.empty()) return parsed;
  parsed.output.color =
      !parsed.no_color && !parsed.output.json &&
      colour_allowed(::isatty(STDOUT_FILENO) == 1, std::getenv("NO_COLOR"), std::getenv("TERM"));
  return parsed;
}

/// check, run and config show read the installed config when no --config is given, so a
/// hand-run check sees what the daemon sees.
bool reads_default_config(const ParsedArgs& parsed, const std::vector<std::string>& args) {
  if (std::find(args.begin(), args.end(), "--config") != args.end()) return false;
  bool wants = parsed.command == "check" || parsed.command == "run" ||
               parsed.command == "withdraw" ||
               (parsed.command == "config" && parsed.positional.size() == 1 &&
                parsed.positional[0] == "show");
  std::error_code ec;  // like lstat: a link counts as there, even if dangling
  namespace fs = std::filesystem;
  return wants && fs::exists(fs::symlink_status(kDefaultConfigPath, ec));
}

/// Under systemd the line goes to the journal at err (`<3>`), not at the stream's default info:
/// a config error at start or reload is where operators look for it.
const char* error_priority() {
  return is_journal_stream(std::getenv("JOURNAL_STREAM"), STDERR_FILENO) ? "<3>" : "";
}

int usage_error(const std::string& message) {
  std::cerr << error_priority() << "latchwatch: " << message << "\n"
            << error_priority() << "(see latchwatch --help)\n";
  return kExitUsage;
}

}  // namespace

std::string usage_text() {
  std::string text =
      "usage: latchwatch COMMAND [FLAGS]\n"
      "\n"
      "Watches the Guest Proxy Agent's latched key from inside an Azure VM, tells a lost or\n"
      "mismatched key apart from network, throttling and agent faults, and prints the key\n"
      "reset the VM owner must run from outside. It never resets, acquires or reads a key.\n"
      "\n"
      "commands:\n"
      "  check               probe once, print the diagnosis, exit 0/1/2/3\n"
      "  check --publish     the same, and hand it to the sinks once (report, textfile, KVP,\n"
      "                      serial, Alertmanager, webhook) as run does; prints one line\n"
      "  run                 the daemon: probe every interval, push transitions to the sinks\n"
      "  run --service       the same, started by the Windows service manager\n"
      "  service install [--config FILE]   Windows: install the latchwatch service\n"
      "  service uninstall   Windows: stop and remove the latchwatch service\n"
      "  explain CODE        what a verdict means and what the owner does\n"
      "  plan resets REPORT...   the fleet's key-reset plan from collected reports (also\n"
      "                          --boot-logs, --resource-graph, --activity-log, --html)\n"
      "  plan cmk-rotation --vms F --disks F --des F [--vmss F]... [--associated F]\n"
      "                    [--new-key-url URL | --before F]\n"
      "                      the CMK rotation plan for confidential VMs on one DES\n"
      "  withdraw            remove what latchwatch published (textfile, KVP records, report)\n"
      "  config validate FILE  check a config file\n"
      "  config show         print the effective config (secrets masked)\n"
      "  config keys         list every config key with its flag, default and meaning\n"
      "  --version           print the version\n"
      "  --help              print this text\n"
      "\n"
      "flags:\n"
      "  --config FILE       read options from a JSON config file (flags override it)\n"
      "  --json              print one JSON document instead of the table\n"
      "  --publish           check: publish to the sinks once (the timer alternative)\n"
      "  --no-color          no colour even on a terminal\n";
  for (const auto& spec : option_table()) {
    if (spec.flag.empty()) continue;
    std::string left = "  " + spec.flag + " VALUE";
    if (left.size() < 28) left.resize(28, ' ');
    text += left + spec.help + " (config: " + spec.key + ")\n";
  }
  text += "\nexit codes: 0 ok, 1 warning, 2 critical, 3 unknown or usage error\n";
  return text;
}

int run_cli(const std::vector<std::string>& args) {
  prepare_portable_runtime();
  if (args.empty()) return usage_error("no command given");
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << usage_text();
    return 0;
  }
  if (args[0] == "--version") {
    std::cout << "latchwatch " << LATCHWATCH_VERSION << "\n";
    return 0;
  }
  // Plans read the owner's files, not the agent's config: their flags are their own.
  if (args[0] == "plan") return plan_command({args.begin() + 1, args.end()});
  if (args[0] == "service") return service_command({args.begin() + 1, args.end()});
  ParsedArgs parsed = parse_args(args);
  std::vector<std::string> effective_args = args;
  if (parsed.error.empty() && reads_default_config(parsed, args)) {
    effective_args.insert(effective_args.end(), {"--config", kDefaultConfigPath});
    parsed = parse_args(effective_args);
  }
  if (!parsed.error.empty() && parsed.command.empty() && !args.empty() && args[0] == "withdraw") {
    // The package's remove script calls withdraw: a broken config falls back to the defaults
    // (the paths latchwatch publishes to unless told otherwise) rather than leave signals.
    std::cerr << "latchwatch: warning: " << parsed.error
              << "; withdrawing from the default paths\n";
    return withdraw_command(Config{});
  }
  if (!parsed.error.empty()) return usage_error(parsed.error);
  if (parsed.service && parsed.command != "run") return usage_error("--service is only for run");
  setup_logging(parsed.config);

  if (parsed.command == "check") {
    if (!parsed.positional.empty()) return usage_error("check takes no arguments");
    return check_command(parsed.config, parsed.output);
  }
  if (parsed.command == "run") {
    if (!parsed.positional.empty()) return usage_error("run takes no arguments");
    ConfigLoader load = [effective_args](Config& config) {
      ParsedArgs again = parse_args(effective_args);
      if (again.error.empty()) config = again.config;
      return again.error;
    };
    return parsed.service ? run_service(load) : run_daemon(load);
  }
  if (parsed.command == "withdraw") {
    if (!parsed.positional.empty()) return usage_error("withdraw takes no arguments");
    return withdraw_command(parsed.config);
  }
  if (parsed.command == "explain") {
    if (parsed.positional.size() != 1) return usage_error("explain needs one verdict CODE");
    return explain_command(parsed.positional[0]);
  }
  if (parsed.command == "config") {
    if (parsed.positional.size() == 2 && parsed.positional[0] == "validate") {
      Config fresh;
      if (auto error = load_config_file(parsed.positional[1], fresh); !error.empty()) {
        std::cerr << error_priority() << "latchwatch: " << error << "\n";
        return kExitUsage;
      }
      for (const auto& warning : sandbox_warnings(fresh))
        std::cerr << "latchwatch: warning: " << warning << "\n";
      std::cout << parsed.positional[1] << ": valid\n";
      return 0;
    }
    if (parsed.positional.size() == 1 && parsed.positional[0] == "keys") {
      // Every option, one per line: key, flag, default, help (tab-separated), for docs and tools.
      Config defaults;
      for (const auto& spec : option_table())
        std::cout << spec.key << "\t" << (spec.flag.empty() ? "-" : spec.flag) << "\t"
                  << spec.get(defaults).dump(-1, ' ', false,
                                             nlohmann::json::error_handler_t::replace)
                  << "\t" << spec.help << "\n";
      return 0;
    }
    if (parsed.positional.size() == 1 && parsed.positional[0] == "show") {
      std::cout << effective_config(parsed.config)
                       .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                << "\n";
      return 0;
    }
    return usage_error("config needs 'validate FILE', 'show' or 'keys'");
  }
  return usage_error(parsed.command.empty() ? "no command given"
                                            : "unknown command '" + parsed.command + "'");
}

}  // namespace latchwatch::agent
