#include "agent/cli/logging.h"

namespace latchwatch::agent {

std::string log_pattern(bool journal) {
  return journal ? "%*%v" : "latchwatch %Y-%m-%dT%H:%M:%S.%e %l: %v";
}

}  // namespace latchwatch::agent
