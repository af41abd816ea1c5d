#include "probes/local/uptime.h"

namespace latchwatch::probes {

std::optional<double> read_system_uptime(std::string& error) {
  return read_uptime_file("/proc/uptime", error);
}

}  // namespace latchwatch::probes
