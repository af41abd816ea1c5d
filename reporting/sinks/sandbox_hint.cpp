#include "reporting/sinks/sandbox_hint.h"

#include <cstdlib>

namespace latchwatch::reporting {

std::string with_sandbox_hint(const std::string& error, bool systemd) {
  if (!systemd) return error;
  if (error.find("Read-only file system") != std::string::npos)
    return error +
           " (the unit's sandbox, ProtectSystem=strict: add the folder with 'ReadWritePaths=' "
           "in `systemctl edit latchwatch`; a folder created after latchwatch started stays "
           "read-only until `systemctl restart latchwatch`)";
  if (error.find("Operation not permitted") != std::string::npos)
    return error +
           " (the unit's sandbox, IPAddressDeny=any: add the address with 'IPAddressAllow=' in "
           "`systemctl edit latchwatch`, and the DNS servers' when the sink is named by host)";
  return error;
}

bool under_systemd() {
  const char* id = std::getenv("INVOCATION_ID");
  return id && *id;
}

}  // namespace latchwatch::reporting
