#include "agent/logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <vector>

namespace latchwatch::agent {

void setup_logging(const Config& config) {
  std::vector<spdlog::sink_ptr> sinks;
  sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (config.syslog_enabled)
    sinks.push_back(std::make_shared<spdlog::sinks::syslog_sink_mt>("latchwatch", 0, LOG_DAEMON, false));
  auto logger = std::make_shared<spdlog::logger>("latchwatch", sinks.begin(), sinks.end());
  logger->set_pattern("latchwatch %Y-%m-%dT%H:%M:%S.%e %l: %v");
  logger->set_level(spdlog::level::from_str(config.log_level));
  spdlog::set_default_logger(logger);
}

}  // namespace latchwatch::agent
