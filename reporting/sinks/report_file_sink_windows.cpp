// append_history_line on Windows: CreateFileW with FILE_APPEND_DATA (every write lands at the
// end, as O_APPEND), opened as a reparse point itself so a planted link is refused rather than
// written through; a partial write is cut back with a second handle.

#include <windows.h>

#include "probes/os/atomic_file.h"
#include "probes/os/wide_text.h"
#include "reporting/sinks/report_file_sink.h"

namespace latchwatch::reporting {
namespace {

using probes::windows::error_text;
using probes::windows::widen;

constexpr DWORD kShareAll = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;

/// Cuts `path` back to `size` bytes (a partial line must not stay for readers).
void cut_back(const std::wstring& path, std::uint64_t size) {
  HANDLE file = ::CreateFileW(path.c_str(), GENERIC_WRITE, kShareAll, nullptr, OPEN_EXISTING,
                              FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
  if (file == INVALID_HANDLE_VALUE) return;
  LARGE_INTEGER at{};
  at.QuadPart = static_cast<LONGLONG>(size);
  if (::SetFilePointerEx(file, at, nullptr, FILE_BEGIN)) ::SetEndOfFile(file);
  ::CloseHandle(file);
}

}  // namespace

std::string append_history_line(const std::string& history, const std::string& line,
                                std::uint64_t max_bytes) {
  if (auto error = latchwatch::probes::refuse_symlinks(history); !error.empty()) return error;
  const std::wstring wide = widen(history);
  WIN32_FILE_ATTRIBUTE_DATA before{};
  if (::GetFileAttributesExW(wide.c_str(), GetFileExInfoStandard, &before) &&
      (before.dwFileAttributes &
       (FILE_ATTRIBUTE_REPARSE_POINT | FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_DEVICE)) == 0 &&
      ((static_cast<std::uint64_t>(before.nFileSizeHigh) << 32) | before.nFileSizeLow) >= max_bytes)
    ::MoveFileExW(wide.c_str(), widen(history + ".1").c_str(),
                  MOVEFILE_REPLACE_EXISTING);  // keeps one generation
  HANDLE file =
      ::CreateFileW(wide.c_str(), FILE_APPEND_DATA | FILE_READ_ATTRIBUTES, kShareAll, nullptr,
                    OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
  if (file == INVALID_HANDLE_VALUE) return history + ": " + error_text(::GetLastError());
  // Where this line starts, in the file actually open (after any rotation).
  BY_HANDLE_FILE_INFORMATION opened{};
  if (!::GetFileInformationByHandle(file, &opened)) {
    const DWORD code = ::GetLastError();
    ::CloseHandle(file);
    return history + ": " + error_text(code);
  }
  if (opened.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
    ::CloseHandle(file);
    return history + ": is a symbolic link or other reparse point; not followed";
  }
  const std::uint64_t start =
      (static_cast<std::uint64_t>(opened.nFileSizeHigh) << 32) | opened.nFileSizeLow;
  DWORD written = 0;
  const BOOL ok =
      ::WriteFile(file, line.data(), static_cast<DWORD>(line.size()), &written, nullptr);
  const DWORD code = ok ? ERROR_DISK_FULL : ::GetLastError();
  ::CloseHandle(file);
  if (!ok || written != line.size()) {
    // A partial line would corrupt the history for readers: cut it back off.
    if (written > 0) cut_back(wide, start);
    return history + ": " + error_text(code);
  }
  return {};
}

}  // namespace latchwatch::reporting
