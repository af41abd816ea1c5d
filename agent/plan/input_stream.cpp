// Plan inputs as streams: files read in pieces, split into bounded lines.

#include "agent/plan/input_stream.h"

#include <algorithm>

#include "probes/os/bounded_file.h"

namespace latchwatch::plan {
namespace {

constexpr std::size_t kPiece = 64 * 1024;

class TextSource final : public ByteSource {
 public:
  explicit TextSource(std::string_view text) : text_(text) {}
  long long read(char* buffer, std::size_t size, std::string&) override {
    std::size_t n = std::min(size, text_.size());
    std::copy_n(text_.data(), n, buffer);
    text_.remove_prefix(n);
    return static_cast<long long>(n);
  }

 private:
  std::string_view text_;
};

class FileSource final : public ByteSource {
 public:
  FileSource(const std::string& path, std::size_t limit)
      : file_(path, limit, probes::FinalLink::follow) {}
  probes::StreamedFile& file() { return file_; }
  long long read(char* buffer, std::size_t size, std::string& error) override {
    long long n = file_.read(buffer, size);
    if (n < 0) error = file_.error();
    return n;
  }

 private:
  probes::StreamedFile file_;
};

}  // namespace

OpenSource text_input(std::string_view text) {
  return [text](std::string&) { return std::make_unique<TextSource>(text); };
}

OpenSource file_input(const std::string& path, std::size_t limit) {
  return [path, limit](std::string& error) -> std::unique_ptr<ByteSource> {
    auto source = std::make_unique<FileSource>(path, limit);
    if (source->file().state() == probes::ReadState::too_large) {
      error = path + ": larger than " + std::to_string(limit >> 20) + " MiB";
      return nullptr;
    }
    if (source->file().state() != probes::ReadState::ok) {
      error = source->file().error();
      return nullptr;
    }
    return source;
  };
}

LineReader::LineReader(ByteSource& source, std::size_t max_line, std::string watch)
    : source_(source), max_line_(max_line), watch_(std::move(watch)) {}

bool LineReader::fill() {
  if (ended_) return false;
  buffer_.erase(0, pos_);
  pos_ = 0;
  raw_.resize(kPiece);
  long long n = source_.read(raw_.data(), raw_.size(), error_);
  if (n <= 0) {
    ended_ = true;
    return false;
  }
  std::string_view got(raw_.data(), static_cast<std::size_t>(n));
  if (!started_) {
    started_ = true;
    // Windows PowerShell 5.1 saves `az ... > FILE` as UTF-16 with a BOM. (A first read of one
    // byte cannot show a BOM; files and text give at least two when they have them.)
    if (got.size() >= 2 && (got.substr(0, 2) == "\xff\xfe" || got.substr(0, 2) == "\xfe\xff")) {
      utf16_ = true;
      little_ = got[0] == '\xff';
      got.remove_prefix(2);
    }
  }
  if (!utf16_) {
    buffer_.append(got);
    return true;
  }
  for (char c : got) {
    if (!has_carry_) {
      carry_ = c;
      has_carry_ = true;
      continue;
    }
    has_carry_ = false;
    auto lo = static_cast<unsigned char>(little_ ? carry_ : c);
    auto hi = static_cast<unsigned char>(little_ ? c : carry_);
    buffer_ += hi == 0 && lo < 0x80 ? static_cast<char>(lo) : '?';
  }
  return true;
}

LineReader::Got LineReader::next(std::string_view& line) {
  line_.clear();
  skipped_had_watch_ = false;
  bool too_long = false;
  bool any = false;
  // The last watch.size()-1 bytes of skipped text, so a watched word cut by a piece is found.
  std::string tail;
  for (;;) {
    if (pos_ >= buffer_.size() && !fill()) {
      if (!error_.empty()) return Got::error;
      if (!any) return Got::end;
      break;
    }
    any = true;
    std::size_t nl = buffer_.find('\n', pos_);
    std::size_t end = nl == std::string::npos ? buffer_.size() : nl;
    std::string_view piece(buffer_.data() + pos_, end - pos_);
    pos_ = nl == std::string::npos ? buffer_.size() : nl + 1;
    if (!too_long) {
      std::size_t room = max_line_ - line_.size();
      line_.append(piece.substr(0, room));
      if (piece.size() > room) {
        too_long = true;
        if (!watch_.empty() && line_.find(watch_) != std::string::npos) skipped_had_watch_ = true;
        std::size_t keep = std::min(line_.size(), watch_.empty() ? 0 : watch_.size() - 1);
        tail = line_.substr(line_.size() - keep);
        piece.remove_prefix(room);
      }
    }
    if (too_long && !watch_.empty() && !skipped_had_watch_) {
      std::string scan = tail;
      scan.append(piece);
      if (scan.find(watch_) != std::string::npos) skipped_had_watch_ = true;
      tail = scan.substr(scan.size() - std::min(scan.size(), watch_.size() - 1));
    }
    if (nl != std::string::npos) break;
  }
  ++line_number_;
  line = line_;
  return too_long ? Got::too_long : Got::line;
}

}  // namespace latchwatch::plan
