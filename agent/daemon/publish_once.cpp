#include "agent/daemon/publish_once.h"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/host_name.hpp>

#include "agent/daemon/debounce.h"
#include "agent/daemon/instance_lock.h"
#include "agent/daemon/sink_list.h"
#include "probes/os/atomic_file.h"
#include "probes/os/bounded_file.h"
#include "reporting/sinks/sandbox_hint.h"

namespace latchwatch::agent {

PublishedCycle publish_once(const Config& config, latchwatch::Report report,
                            std::chrono::system_clock::time_point started) {
  PublishedCycle out;
  InstanceLock lock(config.sources.state_dir);
  if (!lock.held()) {
    out.error = lock.error() +
                " (latchwatch run holds it: the daemon publishes already; use the timer or the "
                "daemon, not both)";
    return out;
  }
  const std::string debounce_file = config.sources.state_dir + "/debounce.json";
  DebounceState state;
  auto file = probes::read_bounded_file(debounce_file, 64 * 1024);
  if (file.state != probes::ReadState::missing) {
    auto parsed = parse_debounce_state(file.content);
    if (parsed)
      state = *parsed.value;
    else
      spdlog::warn("debounce state ignored ({}): {}", debounce_file,
                   file.state == probes::ReadState::ok ? parsed.error : file.error);
  }
  Step step = debounce(state, report.verdict.code, config.debounce_cycles);
  if (auto error = probes::write_file_atomically(
          debounce_file,
          nlohmann::json(state).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
              "\n",
          0640);
      !error.empty())
    spdlog::warn("debounce state not saved: {}", error);

  auto& cycle = out.cycle;
  cycle.report = std::move(report);
  cycle.started = started;
  cycle.finished = std::chrono::system_clock::now();
  cycle.cycle = state.cycle;
  cycle.transition = step.transition;
  cycle.has_confirmed = step.has_confirmed;
  cycle.confirmed = step.confirmed;
  cycle.has_previous = step.has_previous;
  cycle.previous = step.previous;
  cycle.pending = step.pending;
  boost::system::error_code ignored;
  cycle.host = boost::asio::ip::host_name(ignored);

  auto metrics_text = std::make_shared<reporting::MetricsText>();
  auto sinks = build_sinks(config, metrics_text);
  // Every sink but the metrics one first, so the textfile carries their health from this run.
  std::unique_ptr<reporting::Sink> metrics;
  for (auto& sink : sinks) {
    const std::string name = sink->name();
    if (name == "log") continue;
    if (name == "metrics") {
      metrics = std::move(sink);
      continue;
    }
    reporting::PublishResult result = sink->accept(cycle);
    if (result.ok) result = sink->publish(cycle);
    nlohmann::json health = {{"up", result.ok}, {"failures", result.ok ? 0 : 1}};
    if (auto extra = sink->health(); !extra.empty()) health["extra"] = extra;
    if (!result.ok) {
      result.error = reporting::with_sandbox_hint(result.error, reporting::under_systemd());
      health["last_error"] = result.error;
      spdlog::warn("sink {}: {}", name, result.error);
    }
    out.sinks[name] = health;
  }
  if (metrics) {
    cycle.sinks_health = out.sinks;
    auto result = metrics->publish(cycle);
    result.error = reporting::with_sandbox_hint(result.error, reporting::under_systemd());
    out.sinks["metrics"] = {{"up", result.ok}, {"failures", result.ok ? 0 : 1}};
    if (!result.ok) {
      out.sinks["metrics"]["last_error"] = result.error;
      spdlog::warn("sink metrics: {}", result.error);
    }
  }
  return out;
}

}  // namespace latchwatch::agent
