// Atomic replacement on Windows: a temp file in the same folder (CREATE_NEW, never an existing
// file), WriteFile, FlushFileBuffers, then MoveFileExW(REPLACE_EXISTING | WRITE_THROUGH), which
// replaces the target in one step. Modes do not apply: the file inherits its folder's ACL.

#include <windows.h>

#include <atomic>

#include "probes/os/atomic_file.h"
#include "probes/os/wide_text.h"

namespace latchwatch::probes {
namespace {

using probes::windows::error_text;
using probes::windows::widen;

std::string last_error_text(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + error_text(::GetLastError());
}

std::string parent_of(const std::string& path) {
  auto slash = path.find_last_of("/\\");
  if (slash == std::string::npos) return ".";
  if (slash == 0) return path.substr(0, 1);
  if (slash == 2 && path[1] == ':') return path.substr(0, 3);  // "C:\"
  return path.substr(0, slash);
}

DWORD attributes_of(const std::string& path) { return ::GetFileAttributesW(widen(path).c_str()); }

bool is_reparse_point(DWORD attributes) {
  return attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_REPARSE_POINT);
}

/// A name no other writer uses: the process id, a counter and the tick count.
std::string temp_name_for(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  return path + ".tmp-" + std::to_string(::GetCurrentProcessId()) + "-" +
         std::to_string(counter.fetch_add(1)) + "-" + std::to_string(::GetTickCount64() % 100000);
}

}  // namespace

std::string refuse_symlinks(const std::string& path) {
  if (is_reparse_point(attributes_of(parent_of(path))))
    return parent_of(path) + " is a symbolic link; refused";
  return {};
}

std::string write_file_atomically(const std::string& path, const std::string& content,
                                  unsigned /*mode: ACLs are inherited*/, bool durable,
                                  bool refuse_linked_folder) {
  // The folder is opened itself (FILE_FLAG_OPEN_REPARSE_POINT) and held without
  // FILE_SHARE_DELETE until the rename: it cannot be renamed away and a link put in its place
  // while the file is written (issue 26), and a folder that is a link is refused.
  struct Held {
    HANDLE h = INVALID_HANDLE_VALUE;
    ~Held() {
      if (h != INVALID_HANDLE_VALUE) ::CloseHandle(h);
    }
  } folder;
  if (refuse_linked_folder) {
    // Every folder on the way, by its attributes (what wine and Windows both report for a link),
    // then the folder itself held open below.
    if (auto error = refuse_symlinks(path); !error.empty()) return error;
    folder.h = ::CreateFileW(widen(parent_of(path)).c_str(), FILE_READ_ATTRIBUTES,
                             FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_EXISTING,
                             FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
    if (folder.h == INVALID_HANDLE_VALUE) return last_error_text("cannot open the folder of", path);
    BY_HANDLE_FILE_INFORMATION info{};
    if (!::GetFileInformationByHandle(folder.h, &info))
      return last_error_text("cannot read the folder of", path);
    if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)
      return parent_of(path) + " is a symbolic link; refused";
  }
  // A link at the file itself would send later readers elsewhere: refused, as the folder is.
  if (is_reparse_point(attributes_of(path)))
    return path + " is a symbolic link or junction (reparse point); refused";
  std::string temp_path;
  HANDLE file = INVALID_HANDLE_VALUE;
  for (int attempt = 0; attempt < 16 && file == INVALID_HANDLE_VALUE; ++attempt) {
    temp_path = temp_name_for(path);
    file = ::CreateFileW(widen(temp_path).c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW,
                         FILE_ATTRIBUTE_NORMAL, nullptr);
    if (file == INVALID_HANDLE_VALUE && ::GetLastError() != ERROR_FILE_EXISTS) break;
  }
  if (file == INVALID_HANDLE_VALUE)
    return last_error_text("cannot create a temporary file for", path);
  const std::wstring temp_wide = widen(temp_path);
  auto fail = [&](const std::string& what) {
    std::string error = last_error_text(what, path);
    if (file != INVALID_HANDLE_VALUE) ::CloseHandle(file);
    ::DeleteFileW(temp_wide.c_str());
    return error;
  };
  const char* data = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    DWORD chunk = left > (1u << 30) ? (1u << 30) : static_cast<DWORD>(left);
    DWORD written = 0;
    if (!::WriteFile(file, data, chunk, &written, nullptr) || written == 0)
      return fail("cannot write");
    data += written;
    left -= written;
  }
  if (durable && !::FlushFileBuffers(file)) return fail("cannot flush");
  if (!::CloseHandle(file)) {
    file = INVALID_HANDLE_VALUE;
    return fail("cannot close");
  }
  file = INVALID_HANDLE_VALUE;
  DWORD flags = MOVEFILE_REPLACE_EXISTING | (durable ? MOVEFILE_WRITE_THROUGH : 0);
  if (!::MoveFileExW(temp_wide.c_str(), widen(path).c_str(), flags))
    return fail("cannot rename into");
  return {};
}

std::string ensure_directory(const std::string& path, unsigned /*mode: ACLs are inherited*/) {
  if (path.empty()) return "empty folder path";
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find_first_of("/\\", pos + 1);
    std::string partial = path.substr(0, pos);
    if (partial.empty() || (partial.size() == 2 && partial[1] == ':')) continue;  // "C:"
    if (!::CreateDirectoryW(widen(partial).c_str(), nullptr)) {
      const DWORD code = ::GetLastError();
      // A drive root or a share refuses creation with other codes; what exists is enough.
      if (code != ERROR_ALREADY_EXISTS && attributes_of(partial) == INVALID_FILE_ATTRIBUTES)
        return "cannot create folder " + partial + ": " + error_text(code);
    }
  }
  DWORD attributes = attributes_of(path);
  if (attributes == INVALID_FILE_ATTRIBUTES) return last_error_text("cannot stat", path);
  if (attributes & FILE_ATTRIBUTE_REPARSE_POINT) return path + " is a symbolic link; refused";
  if (!(attributes & FILE_ATTRIBUTE_DIRECTORY)) return path + " is not a folder";
  return {};
}

std::string touch(const std::string& path) {
  // FILE_FLAG_OPEN_REPARSE_POINT: a link's own time is set, never its target's.
  HANDLE file =
      ::CreateFileW(widen(path).c_str(), FILE_WRITE_ATTRIBUTES,
                    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
                    FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS, nullptr);
  if (file == INVALID_HANDLE_VALUE) return last_error_text("cannot touch", path);
  FILETIME now{};
  ::GetSystemTimeAsFileTime(&now);
  std::string error;
  if (!::SetFileTime(file, nullptr, nullptr, &now)) error = last_error_text("cannot touch", path);
  ::CloseHandle(file);
  return error;
}

}  // namespace latchwatch::probes
