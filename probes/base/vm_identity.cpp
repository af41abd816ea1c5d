#include "probes/base/vm_identity.h"

#include "probes/base/json_limits.h"

namespace latchwatch {

bool same_vm_id(std::string_view a, std::string_view b) {
  return probes::ascii_lower(a) == probes::ascii_lower(b);
}

}  // namespace latchwatch
