// Secret files on Windows: opened without following a reparse point (through the bounded
// reader's open file), a regular file, and a DACL that grants no read or write right to
// Everyone, Users or Authenticated Users. The DACL is read from the open handle, so the file
// checked is the file read.

// The project's headers first: <aclapi.h> brings objbase.h, whose `interface` macro would
// break a field of that name in probes/local/host_facts.h.
#include <windows.h>

#include <aclapi.h>

#include "agent/config/secret_file.h"
#include "probes/os/bounded_file.h"
#include "probes/os/wide_text.h"

namespace latchwatch::agent::detail {
namespace {

constexpr ACCESS_MASK kReadOrWrite = FILE_READ_DATA | FILE_WRITE_DATA | FILE_APPEND_DATA |
                                     GENERIC_READ | GENERIC_WRITE | GENERIC_ALL | WRITE_DAC |
                                     WRITE_OWNER;

struct WideGroup {
  WELL_KNOWN_SID_TYPE type;
  const char* name;
};

/// The first wide group the DACL lets read or write the file, or nullptr.
const char* wide_group_allowed(const ACL* dacl) {
  static const WideGroup kGroups[] = {{WinWorldSid, "Everyone"},
                                      {WinBuiltinUsersSid, "Users"},
                                      {WinAuthenticatedUserSid, "Authenticated Users"}};
  for (DWORD i = 0; i < dacl->AceCount; ++i) {
    void* ace = nullptr;
    if (!::GetAce(const_cast<ACL*>(dacl), i, &ace)) continue;
    const auto* header = static_cast<const ACE_HEADER*>(ace);
    if (header->AceType != ACCESS_ALLOWED_ACE_TYPE || (header->AceFlags & INHERIT_ONLY_ACE))
      continue;
    const auto* allowed = static_cast<const ACCESS_ALLOWED_ACE*>(ace);
    if ((allowed->Mask & kReadOrWrite) == 0) continue;
    PSID sid = const_cast<DWORD*>(&allowed->SidStart);
    for (const auto& group : kGroups)
      if (::IsWellKnownSid(sid, group.type)) return group.name;
  }
  return nullptr;
}

}  // namespace

std::string read_guarded_secret(const std::string& where, const std::string& path,
                                std::size_t limit, std::string& content) {
  probes::detail::ReadOnlyFile file(path, probes::FinalLink::refuse);
  if (file.state() != probes::ReadState::ok) return where + " cannot be opened: " + file.error();
  probes::detail::OpenFileFacts facts;
  std::string error;
  if (!file.facts(facts, error)) return where + " cannot be examined: " + error;
  if (!facts.regular) return where + " is not a regular file";

  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR descriptor = nullptr;
  DWORD code =
      ::GetSecurityInfo(reinterpret_cast<HANDLE>(file.native()), SE_FILE_OBJECT,
                        DACL_SECURITY_INFORMATION, nullptr, nullptr, &dacl, nullptr, &descriptor);
  if (code != ERROR_SUCCESS)
    return where + " cannot be examined: " + probes::windows::error_text(code);
  const char* group = dacl ? wide_group_allowed(dacl) : "Everyone (no DACL)";
  ::LocalFree(descriptor);
  if (group)
    return where + " lets " + group +
           " read or write it: only SYSTEM, Administrators and the service may (icacls \"" + path +
           "\" /inheritance:r /grant:r SYSTEM:F Administrators:F)";
  if (facts.size > limit) return where + " is larger than 4 KiB";

  content.resize(limit + 1);
  std::size_t used = 0;
  while (used < content.size()) {
    long long n = file.read(&content[used], content.size() - used, error);
    if (n < 0) {
      content.clear();
      return where + " cannot be read: " + error;
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  content.resize(used);
  return {};
}

}  // namespace latchwatch::agent::detail
