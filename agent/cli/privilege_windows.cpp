#include "agent/cli/privilege.h"

namespace latchwatch::agent {

// The service runs as LocalSystem; an interactive check needs an elevated prompt, which Windows
// itself reports when the key folder's ACL refuses the listing.
std::string missing_privilege(const Config&) { return {}; }

}  // namespace latchwatch::agent
