#pragma once
/// Test helper: a symbolic link to a folder, made the Windows way (CreateSymbolicLinkW). Under
/// wine 8 CreateSymbolicLinkW is a stub that makes nothing, but wine shows a Unix symlink to a
/// folder as a reparse point (FILE_ATTRIBUTE_REPARSE_POINT), so there the link is made with the
/// host's ln(1), which wine can start. Either way the link is checked to be a reparse point.

#include <windows.h>

#include <string>

#include "probes/os/wide_text.h"

namespace latchwatch::testing {

inline bool is_reparse_point(const std::string& path) {
  DWORD attributes = ::GetFileAttributesW(probes::windows::widen(path).c_str());
  return attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_REPARSE_POINT);
}

/// wine's host path for a Windows path, or empty when not running under wine.
inline std::string wine_unix_path(const std::string& path) {
  using ToUnix = char*(__cdecl*)(const wchar_t*);
  FARPROC proc = ::GetProcAddress(::GetModuleHandleW(L"kernel32.dll"), "wine_get_unix_file_name");
  if (!proc) return {};
  auto to_unix = reinterpret_cast<ToUnix>(reinterpret_cast<void (*)()>(proc));
  char* unix_path = to_unix(probes::windows::widen(path).c_str());
  if (!unix_path) return {};
  std::string result = unix_path;
  ::HeapFree(::GetProcessHeap(), 0, unix_path);
  return result;
}

/// Makes `link` a symbolic link to the folder `target`; false with `why` when this system
/// cannot.
inline bool make_folder_link(const std::string& link, const std::string& target, std::string& why) {
  using probes::windows::widen;
  if (::CreateSymbolicLinkW(
          widen(link).c_str(), widen(target).c_str(),
          SYMBOLIC_LINK_FLAG_DIRECTORY | SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE) &&
      is_reparse_point(link))
    return true;
  why = "CreateSymbolicLinkW: " + probes::windows::error_text(::GetLastError());
  const std::string unix_target = wine_unix_path(target);
  const std::string unix_link = wine_unix_path(link);
  if (unix_target.empty() || unix_link.empty()) return false;
  std::wstring command = widen("Z:\\bin\\ln -s \"" + unix_target + "\" \"" + unix_link + "\"");
  STARTUPINFOW startup{};
  startup.cb = sizeof startup;
  PROCESS_INFORMATION process{};
  if (!::CreateProcessW(nullptr, command.data(), nullptr, nullptr, FALSE, 0, nullptr, nullptr,
                        &startup, &process)) {
    why += "; ln under wine: " + probes::windows::error_text(::GetLastError());
    return false;
  }
  ::WaitForSingleObject(process.hProcess, 30000);
  ::CloseHandle(process.hThread);
  ::CloseHandle(process.hProcess);
  // wine's handle of a host process may be signalled before ln(1) has run: wait for the link
  // itself, with a deadline.
  for (int i = 0; i < 500 && !is_reparse_point(link); ++i) ::Sleep(10);
  if (is_reparse_point(link)) return true;
  why += "; ln under wine made no reparse point";
  return false;
}

}  // namespace latchwatch::testing
