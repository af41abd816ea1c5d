#pragma once
/// Windows only (wide_text_windows.cpp): the UTF-8 <-> UTF-16 boundary of the file readers and
/// writers, and Windows error codes and file times as latchwatch shows them.

#include <chrono>
#include <cstdint>
#include <string>

namespace latchwatch::probes::windows {

/// UTF-8 to UTF-16 for a ...W call; invalid bytes become U+FFFD.
std::wstring widen(const std::string& utf8);
/// UTF-16 from a ...W call to UTF-8; unpaired surrogates become U+FFFD.
std::string narrow(const std::wstring& wide);

/// FormatMessageW's text for a GetLastError() code, one line, e.g. "Access is denied."
std::string error_text(unsigned long code);

/// A FILETIME (100 ns ticks since 1601-01-01 UTC) as a time point, whole seconds like the
/// POSIX readers' st_mtim.tv_sec.
std::chrono::system_clock::time_point from_file_time(std::uint64_t ticks);

}  // namespace latchwatch::probes::windows
