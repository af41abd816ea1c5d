#pragma once
/// Reads a small local file safely: regular files only (a FIFO or device is refused without
/// blocking), no following of a final symlink (on Windows: of a final reparse point, a symlink
/// or junction), at most `limit` bytes (larger → too_large).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "probes/os/read_state.h"

namespace latchwatch::probes {

struct FileRead {
  ReadState state = ReadState::ok;
  std::string error;
  std::string content;
  std::chrono::system_clock::time_point mtime{};
};

/// Whether a symlink (reparse point) at the path itself is refused or followed. Evidence files
/// refuse it (a planted link must not redirect the read); a file the owner names on the command
/// line (`latchwatch plan`) follows it.
enum class FinalLink { refuse, follow };

FileRead read_bounded_file(const std::string& path, std::size_t limit = 1024 * 1024,
                           FinalLink final_link = FinalLink::refuse);

/// A regular file read piece by piece, for inputs too large to hold (a plan's boot logs and
/// report histories run to hundreds of MiB): the same open rules as read_bounded_file (regular
/// files only, checked before any read; FIFOs never block), at most `limit` bytes in all.
/// Not thread-safe; one reader per object.
class StreamedFile {
 public:
  StreamedFile(const std::string& path, std::uint64_t limit, FinalLink final_link);
  ~StreamedFile();
  StreamedFile(const StreamedFile&) = delete;
  StreamedFile& operator=(const StreamedFile&) = delete;
  /// ok once open and checked; else why not (too_large from the size at open), with `error()`.
  ReadState state() const { return state_; }
  const std::string& error() const { return error_; }
  /// Up to `size` bytes: the count, 0 at the end, -1 with `error()` set (a read error, or the
  /// file grew past the limit while it was read).
  long long read(char* buffer, std::size_t size);

 private:
  struct Open;
  Open* open_ = nullptr;
  ReadState state_ = ReadState::ok;
  std::string error_;
  std::string path_;
  std::uint64_t limit_ = 0;
  std::uint64_t done_ = 0;
};

namespace detail {

/// What the open file is, from the open handle (fstat / GetFileInformationByHandle).
struct OpenFileFacts {
  bool regular = false;
  std::uint64_t size = 0;
  std::chrono::system_clock::time_point mtime{};
};

/// A file opened read-only without blocking, per platform (bounded_file_{posix,windows}.cpp).
/// read_bounded_file (bounded_file.cpp) holds the portable rules on top of it.
class ReadOnlyFile {
 public:
  ReadOnlyFile(const std::string& path, FinalLink final_link);
  ~ReadOnlyFile();
  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;

  /// ok once open; else missing, permission_denied or error, with `error()` naming the path.
  ReadState state() const { return state_; }
  const std::string& error() const { return error_; }
  /// Facts of the open file; false with `error` set when they cannot be had.
  bool facts(OpenFileFacts& out, std::string& error) const;
  /// Up to `size` bytes into `buffer`: the count (0 at the end), or -1 with `error` set.
  long long read(char* buffer, std::size_t size, std::string& error);
  /// The descriptor or HANDLE, for a platform caller's own query (e.g. the secret file's ACL).
  std::intptr_t native() const { return handle_; }

 private:
  std::intptr_t handle_ = -1;  ///< a descriptor or a HANDLE
  ReadState state_ = ReadState::ok;
  std::string error_;
  std::string path_;
};

}  // namespace detail
}  // namespace latchwatch::probes
