#pragma once
/// Writes a file so that readers see the old content or the new, never a half: a temp file in the
/// same folder, fsync, rename, fsync of the folder.

#include <string>

namespace latchwatch::diagnosis {

/// Refuses (returns an error) when `path`'s folder is a symbolic link; a link at `path` itself is
/// replaced by the rename, never written through.
/// Returns an error text naming the path and errno (e.g. "No space left on device"), or empty.
/// On failure the old file is untouched and no temp file is left behind. `durable` adds the
/// fsyncs that make the new content survive a crash; files rewritten every cycle (the latest
/// report, metrics) skip them: readers still never see half a file.
std::string write_file_atomically(const std::string& path, const std::string& content,
                                  unsigned mode = 0644, bool durable = true);

/// mkdir -p with `mode` for created folders; returns an error text or empty. A symbolic link at
/// `path` itself is refused (never followed into someone else's folder).
std::string ensure_directory(const std::string& path, unsigned mode = 0750);

/// An error text when `path`'s parent folder is a symbolic link; empty otherwise.
std::string refuse_symlinks(const std::string& path);

}  // namespace latchwatch::diagnosis
