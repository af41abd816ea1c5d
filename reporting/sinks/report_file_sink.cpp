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

PublishResult ReportFileSink::publish(const CycleReport& report) {
  auto document = cycle_document(report);
  if (auto error = diagnosis::ensure_directory(state_dir_); !error.empty())
    return PublishResult::failure(error);
  if (auto error = diagnosis::write_file_atomically(state_dir_ + "/report.json",
                                                    document.dump(2) + "\n", 0640, false);
      !error.empty())
    return PublishResult::failure(error);

  const std::string history = state_dir_ + "/history.jsonl";
  struct stat st {};
  if (::stat(history.c_str(), &st) == 0 &&
      static_cast<std::uint64_t>(st.st_size) >= history_max_bytes_)
    ::rename(history.c_str(), (history + ".1").c_str());  // keeps one generation
  std::string line = document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  int fd = ::open(history.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
  if (fd < 0) return PublishResult::failure(history + ": " + std::strerror(errno));
  ssize_t written = ::write(fd, line.data(), line.size());
  int saved = errno;
  ::close(fd);
  if (written != static_cast<ssize_t>(line.size())) {
    // A partial line would corrupt the history for readers: cut it back off.
    if (written > 0 && ::truncate(history.c_str(), st.st_size) != 0) {
    }
    return PublishResult::failure(history + ": " + std::strerror(written < 0 ? saved : ENOSPC));
  }
  return {};
}

}  // namespace latchwatch::reporting
