// read_bounded_file's open file on Windows: CreateFileW without following a final reparse point
// (FILE_FLAG_OPEN_REPARSE_POINT, the twin of O_NOFOLLOW), sharing read, write and delete so
// that GPA can keep rewriting its files, then GetFileInformationByHandle and ReadFile.

#include <windows.h>

#include "probes/os/bounded_file.h"
#include "probes/os/wide_text.h"

namespace latchwatch::probes::detail {
namespace {

HANDLE as_handle(std::intptr_t value) { return reinterpret_cast<HANDLE>(value); }

ReadState state_of(DWORD code) {
  switch (code) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_NAME:
    case ERROR_BAD_NETPATH:
    case ERROR_DIRECTORY:
      return ReadState::missing;
    case ERROR_ACCESS_DENIED:
    case ERROR_PRIVILEGE_NOT_HELD:
      return ReadState::permission_denied;
    default:
      return ReadState::error;
  }
}

}  // namespace

ReadOnlyFile::ReadOnlyFile(const std::string& path, FinalLink final_link) : path_(path) {
  // FILE_FLAG_BACKUP_SEMANTICS opens a folder too, so that it is named not_a_regular_file
  // rather than "access denied". A named pipe or device opens without blocking and is refused
  // by its file type before any read.
  DWORD flags = FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_SEQUENTIAL_SCAN;
  if (final_link == FinalLink::refuse) flags |= FILE_FLAG_OPEN_REPARSE_POINT;
  HANDLE handle = ::CreateFileW(windows::widen(path).c_str(), GENERIC_READ,
                                FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                                OPEN_EXISTING, flags, nullptr);
  if (handle == INVALID_HANDLE_VALUE) {
    const DWORD code = ::GetLastError();
    state_ = state_of(code);
    error_ = path + ": " + windows::error_text(code);
    return;
  }
  handle_ = reinterpret_cast<std::intptr_t>(handle);
  if (final_link == FinalLink::refuse) {
    // Opened as the reparse point itself: a symbolic link or junction is refused here, as
    // O_NOFOLLOW refuses a symlink, without ever reaching its target.
    BY_HANDLE_FILE_INFORMATION info{};
    if (::GetFileInformationByHandle(handle, &info) &&
        (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0) {
      state_ = ReadState::error;
      error_ = path + ": is a symbolic link or other reparse point; not followed";
    }
  }
}

ReadOnlyFile::~ReadOnlyFile() {
  if (handle_ != -1) ::CloseHandle(as_handle(handle_));
}

bool ReadOnlyFile::facts(OpenFileFacts& out, std::string& error) const {
  BY_HANDLE_FILE_INFORMATION info{};
  if (!::GetFileInformationByHandle(as_handle(handle_), &info)) {
    // Pipes and character devices have no such information: not regular files.
    if (::GetFileType(as_handle(handle_)) != FILE_TYPE_DISK) {
      out.regular = false;
      return true;
    }
    error = path_ + ": " + windows::error_text(::GetLastError());
    return false;
  }
  const DWORD not_regular =
      FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT | FILE_ATTRIBUTE_DEVICE;
  out.regular = ::GetFileType(as_handle(handle_)) == FILE_TYPE_DISK &&
                (info.dwFileAttributes & not_regular) == 0;
  out.size = (static_cast<std::uint64_t>(info.nFileSizeHigh) << 32) | info.nFileSizeLow;
  out.mtime = windows::from_file_time(
      (static_cast<std::uint64_t>(info.ftLastWriteTime.dwHighDateTime) << 32) |
      info.ftLastWriteTime.dwLowDateTime);
  return true;
}

long long ReadOnlyFile::read(char* buffer, std::size_t size, std::string& error) {
  DWORD want = size > 0x7fffffffu ? 0x7fffffffu : static_cast<DWORD>(size);
  DWORD got = 0;
  if (!::ReadFile(as_handle(handle_), buffer, want, &got, nullptr)) {
    const DWORD code = ::GetLastError();
    if (code == ERROR_HANDLE_EOF || code == ERROR_BROKEN_PIPE) return 0;
    error = path_ + ": " + windows::error_text(code);
    return -1;
  }
  return static_cast<long long>(got);
}

}  // namespace latchwatch::probes::detail
