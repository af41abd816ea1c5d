#include "agent/daemon/publish_once.h"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/host_name.hpp>

#include "agent/daemon/daemon_loop.h"
#include "agent/daemon/debounce.h"
#include "agent/daemon/instance_lock.h"
#include "agent/daemon/sink_list.h"
#include "probes/os/atomic_file.h"
#include "probes/os/bounded_file.h"
#include "reporting/sinks/sandbox_hint.h"

namespace latchwatch::agent {
namespace {

/// One synchronous publish as the dispatcher would count it; a failure is logged with the unit
/// setting to change when the sandbox caused it.
reporting::SinkHealth health_of(const std::string& name, reporting::PublishResult result,
                                nlohmann::json extra) {
  reporting::SinkHealth h;
  h.name = name;
  h.up = result.ok;
  (result.ok ? h.successes : h.failures) = 1;
  if (!extra.empty()) h.extra = std::move(extra);
  if (!result.ok) {
    h.last_error = reporting::with_sandbox_hint(result.error, reporting::under_systemd());
    spdlog::warn("sink {}: {}", name, h.last_error);
  }
  return h;
}

}  // namespace

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
  // The daemon's own cycle, once: the same debounce (kept in the same file) and the same
  // decision handed to the sinks.
  LoopPorts ports;
  ports.check = [&report](const Config&, std::chrono::system_clock::time_point) {
    return std::move(report);
  };
  ports.publish = [&out](reporting::CycleReport& decided) { out.cycle = decided; };
  DaemonLoop loop(config, load_debounce_state(config.sources.state_dir), std::move(ports));
  loop.run_cycle();
  // Kept every run (the daemon keeps it only when the decision changes): each timer run is a
  // new process, and its cycle count is all the next run knows.
  keep_debounce_state(config.sources.state_dir, loop.state());
  auto& cycle = out.cycle;
  cycle.started = started;
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
    out.sinks.push_back(health_of(name, result, sink->health()));
  }
  if (metrics) {
    cycle.sinks_health = out.sinks;
    out.sinks.push_back(health_of("metrics", metrics->publish(cycle), metrics->health()));
  }
  return out;
}

}  // namespace latchwatch::agent
