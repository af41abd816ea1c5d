#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <vector>

#include "agent/cli/logging.h"

namespace latchwatch::agent {
namespace {

/// `%*`: the sd-daemon(3) priority prefix for the line's level.
class JournalPriority final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const char* prefix = "<6>";
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug:
        prefix = "<7>";
        break;
      case spdlog::level::info:
        prefix = "<6>";
        break;
      case spdlog::level::warn:
        prefix = "<4>";
        break;
      case spdlog::level::err:
        prefix = "<3>";
        break;
      case spdlog::level::critical:
        prefix = "<2>";
        break;
      default:
        break;
    }
    dest.append(prefix, prefix + 3);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JournalPriority>();
  }
};

}  // namespace

bool is_journal_stream(const char* journal_stream, int fd) {
  if (!journal_stream || !*journal_stream) return false;
  struct stat info {};
  if (::fstat(fd, &info) != 0) return false;
  char* end = nullptr;
  unsigned long long device = std::strtoull(journal_stream, &end, 10);
  if (end == journal_stream || *end != ':') return false;
  const char* inode_text = end + 1;
  unsigned long long inode = std::strtoull(inode_text, &end, 10);
  if (end == inode_text || *end != '\0') return false;
  return device == static_cast<unsigned long long>(info.st_dev) &&
         inode == static_cast<unsigned long long>(info.st_ino);
}

void setup_logging(const Config& config) {
  std::vector<spdlog::sink_ptr> sinks;
  sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  bool journal = is_journal_stream(std::getenv("JOURNAL_STREAM"), STDERR_FILENO);
  // Under systemd stderr is the journal already, and syslog(3) lands in the journal too (and the
  // journal forwards to rsyslog itself): writing both would double every line. log.syslog
  // then adds nothing; it is for a daemon started outside systemd.
  const bool syslog = config.syslog_enabled && !journal;
  if (syslog)
    sinks.push_back(
        std::make_shared<spdlog::sinks::syslog_sink_mt>("latchwatch", 0, LOG_DAEMON, false));
  auto logger = std::make_shared<spdlog::logger>("latchwatch", sinks.begin(), sinks.end());
  auto stderr_formatter = std::make_unique<spdlog::pattern_formatter>();
  stderr_formatter->add_flag<JournalPriority>('*').set_pattern(log_pattern(journal));
  sinks.front()->set_formatter(std::move(stderr_formatter));
  // syslog adds its own name, time and priority: the message alone.
  if (syslog) sinks.back()->set_pattern("%v");
  logger->set_level(spdlog::level::from_str(config.log_level));
  spdlog::set_default_logger(logger);
}

}  // namespace latchwatch::agent
