#include "probes/os/bounded_file.h"

#include <algorithm>
#include <memory>

namespace latchwatch::probes {
namespace {

constexpr std::size_t kChunk = 16 * 1024;

FileRead failure(ReadState state, std::string error) {
  FileRead result;
  result.state = state;
  result.error = std::move(error);
  return result;
}

/// Reads until EOF or until more than `limit` bytes arrived. Files in /proc report size 0, and a
/// regular file may grow after the size was taken, so that size is not trusted for the read.
bool read_at_most(detail::ReadOnlyFile& file, std::size_t limit, std::string& content,
                  std::string& error) {
  char buffer[kChunk];
  while (content.size() <= limit) {
    std::size_t want = std::min(sizeof buffer, limit + 1 - content.size());
    long long n = file.read(buffer, want, error);
    if (n < 0) return false;
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

FileRead read_bounded_file(const std::string& path, std::size_t limit, FinalLink final_link) {
  detail::ReadOnlyFile file(path, final_link);
  if (file.state() != ReadState::ok) return failure(file.state(), file.error());

  detail::OpenFileFacts facts;
  std::string error;
  if (!file.facts(facts, error)) return failure(ReadState::error, error);
  // Checked before any read: a FIFO, socket, device or folder is refused without reading it.
  if (!facts.regular) return failure(ReadState::not_a_regular_file, path + ": not a regular file");

  FileRead result;
  result.mtime = facts.mtime;
  if (facts.size > limit) {
    result.state = ReadState::too_large;
    result.error = path + ": " + std::to_string(facts.size) + " bytes, more than the limit of " +
                   std::to_string(limit);
    return result;
  }
  result.content.reserve(static_cast<std::size_t>(facts.size));
  if (!read_at_most(file, limit, result.content, error)) {
    result.content.clear();
    result.state = ReadState::error;
    result.error = error;
    return result;
  }
  if (result.content.size() > limit) {
    result.content.clear();
    result.state = ReadState::too_large;
    result.error = path + ": grew past the limit of " + std::to_string(limit) + " bytes";
  }
  return result;
}

struct StreamedFile::Open {
  Open(const std::string& path, FinalLink final_link) : file(path, final_link) {}
  detail::ReadOnlyFile file;
};

StreamedFile::StreamedFile(const std::string& path, std::uint64_t limit, FinalLink final_link)
    : path_(path), limit_(limit) {
  auto open = std::make_unique<Open>(path, final_link);
  if (open->file.state() != ReadState::ok) {
    state_ = open->file.state();
    error_ = open->file.error();
    return;
  }
  detail::OpenFileFacts facts;
  if (!open->file.facts(facts, error_)) {
    state_ = ReadState::error;
    return;
  }
  if (!facts.regular) {
    state_ = ReadState::not_a_regular_file;
    error_ = path + ": not a regular file";
    return;
  }
  if (facts.size > limit) {
    state_ = ReadState::too_large;
    error_ = path + ": " + std::to_string(facts.size) + " bytes, more than the limit of " +
             std::to_string(limit);
    return;
  }
  open_ = open.release();
}

StreamedFile::~StreamedFile() { delete open_; }

long long StreamedFile::read(char* buffer, std::size_t size) {
  if (!open_) return -1;
  long long n = open_->file.read(buffer, size, error_);
  if (n > 0 && (done_ += static_cast<std::uint64_t>(n)) > limit_) {
    error_ = path_ + ": grew past the limit of " + std::to_string(limit_) + " bytes";
    return -1;
  }
  return n;
}

}  // namespace latchwatch::probes
