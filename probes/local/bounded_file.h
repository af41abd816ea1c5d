#pragma once
/// Reads a small local file safely: regular files only (a FIFO or device is refused without
/// blocking), no following of a final symlink, at most `limit` bytes (larger → too_large).

#include <chrono>
#include <cstddef>
#include <string>

#include "probes/local/key_folder.h"

namespace latchwatch::probes {

struct FileRead {
  ReadState state = ReadState::ok;
  std::string error;
  std::string content;
  std::chrono::system_clock::time_point mtime{};
};

FileRead read_bounded_file(const std::string& path, std::size_t limit = 1024 * 1024);

}  // namespace latchwatch::probes
