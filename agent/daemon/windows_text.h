#pragma once
/// UTF-8 <-> UTF-16 at the boundary of the wide-char Windows APIs, and the text of a Win32 error
/// code. Windows only (included by the daemon's *_windows.cpp files).

#include <windows.h>

#include <string>

#include "probes/os/wide_text.h"

namespace latchwatch::agent::win {

// One UTF-8 <-> UTF-16 conversion for every Windows file (probes/os/wide_text_windows.cpp).
using probes::windows::narrow;
using probes::windows::widen;

/// "text (code N)" for a GetLastError() value.
inline std::string error_text(DWORD code) {
  wchar_t* buffer = nullptr;
  DWORD size = ::FormatMessageW(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
      nullptr, code, 0, reinterpret_cast<wchar_t*>(&buffer), 0, nullptr);
  std::string text = size > 0 && buffer ? narrow(std::wstring(buffer, size)) : "";
  if (buffer) ::LocalFree(buffer);
  while (!text.empty() &&
         (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' || text.back() == '.'))
    text.pop_back();
  return (text.empty() ? "error" : text) + " (code " + std::to_string(code) + ")";
}

}  // namespace latchwatch::agent::win
