#include "reporting/sinks/report_file_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/diagnosis/atomic_file.h"

namespace latchwatch::reporting {

ReportFileSink::ReportFileSink(std::string state_dir, std::uint64_t history_max_bytes)
    : state_dir_(std::move(state_dir)), history_max_bytes_(history_max_bytes) {}

std::string append_history_line(const std::string& history, const std::string& line,
                                std::uint64_t max_bytes) {
  if (auto error = diagnosis::refuse_symlinks(history); !error.empty()) return error;
  struct stat st {};
  if (::lstat(history.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<std::uint64_t>(st.st_size) >= max_bytes)
    ::rename(history.c_str(), (history + ".1").c_str());  // keeps one generation
  int fd = ::open(history.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
  if (fd < 0) return history + ": " + std::strerror(errno);
  // Where this line starts, in the file actually open (after any rotation).
  struct stat opened {};
  if (::fstat(fd, &opened) != 0) {
    int saved = errno;
    ::close(fd);
    return history + ": " + std::strerror(saved);
  }
  ssize_t written = ::write(fd, line.data(), line.size());
  int saved = errno;
  if (written != static_cast<ssize_t>(line.size())) {
    // A partial line would corrupt the history for readers: cut it back off.
    if (written > 0 && ::ftruncate(fd, opened.st_size) != 0) {
    }
    ::close(fd);
    return history + ": " + std::strerror(written < 0 ? saved : ENOSPC);
  }
  ::close(fd);
  return {};
}

PublishResult ReportFileSink::publish(const CycleReport& report) {
  auto document = cycle_document(report);
  if (auto error = diagnosis::ensure_directory(state_dir_); !error.empty())
    return PublishResult::failure(error);
  if (auto error = diagnosis::write_file_atomically(state_dir_ + "/report.json",
                                                    dump_json(document, 2) + "\n", 0640, false);
      !error.empty())
    return PublishResult::failure(error);
  if (auto error = append_history_line(state_dir_ + "/history.jsonl", dump_json(document) + "\n",
                                       history_max_bytes_);
      !error.empty())
    return PublishResult::failure(error);
  return {};
}

}  // namespace latchwatch::reporting
