// latchwatch-fabric-sim: the fabric simulator as a process, for `make demo` and runs by hand.
// Prints where everything is (one JSON line, also written atomically to --ports-file once every
// port is bound), serves until SIGINT/SIGTERM, then exits 0. Bad arguments: one line, exit 2.

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>

#include "tests/fabric_sim/fabric_simulator.h"
#include "tests/fabric_sim/scenarios.h"

namespace {

using latchwatch::sim::FabricSimulator;
using json = nlohmann::json;

constexpr const char* kUsage =
    "usage: latchwatch-fabric-sim [--scenario NAME] [--gpa-dir DIR] [--ports-file FILE] "
    "[--request-log FILE] [--drip-ms N] [--gpa-version 1.0.N] | --list";

struct Args {
  latchwatch::sim::SimulatorOptions options;
  std::string ports_file;
  std::string request_log;
  std::string gpa_version;  ///< --gpa-version: the scenario as that GPA release behaves
  bool list = false;
  bool help = false;
};

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

long parse_positive(const std::string& flag, const std::string& text) {
  std::size_t used = 0;
  long value = 0;
  try {
    value = std::stol(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || value <= 0)
    throw UsageError(flag + " wants a positive number of milliseconds, got '" + text + "'");
  return value;
}

Args parse_args(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--list") {
      args.list = true;
      continue;
    }
    if (flag == "--help" || flag == "-h") {
      args.help = true;
      continue;
    }
    if (i + 1 >= argc) throw UsageError(flag + " needs a value (or is unknown)");
    const std::string value = argv[++i];
    if (flag == "--scenario") {
      if (!latchwatch::sim::find_scenario(value))
        throw UsageError("--scenario: unknown scenario '" + value + "' (see --list)");
      args.options.scenario = value;
    } else if (flag == "--gpa-dir") {
      args.options.gpa_dir = value;
    } else if (flag == "--ports-file") {
      args.ports_file = value;
    } else if (flag == "--request-log") {
      args.request_log = value;
    } else if (flag == "--gpa-version") {
      // The same as naming the scenario NAME@VERSION.
      const std::string base = args.options.scenario.substr(0, args.options.scenario.find('@'));
      if (!latchwatch::sim::find_scenario(base + "@" + value))
        throw UsageError("--gpa-version: not a GPA release from 1.0.13 to 1.0.47: '" + value + "'");
      args.gpa_version = value;
    } else if (flag == "--drip-ms") {
      args.options.drip_interval = std::chrono::milliseconds(parse_positive(flag, value));
    } else {
      throw UsageError("unknown flag " + flag);
    }
  }
  if (!args.gpa_version.empty()) {
    const std::string base = args.options.scenario.substr(0, args.options.scenario.find('@'));
    args.options.scenario = base + "@" + args.gpa_version;
  }
  return args;
}

json describe(const FabricSimulator& sim) {
  return json{{"scenario", sim.scenario()},         {"wireserver", sim.wireserver().to_string()},
              {"hostga", sim.hostga().to_string()}, {"imds", sim.imds().to_string()},
              {"gpa", sim.gpa().to_string()},       {"control", sim.control().to_string()},
              {"key_dir", sim.key_dir()},           {"status_file", sim.status_file()},
              {"unit_file", sim.unit_file()},       {"binary", sim.binary()},
              {"smbios_file", sim.smbios_file()},   {"check_flags", sim.check_flags()}};
}

/// Temp file + rename: whoever polls for the ports file never reads half of it.
void write_atomically(const std::string& path, const std::string& content) {
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::trunc);
    out << content;
    if (!out.flush()) throw std::runtime_error("cannot write " + temp);
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    throw std::runtime_error("cannot rename " + temp + " to " + path);
  }
}

int run(const Args& args) {
  std::ofstream request_log;
  auto options = args.options;
  if (!args.request_log.empty()) {
    request_log.open(args.request_log, std::ios::trunc);
    if (!request_log) throw std::runtime_error("cannot open request log " + args.request_log);
    // One JSON line per request as it arrives, flushed: a killed simulator still leaves a log.
    options.on_request = [&request_log](const latchwatch::sim::LoggedRequest& request) {
      request_log << json(request).dump() << '\n' << std::flush;
    };
  }

  // Signals first, so a SIGTERM sent the moment the ports file appears is a clean stop.
  boost::asio::io_context ioc;
  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([](const boost::system::error_code&, int) {});

  FabricSimulator sim(options);
  sim.start();
  const std::string line = describe(sim).dump();
  if (!args.ports_file.empty()) write_atomically(args.ports_file, line + "\n");
  std::cout << line << std::endl;

  ioc.run();  // returns once the signal arrived
  sim.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  try {
    args = parse_args(argc, argv);
  } catch (const UsageError& e) {
    std::cerr << "latchwatch-fabric-sim: " << e.what() << "\n";
    return 2;
  }
  if (args.help) {
    std::cout << kUsage << "\n";
    return 0;
  }
  if (args.list) {
    for (const auto& name : FabricSimulator::scenario_names()) std::cout << name << "\n";
    return 0;
  }
  try {
    return run(args);
  } catch (const std::exception& e) {
    std::cerr << "latchwatch-fabric-sim: " << e.what() << "\n";
    return 1;
  }
}
