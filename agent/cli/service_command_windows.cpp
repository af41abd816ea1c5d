#include <filesystem>
#include <iostream>
#include <system_error>

#include "agent/cli/cli.h"
#include "agent/cli/service_command.h"
#include "agent/cli/windows_service.h"
#include "agent/config/config.h"

namespace latchwatch::agent {
namespace {

int usage(const std::string& message) {
  std::cerr << "latchwatch: " << message << "\n(see latchwatch --help)\n";
  return kExitUsage;
}

int install(const std::vector<std::string>& args) {
  ServiceSpec spec;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      spec.config_file = args[++i];
    } else {
      return usage("service install takes only --config FILE");
    }
  }
  if (!spec.config_file.empty()) {
    // The service starts in System32: the path it is given must be absolute, and the file
    // must load now rather than fail at every start.
    std::error_code ec;
    auto absolute = std::filesystem::absolute(std::filesystem::u8path(spec.config_file), ec);
    if (ec) return usage(spec.config_file + ": " + ec.message());
    spec.config_file = absolute.u8string();
    Config check;
    if (auto error = load_config_file(spec.config_file, check); !error.empty()) return usage(error);
  }
  if (auto error = install_service(spec); !error.empty()) {
    std::cerr << "latchwatch: service install: " << error << "\n";
    return kExitUsage;
  }
  std::cout << "installed service " << spec.name << ": " << service_command_line(spec)
            << "\nstart it with: sc.exe start " << spec.name << "\n";
  return 0;
}

int uninstall(const std::vector<std::string>& args) {
  if (!args.empty()) return usage("service uninstall takes no arguments");
  bool not_installed = false;
  if (auto error = uninstall_service(kServiceName, not_installed); !error.empty()) {
    std::cerr << "latchwatch: service uninstall: " << error << "\n";
    return kExitUsage;
  }
  std::cout << (not_installed ? "service latchwatch was not installed\n"
                              : "service latchwatch stopped and removed\n");
  return 0;
}

}  // namespace

int service_command(const std::vector<std::string>& args) {
  if (!args.empty() && args[0] == "install") return install({args.begin() + 1, args.end()});
  if (!args.empty() && args[0] == "uninstall") return uninstall({args.begin() + 1, args.end()});
  return usage("service needs 'install [--config FILE]' or 'uninstall'");
}

int run_service(const ConfigLoader& load) { return run_as_windows_service(load); }

}  // namespace latchwatch::agent
