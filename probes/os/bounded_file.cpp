#include "probes/os/bounded_file.h"

#include <algorithm>

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

}  // namespace latchwatch::probes
