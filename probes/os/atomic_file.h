#pragma once
/// Writes a file so that readers see the old content or the new, never a half: a temp file in the
/// same folder, fsync, rename, fsync of the folder (atomic_file_posix.cpp). On Windows
/// (atomic_file_windows.cpp): a temp file in the same folder, WriteFile, FlushFileBuffers,
/// MoveFileExW(REPLACE_EXISTING | WRITE_THROUGH); modes do not apply there (the file inherits
/// the folder's ACL), and a reparse point (symlink, junction) at the target is refused.

#include <string>

namespace latchwatch::probes {

/// Refuses (returns an error) when `path`'s folder is a symbolic link; a link at `path` itself is
/// replaced by the rename, never written through.
/// Returns an error text naming the path and errno (e.g. "No space left on device"), or empty.
/// On failure the old file is untouched and no temp file is left behind. `durable` adds the
/// fsyncs that make the new content survive a crash; files rewritten every cycle (the latest
/// report, metrics) skip them: readers still never see half a file.
/// `refuse_linked_folder` false lets a file the owner named (`plan resets --html`) go into a
/// folder reached through a link.
std::string write_file_atomically(const std::string& path, const std::string& content,
                                  unsigned mode = 0644, bool durable = true,
                                  bool refuse_linked_folder = true);

/// mkdir -p with `mode` for created folders; returns an error text or empty. A symbolic link at
/// `path` itself is refused (never followed into someone else's folder).
std::string ensure_directory(const std::string& path, unsigned mode = 0750);

/// An error text when `path`'s parent folder is a symbolic link; empty otherwise.
std::string refuse_symlinks(const std::string& path);

/// Sets `path`'s modification time to now without following a symbolic link (reparse point) at
/// it, like `touch -h`. Returns an error text or empty.
std::string touch(const std::string& path);

}  // namespace latchwatch::probes
