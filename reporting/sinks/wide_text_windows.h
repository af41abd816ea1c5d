#pragma once
/// UTF-8 <-> UTF-16 at the Windows API boundary, for the reporting library's *_windows.cpp files
/// only. Invalid input becomes U+FFFD (MultiByteToWideChar's default), never an exception.

#include <windows.h>

#include <string>

#include "probes/os/wide_text.h"

namespace latchwatch::reporting {

// One UTF-8 <-> UTF-16 conversion for every Windows file (probes/os/wide_text_windows.cpp).
using probes::windows::narrow;
using probes::windows::widen;

/// The system's message for a Win32 error code, one line, with the code.
inline std::string win32_message(DWORD code) {
  wchar_t* buffer = nullptr;
  DWORD length = FormatMessageW(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
      nullptr, code, 0, reinterpret_cast<wchar_t*>(&buffer), 0, nullptr);
  std::string text = length && buffer ? narrow(std::wstring(buffer, length)) : std::string();
  if (buffer) LocalFree(buffer);
  while (!text.empty() &&
         (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' || text.back() == '.'))
    text.pop_back();
  return (text.empty() ? std::string("error") : text) + " (" + std::to_string(code) + ")";
}

}  // namespace latchwatch::reporting
