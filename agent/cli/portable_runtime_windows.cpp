#include "agent/cli/portable_runtime.h"

namespace latchwatch::agent {

// Windows resolves names and verifies certificates with its own services (WinHTTP, the
// certificate store): nothing to prepare, no CA bundle to find.
void prepare_portable_runtime() {}

const std::vector<std::string>& ca_bundle_candidates() {
  static const std::vector<std::string> none;
  return none;
}

std::string find_ca_bundle(const std::string& /*root*/) { return {}; }

}  // namespace latchwatch::agent
