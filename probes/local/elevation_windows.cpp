#include <windows.h>

#include "probes/local/elevation.h"

namespace latchwatch::probes {

/// The token's Administrators group is enabled only when elevated (UAC filters it otherwise);
/// LocalSystem, which a service runs as, has it enabled. CheckTokenMembership(nullptr, ...)
/// checks the calling thread's effective token.
bool running_elevated() {
  SID_IDENTIFIER_AUTHORITY nt_authority = SECURITY_NT_AUTHORITY;
  PSID administrators = nullptr;
  if (!::AllocateAndInitializeSid(&nt_authority, 2, SECURITY_BUILTIN_DOMAIN_RID,
                                  DOMAIN_ALIAS_RID_ADMINS, 0, 0, 0, 0, 0, 0, &administrators))
    return false;
  BOOL member = FALSE;
  if (!::CheckTokenMembership(nullptr, administrators, &member)) member = FALSE;
  ::FreeSid(administrators);
  return member != FALSE;
}

}  // namespace latchwatch::probes
