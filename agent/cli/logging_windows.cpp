#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/win_eventlog_sink.h>
#include <spdlog/spdlog.h>
#include <windows.h>

#include <memory>
#include <vector>

#include "agent/cli/logging.h"

namespace latchwatch::agent {

/// There is no journal on Windows.
bool is_journal_stream(const char* /*journal_stream*/, int /*fd*/) { return false; }

/// stderr always; with log.syslog, the Application event log as well, under the source
/// "latchwatch" (the installer registers it; unregistered, Windows still records the events).
void setup_logging(const Config& config) {
  std::vector<spdlog::sink_ptr> sinks;
  sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  sinks.front()->set_pattern(log_pattern(false));
  if (config.syslog_enabled) {
    try {
      auto event_log = std::make_shared<spdlog::sinks::win_eventlog_sink_mt>("latchwatch");
      // The event log stamps its own time, source and level: the message alone.
      event_log->set_pattern("%v");
      sinks.push_back(event_log);
    } catch (const spdlog::spdlog_ex& e) {
      sinks.front()->log(spdlog::details::log_msg(
          "latchwatch", spdlog::level::warn, std::string("event log unavailable: ") + e.what()));
    }
  }
  auto logger = std::make_shared<spdlog::logger>("latchwatch", sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::from_str(config.log_level));
  spdlog::set_default_logger(logger);
}

}  // namespace latchwatch::agent
