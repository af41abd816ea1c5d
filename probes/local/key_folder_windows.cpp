// list_key_folder on Windows: FindFirstFileExW/FindNextFileW. The find data carries each
// entry's name, size, last-write time and attributes, so no entry is ever opened (not even for
// its attributes); a reparse point (symbolic link, junction) is flagged is_symlink and never
// followed. The folder itself is examined with GetFileAttributesExW first: a folder that is a
// reparse point is refused as Linux refuses a symlinked folder.

#include <windows.h>

#include "probes/local/key_folder.h"
#include "probes/os/wide_text.h"

namespace latchwatch::probes {
namespace {

std::uint64_t join(DWORD high, DWORD low) { return (static_cast<std::uint64_t>(high) << 32) | low; }

/// Whether the nearest existing folder above `wide` is a file: the path runs through a file,
/// which Linux calls ENOTDIR and Windows only ERROR_PATH_NOT_FOUND.
bool runs_through_a_file(std::wstring wide) {
  for (;;) {
    auto slash = wide.find_last_of(L"\\/");
    if (slash == std::wstring::npos || slash == 0) return false;
    wide.resize(slash);
    DWORD attributes = ::GetFileAttributesW(wide.c_str());
    if (attributes != INVALID_FILE_ATTRIBUTES) return (attributes & FILE_ATTRIBUTE_DIRECTORY) == 0;
  }
}

ReadState state_of(DWORD code, const std::wstring& wide) {
  switch (code) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_INVALID_NAME:
    case ERROR_BAD_NETPATH:
      return ReadState::missing;
    case ERROR_PATH_NOT_FOUND:
      return runs_through_a_file(wide) ? ReadState::not_a_directory : ReadState::missing;
    case ERROR_DIRECTORY:
      return ReadState::not_a_directory;
    case ERROR_ACCESS_DENIED:
    case ERROR_PRIVILEGE_NOT_HELD:
      return ReadState::permission_denied;
    default:
      return ReadState::error;
  }
}

void fail(KeyFolderListing& listing, DWORD code, const std::wstring& wide) {
  listing.state = state_of(code, wide);
  listing.error = listing.path + ": " + windows::error_text(code);
}

}  // namespace

KeyFolderListing list_key_folder(const std::string& path) {
  KeyFolderListing listing;
  listing.path = path;
  const std::wstring wide = windows::widen(path);
  WIN32_FILE_ATTRIBUTE_DATA folder{};
  if (!::GetFileAttributesExW(wide.c_str(), GetFileExInfoStandard, &folder)) {
    fail(listing, ::GetLastError(), wide);
    return listing;
  }
  // The attributes are the link's own: a junction or symlink in place of the folder is not
  // followed elsewhere.
  if (folder.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
    listing.state = ReadState::not_a_directory;
    listing.error = path + ": is a symbolic link or junction (reparse point); not followed";
    return listing;
  }
  if ((folder.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) == 0) {
    listing.state = ReadState::not_a_directory;
    listing.error = path + ": not a folder";
    return listing;
  }
  std::wstring pattern = wide;
  if (!pattern.empty() && pattern.back() != L'\\' && pattern.back() != L'/') pattern += L'\\';
  pattern += L'*';
  WIN32_FIND_DATAW data{};
  HANDLE find = ::FindFirstFileExW(pattern.c_str(), FindExInfoBasic, &data, FindExSearchNameMatch,
                                   nullptr, FIND_FIRST_EX_LARGE_FETCH);
  if (find == INVALID_HANDLE_VALUE) {
    const DWORD code = ::GetLastError();
    // An empty folder still lists "." and ".."; no match at all means nothing to list.
    if (code != ERROR_FILE_NOT_FOUND && code != ERROR_NO_MORE_FILES) fail(listing, code, wide);
    return listing;
  }
  do {
    const std::wstring name_wide = data.cFileName;
    if (name_wide == L"." || name_wide == L"..") continue;
    const DWORD attributes = data.dwFileAttributes;
    const bool reparse = (attributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0;
    const bool regular =
        (attributes & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_DEVICE)) == 0 && !reparse;
    // A link's size is its own (0), as lstat gives the link's, never its target's.
    if (!detail::add_key_folder_entry(
            listing, windows::narrow(name_wide), regular, reparse,
            reparse ? 0 : join(data.nFileSizeHigh, data.nFileSizeLow),
            windows::from_file_time(
                join(data.ftLastWriteTime.dwHighDateTime, data.ftLastWriteTime.dwLowDateTime))))
      break;
  } while (::FindNextFileW(find, &data));
  const DWORD last = ::GetLastError();
  ::FindClose(find);
  if (listing.state == ReadState::ok && last != ERROR_NO_MORE_FILES) {
    // Stopped early for another reason: a partial listing is not evidence of absence.
    fail(listing, last, wide);
    if (listing.state == ReadState::missing) listing.state = ReadState::error;
  }
  detail::finish_key_folder_listing(listing);
  return listing;
}

}  // namespace latchwatch::probes
