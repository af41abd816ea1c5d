#include <windows.h>

#include "probes/local/uptime.h"

namespace latchwatch::probes {

/// GetTickCount64 counts milliseconds since boot, time asleep or hibernated included (as
/// CLOCK_BOOTTIME does on Linux), and never wraps.
std::optional<double> read_system_uptime(std::string& /*error*/) {
  return static_cast<double>(::GetTickCount64()) / 1000.0;
}

}  // namespace latchwatch::probes
