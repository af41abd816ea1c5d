#pragma once
/// The webhook spool folder's file operations, per platform (spool_files_posix.cpp,
/// spool_files_windows.cpp). The folder is never read through a link: a symlink (Linux) or a
/// reparse point (Windows: symlink, junction) planted at STATE/spool is refused.
///
/// Errors: never throws; a failure is a sentence for a person.

#include <string>
#include <vector>

namespace latchwatch::reporting {

/// The names (not paths) of the entries in `dir`, unsorted, "." and ".." left out. Empty with
/// `error` set when the folder cannot be listed or is a link.
std::vector<std::string> list_spool_folder(const std::string& dir, std::string* error);

/// Deletes one spool file; false when it could not be removed.
bool remove_spool_file(const std::string& path);

/// Renames one spool file (setting a corrupt entry aside); false when it failed.
bool rename_spool_file(const std::string& from, const std::string& to);

}  // namespace latchwatch::reporting
