// The message table built into latchwatch.exe (packaging/windows/messages.mc): Event Viewer
// formats each latchwatch event with it, so every id the sinks report must have a message that
// shows the event's text whole.
#include <windows.h>

#include <gtest/gtest.h>

#include <string>

#include "tests/support/test_support.h"

namespace latchwatch {
namespace {

std::wstring widen(const std::string& text) {
  int n = ::MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), nullptr, 0);
  std::wstring wide(static_cast<std::size_t>(n), L'\0');
  ::MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), wide.data(), n);
  return wide;
}

TEST(EventLogMessageTable, EveryReportedIdFormatsTheEventsTextWhole) {
  HMODULE exe = ::LoadLibraryExW(widen(LATCHWATCH_BINARY).c_str(), nullptr,
                                 LOAD_LIBRARY_AS_DATAFILE | LOAD_LIBRARY_AS_IMAGE_RESOURCE);
  ASSERT_NE(exe, nullptr) << "cannot load " << LATCHWATCH_BINARY << ": " << ::GetLastError();
  const wchar_t* text = L"LATCHWATCH CRITICAL - key_lost: the owner resets the key";
  for (DWORD id : {1000u, 1001u, 1002u, 1003u}) {
    DWORD_PTR args[] = {reinterpret_cast<DWORD_PTR>(text)};
    wchar_t buffer[512] = {};
    DWORD n = ::FormatMessageW(FORMAT_MESSAGE_FROM_HMODULE | FORMAT_MESSAGE_ARGUMENT_ARRAY, exe, id,
                               0, buffer, 512, reinterpret_cast<va_list*>(args));
    ASSERT_NE(n, 0u) << "no message for event id " << id << ": " << ::GetLastError();
    std::wstring formatted(buffer, n);
    while (!formatted.empty() && (formatted.back() == L'\n' || formatted.back() == L'\r'))
      formatted.pop_back();
    EXPECT_EQ(formatted, text) << "event id " << id;
  }
  wchar_t unused[64] = {};
  EXPECT_EQ(::FormatMessageW(FORMAT_MESSAGE_FROM_HMODULE | FORMAT_MESSAGE_IGNORE_INSERTS, exe, 999,
                             0, unused, 64, nullptr),
            0u)
      << "an id nobody reports has no message";
  ::FreeLibrary(exe);
}

}  // namespace
}  // namespace latchwatch
