// GpaFileWatch on Windows: ReadDirectoryChangesW on GPA's key folder (file names only: a key
// file coming, going or renamed) and on the folder holding status.json (file names and last
// write: GPA replaces the file by rename, and GPA ≤ 1.0.23 rewrites it in place). Each folder
// has one overlapped read outstanding; both reads signal one manual-reset event, which fd()
// hands out (HandleToLong: kernel handles are 32-bit values on 64-bit Windows) for
// CycleTrigger's WaitForMultipleObjects.
//
// The folders are opened with FILE_LIST_DIRECTORY and every share mode (GPA may still create,
// delete and rename in them, and delete them); no file in them is ever opened: the key folder
// is listed by name with FindFirstFileExW (probes/local/key_folder_windows.cpp).
//
// A read that fails (the folder was deleted: the pending read ends with an error, or the folder
// is delete-pending) closes that folder's handle at once, reports a change of that side, and the
// path is opened again as soon as it is back (read_events, and arm() at every cycle).

#include <windows.h>

#include <algorithm>
#include <array>
#include <cstddef>

#include "agent/daemon/gpa_file_watch.h"
#include "probes/local/key_folder.h"
#include "probes/os/wide_text.h"

namespace latchwatch::agent {
namespace {

/// How many completed reads one read_events() call handles before it leaves the rest for the
/// next call (the event stays signalled): a folder that never stops changing cannot pin it.
constexpr int kMaxPasses = 64;

constexpr DWORD kKeyFilter = FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_DIR_NAME;
constexpr DWORD kStatusFilter =
    FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_DIR_NAME | FILE_NOTIFY_CHANGE_LAST_WRITE;

bool ends_with_ci(const std::wstring& name, const std::wstring& suffix) {
  if (name.size() <= suffix.size()) return false;
  return ::CompareStringOrdinal(name.c_str() + (name.size() - suffix.size()),
                                static_cast<int>(suffix.size()), suffix.c_str(),
                                static_cast<int>(suffix.size()), TRUE) == CSTR_EQUAL;
}

/// A key file's name as GPA writes it on either platform: `{guid}.encrypted` on Windows
/// (DPAPI-protected), `{guid}.key` on Linux.
bool is_key_name(const std::wstring& name) {
  return ends_with_ci(name, L".encrypted") || ends_with_ci(name, L".key");
}

bool same_name_ci(const std::wstring& a, const std::wstring& b) {
  return ::CompareStringOrdinal(a.c_str(), static_cast<int>(a.size()), b.c_str(),
                                static_cast<int>(b.size()), TRUE) == CSTR_EQUAL;
}

std::string parent_of(const std::string& path) {
  auto slash = path.find_last_of("\\/");
  if (slash == std::string::npos) return ".";
  // "C:\status.json" → "C:\"; "\status.json" → "\".
  if (slash == 0 || (slash == 2 && path[1] == ':')) return path.substr(0, slash + 1);
  return path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  auto slash = path.find_last_of("\\/");
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

struct GpaFileWatch::Native {
  struct Folder {
    HANDLE handle = INVALID_HANDLE_VALUE;
    OVERLAPPED overlapped{};
    /// FILE_NOTIFY_INFORMATION records are DWORD-aligned; 64 KiB is the most a read may ask for
    /// on a network share, and far more than GPA's folders produce between two reads.
    alignas(DWORD) std::array<unsigned char, 16 * 1024> buffer{};
    DWORD filter = 0;
  };
  HANDLE event = nullptr;  ///< manual reset; both reads signal it
  Folder key;
  Folder status;

  ~Native() {
    close(key);
    close(status);
    if (event) ::CloseHandle(event);
  }

  /// Cancels the outstanding read and waits for it to end (it ends at once once cancelled: the
  /// buffer must stay alive until then), then closes the folder.
  static void close(Folder& folder) {
    if (folder.handle == INVALID_HANDLE_VALUE) return;
    ::CancelIoEx(folder.handle, &folder.overlapped);
    DWORD bytes = 0;
    ::GetOverlappedResult(folder.handle, &folder.overlapped, &bytes, TRUE);
    ::CloseHandle(folder.handle);
    folder.handle = INVALID_HANDLE_VALUE;
  }

  /// Starts the next read; false (error set) when the folder refuses it.
  bool issue(Folder& folder, std::string& error, const std::string& path) {
    folder.overlapped = OVERLAPPED{};
    folder.overlapped.hEvent = event;
    if (::ReadDirectoryChangesW(folder.handle, folder.buffer.data(),
                                static_cast<DWORD>(folder.buffer.size()), FALSE, folder.filter,
                                nullptr, &folder.overlapped, nullptr))
      return true;
    error = path + ": ReadDirectoryChangesW: " + probes::windows::error_text(::GetLastError());
    ::CloseHandle(folder.handle);
    folder.handle = INVALID_HANDLE_VALUE;
    return false;
  }

  /// Opens `path` and starts its first read; false (error set) when it cannot be watched.
  bool open(Folder& folder, DWORD filter, const std::string& path, std::string& error) {
    folder.filter = filter;
    folder.handle =
        ::CreateFileW(probes::windows::widen(path).c_str(), FILE_LIST_DIRECTORY,
                      FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                      OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OVERLAPPED, nullptr);
    if (folder.handle == INVALID_HANDLE_VALUE) {
      error = path + ": " + probes::windows::error_text(::GetLastError());
      return false;
    }
    return issue(folder, error, path);
  }
};

GpaFileWatch::GpaFileWatch(std::string key_dir, std::string status_file, InotifyCalls)
    : GpaFileWatch(std::move(key_dir), std::move(status_file)) {}  // inotify's calls: Linux only

GpaFileWatch::GpaFileWatch(std::string key_dir, std::string status_file)
    : key_dir_(std::move(key_dir)),
      status_file_(std::move(status_file)),
      status_dir_(parent_of(status_file_)),
      status_name_(base_of(status_file_)) {
  auto native = std::make_shared<Native>();
  native->event = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (!native->event) {
    error_ = "CreateEvent: " + probes::windows::error_text(::GetLastError());
    return;
  }
  const long as_long = HandleToLong(native->event);
  if (as_long < 0) {  // never seen: kernel handles are small multiples of 4
    error_ = "event handle out of range";
    return;
  }
  fd_ = static_cast<int>(as_long);
  native_ = std::move(native);
}

GpaFileWatch::~GpaFileWatch() = default;  // Native's destructor cancels and closes

GpaFileWatch::Armed GpaFileWatch::arm() {
  Armed armed;
  if (!native_) return armed;
  if (key_wd_ < 0) {
    if (native_->open(native_->key, kKeyFilter, key_dir_, key_error_)) {
      key_wd_ = 0;
      armed.key_folder = true;
      key_error_.clear();
    }
  }
  if (status_wd_ < 0) {
    if (native_->open(native_->status, kStatusFilter, status_dir_, status_error_)) {
      status_wd_ = 0;
      armed.status = true;
      status_error_.clear();
    }
  }
  return armed;
}

std::string GpaFileWatch::unwatched_reason() const {
  if (!native_) return error_;
  std::string reason = key_wd_ < 0 ? key_error_ : "";
  if (status_wd_ < 0) reason += (reason.empty() ? "" : "; ") + status_error_;
  return reason;
}

GpaFileWatch::Events GpaFileWatch::read_events() {
  Events events;
  if (!native_) return events;
  const std::wstring status_name = probes::windows::widen(status_name_);

  // One folder's completed read: its records, then the next read. `true` when a read had ended.
  auto drain = [&](Native::Folder& folder, int& wd, std::string& error, const std::string& path,
                   bool is_key) {
    if (wd < 0 || folder.handle == INVALID_HANDLE_VALUE) return false;
    DWORD bytes = 0;
    if (!::GetOverlappedResult(folder.handle, &folder.overlapped, &bytes, FALSE)) {
      const DWORD code = ::GetLastError();
      if (code == ERROR_IO_INCOMPLETE) return false;
      // The folder was deleted (or is delete-pending), or the volume went away: let go of it
      // so it can really go, count it as a change, and watch the path again once it is back.
      ++events.read;
      ::CloseHandle(folder.handle);
      folder.handle = INVALID_HANDLE_VALUE;
      wd = -1;
      error = path + ": folder removed or no longer readable (" +
              probes::windows::error_text(code) + ")";
      if (is_key)
        events.key_folder = true;
      else
        events.status_gone = true;
      return true;
    }
    if (bytes == 0) {  // the system's buffer overflowed: changes were lost, look again
      ++events.read;
      if (is_key)
        events.key_folder = true;
      else
        events.status_written = true;
    }
    for (DWORD offset = 0; bytes > 0 && offset + sizeof(FILE_NOTIFY_INFORMATION) <= bytes;) {
      const auto* record =
          reinterpret_cast<const FILE_NOTIFY_INFORMATION*>(folder.buffer.data() + offset);
      const std::size_t chars = record->FileNameLength / sizeof(wchar_t);
      if (offset + offsetof(FILE_NOTIFY_INFORMATION, FileName) + record->FileNameLength > bytes)
        break;  // a torn record: never in practice
      const std::wstring name(record->FileName, chars);
      ++events.read;
      if (is_key) {
        if (is_key_name(name)) events.key_folder = true;
      } else if (same_name_ci(name, status_name)) {
        switch (record->Action) {
          case FILE_ACTION_ADDED:
          case FILE_ACTION_MODIFIED:
          case FILE_ACTION_RENAMED_NEW_NAME:
            events.status_written = true;
            break;
          default:  // FILE_ACTION_REMOVED, FILE_ACTION_RENAMED_OLD_NAME
            events.status_gone = true;
            break;
        }
      }
      if (record->NextEntryOffset == 0) break;
      offset += record->NextEntryOffset;
    }
    if (!native_->issue(folder, error, path)) wd = -1;
    return true;
  };

  // Every completed read, until a pass finds none: starting a read resets the shared event, so a
  // read that ended during this pass is caught by the next one, and one that ends after the
  // last pass signals the event again for the caller's next wait.
  int pass = 0;
  for (; pass < kMaxPasses; ++pass) {
    if (pass == 0) ::ResetEvent(native_->event);
    const bool key = drain(native_->key, key_wd_, key_error_, key_dir_, true);
    const bool status = drain(native_->status, status_wd_, status_error_, status_dir_, false);
    if (!key && !status) break;
  }
  if (pass == kMaxPasses) ::SetEvent(native_->event);  // more waiting: come back at once
  if (key_wd_ < 0 || status_wd_ < 0) arm();
  return events;
}

KeyNames GpaFileWatch::key_names() const {
  const auto listing = probes::list_key_folder(key_dir_);
  if (listing.state != probes::ReadState::ok && listing.state != probes::ReadState::too_large)
    return std::nullopt;
  std::vector<std::string> names;
  for (const auto& entry : listing.entries)
    if (!entry.guid.empty()) names.push_back(entry.name);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace latchwatch::agent
