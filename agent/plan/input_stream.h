#pragma once
/// Plan inputs read as streams: boot logs and report histories run to hundreds of MiB, so no
/// input is held whole; memory is bounded by the records kept and one line (or one report).
///
/// Not thread-safe; each reader belongs to one thread.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace latchwatch::plan {

/// Where an input's bytes come from: a file read in pieces, or text in memory.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  /// Up to `size` bytes: the count, 0 at the end, -1 with `error` set.
  virtual long long read(char* buffer, std::size_t size, std::string& error) = 0;
};

/// Opens an input from its start; null with `error` set when it cannot be opened. A reader that
/// must look at the start twice (JSON lines or one document?) opens it again.
using OpenSource = std::function<std::unique_ptr<ByteSource>(std::string& error)>;

/// `text` must outlive every source opened.
OpenSource text_input(std::string_view text);
/// A regular file of at most `limit` bytes, the final link followed (the owner named it).
OpenSource file_input(const std::string& path, std::size_t limit);

/// Lines of a source, '\n' removed (a '\r' before it is kept: callers that care trim it).
/// A log saved as UTF-16 with a BOM (Windows PowerShell's `>`) is read as text: code units below
/// 0x80 kept, others '?'; its BOM is dropped.
class LineReader {
 public:
  enum class Got { line, too_long, end, error };

  /// `max_line`: longer lines are not returned whole (Got::too_long), their rest skipped.
  /// `watch`: when not empty, whether it occurs in a skipped line is told by skipped_had_watch().
  LineReader(ByteSource& source, std::size_t max_line, std::string watch = {});

  /// The next line; `line` stays valid until the next call. For too_long it holds the line's
  /// first `max_line` bytes.
  Got next(std::string_view& line);
  int line_number() const { return line_number_; }
  bool skipped_had_watch() const { return skipped_had_watch_; }
  const std::string& error() const { return error_; }

 private:
  bool fill();  ///< more bytes into buffer_; false at the end or on error

  ByteSource& source_;
  std::size_t max_line_;
  std::string watch_;
  std::string buffer_;  ///< decoded bytes not yet consumed, from pos_
  std::size_t pos_ = 0;
  std::string line_;
  std::string raw_;
  bool started_ = false;
  bool utf16_ = false;
  bool little_ = true;
  bool has_carry_ = false;
  char carry_ = 0;
  bool ended_ = false;
  int line_number_ = 0;
  bool skipped_had_watch_ = false;
  std::string error_;
};

}  // namespace latchwatch::plan
