#include "reporting/sinks/spool_files.h"
#include "reporting/sinks/wide_text_windows.h"

namespace latchwatch::reporting {

std::vector<std::string> list_spool_folder(const std::string& dir, std::string* error) {
  std::vector<std::string> names;
  const std::wstring wide = widen(dir);
  DWORD attributes = GetFileAttributesW(wide.c_str());
  if (attributes == INVALID_FILE_ATTRIBUTES) {
    if (error) *error = dir + ": " + win32_message(GetLastError());
    return names;
  }
  // A symlink or junction planted at STATE/spool is refused, never listed through.
  if (attributes & FILE_ATTRIBUTE_REPARSE_POINT) {
    if (error) *error = dir + ": a link (reparse point), refused";
    return names;
  }
  if (!(attributes & FILE_ATTRIBUTE_DIRECTORY)) {
    if (error) *error = dir + ": not a folder";
    return names;
  }
  WIN32_FIND_DATAW entry;
  HANDLE find = FindFirstFileExW((wide + L"\\*").c_str(), FindExInfoBasic, &entry,
                                 FindExSearchNameMatch, nullptr, 0);
  if (find == INVALID_HANDLE_VALUE) {
    DWORD code = GetLastError();
    if (code != ERROR_FILE_NOT_FOUND && error) *error = dir + ": " + win32_message(code);
    return names;
  }
  do {
    std::string name = narrow(entry.cFileName);
    if (name != "." && name != "..") names.push_back(name);
  } while (FindNextFileW(find, &entry));
  FindClose(find);
  return names;
}

bool remove_spool_file(const std::string& path) { return DeleteFileW(widen(path).c_str()) != 0; }

bool rename_spool_file(const std::string& from, const std::string& to) {
  return MoveFileExW(widen(from).c_str(), widen(to).c_str(), MOVEFILE_REPLACE_EXISTING) != 0;
}

}  // namespace latchwatch::reporting
