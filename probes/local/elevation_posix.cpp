#include <unistd.h>

#include "probes/local/elevation.h"

namespace latchwatch::probes {

bool running_elevated() { return ::geteuid() == 0; }

}  // namespace latchwatch::probes
