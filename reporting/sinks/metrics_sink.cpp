#include "reporting/sinks/metrics_sink.h"

#include <algorithm>

#include <charconv>
#include <string>
#include <utility>

#include "probes/os/atomic_file.h"

namespace latchwatch::reporting {
namespace {

/// The text exposition format, appended into one string (no streams: this runs every cycle).
class Exposition {
 public:
  void family(const char* name, const char* type, const char* help) {
    out_.append("# HELP ").append(name).append(" ").append(help).append("\n# TYPE ");
    out_.append(name).append(" ").append(type).append("\n");
  }
  void sample(const std::string& name, double value, const std::string& labels = "") {
    // Shortest text that reads back as the same double ("0.2", not "0.20000000000000001").
    char number[64];
    auto result = std::to_chars(number, number + sizeof number, value);
    out_.append(name);
    if (!labels.empty()) out_.append("{").append(labels).append("}");
    out_.append(" ").append(number, result.ptr).append("\n");
  }
  std::string str() && { return std::move(out_); }

 private:
  std::string out_;
};

std::string label(const char* key, const std::string& value) {
  std::string escaped;
  for (char c : value) {
    if (c == '\\' || c == '"') escaped += '\\';
    if (c == '\n') {
      escaped += "\\n";
      continue;
    }
    escaped += c;
  }
  return std::string(key) + "=\"" + escaped + "\"";
}

double seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace

std::string render_metrics(const CycleReport& r, std::uint64_t cycles_total) {
  Exposition m;
  m.family("latchwatch_build_info", "gauge", "latchwatch version, always 1.");
  m.sample("latchwatch_build_info", 1, label("version", LATCHWATCH_VERSION));
  m.family("latchwatch_verdict", "gauge", "1 for the current verdict code, 0 for every other.");
  for (const auto& entry : latchwatch::verdict_catalogue())
    m.sample("latchwatch_verdict", entry.code == r.report.verdict.code ? 1 : 0,
             label("code", entry.name));
  m.family("latchwatch_verdict_severity", "gauge",
           "Severity of the current verdict: 0 ok, 1 warning, 2 critical, 3 unknown.");
  m.sample("latchwatch_verdict_severity", latchwatch::exit_code(r.report.verdict.severity));
  m.family("latchwatch_key_alert_firing", "gauge",
           "1 while a key verdict has persisted long enough to fire (debounced).");
  m.sample("latchwatch_key_alert_firing", r.key_alert_firing() ? 1 : 0);
  m.family("latchwatch_probe_success", "gauge", "1 when the probe got a usable answer.");
  for (const auto& p : r.report.probes)
    m.sample("latchwatch_probe_success", p.outcome == probes::Outcome::ok ? 1 : 0,
             label("probe", probes::to_string(p.target)));
  m.family("latchwatch_probe_duration_seconds", "gauge", "Wall time of the probe's exchange.");
  for (const auto& p : r.report.probes)
    m.sample("latchwatch_probe_duration_seconds", p.timings.total_ms / 1000.0,
             label("probe", probes::to_string(p.target)));
  for (const auto& p : r.report.probes) {
    if (p.target != probes::Target::wireserver_status || !p.summary.is_object()) continue;
    auto inc = p.summary.find("keyIncarnationId");
    if (inc == p.summary.end() || !inc->is_number_integer()) continue;
    m.family("latchwatch_key_incarnation_id", "gauge", "The host's keyIncarnationId.");
    m.sample("latchwatch_key_incarnation_id", static_cast<double>(inc->get<std::int64_t>()));
  }
  m.family("latchwatch_cycles_total", "counter", "Probe cycles completed since start.");
  m.sample("latchwatch_cycles_total", static_cast<double>(cycles_total));
  m.family("latchwatch_last_cycle_timestamp_seconds", "gauge", "When the last cycle finished.");
  m.sample("latchwatch_last_cycle_timestamp_seconds", seconds(r.finished));
  m.family("latchwatch_cycle_duration_seconds", "gauge", "Wall time of the last probe cycle.");
  m.sample("latchwatch_cycle_duration_seconds", r.report.cycle_wall_ms / 1000.0);
  m.family("latchwatch_sink_up", "gauge", "1 when the sink's last delivery succeeded.");
  for (const auto& h : r.sinks_health)
    m.sample("latchwatch_sink_up", h.up ? 1 : 0, label("sink", h.name));
  m.family("latchwatch_sink_stalled", "gauge",
           "1 while the sink's delivery in progress has run past its stall bound.");
  for (const auto& h : r.sinks_health)
    m.sample("latchwatch_sink_stalled", h.stalled ? 1 : 0, label("sink", h.name));
  m.family("latchwatch_sink_busy_seconds", "gauge",
           "How long the sink's delivery in progress has run; 0 when idle.");
  for (const auto& h : r.sinks_health)
    m.sample("latchwatch_sink_busy_seconds", h.busy_seconds, label("sink", h.name));
  m.family("latchwatch_sink_queued", "gauge", "Cycles waiting for the sink.");
  for (const auto& h : r.sinks_health)
    m.sample("latchwatch_sink_queued", static_cast<double>(h.queued), label("sink", h.name));
  m.family("latchwatch_sink_errors_total", "counter", "Failed deliveries per sink.");
  for (const auto& h : r.sinks_health)
    m.sample("latchwatch_sink_errors_total", static_cast<double>(h.failures),
             label("sink", h.name));
  m.family("latchwatch_sink_dropped_total", "counter",
           "Cycles or lines a sink dropped (queue overflow, full device).");
  for (const auto& h : r.sinks_health) {
    double dropped = static_cast<double>(h.dropped);
    if (h.extra.is_object()) dropped += h.extra.value("dropped_lines", 0.0);
    m.sample("latchwatch_sink_dropped_total", dropped, label("sink", h.name));
  }
  auto webhook = std::find_if(r.sinks_health.begin(), r.sinks_health.end(),
                              [](const SinkHealth& h) { return h.name == "webhook"; });
  if (webhook != r.sinks_health.end()) {
    auto extra = webhook->extra.is_object() ? webhook->extra : nlohmann::json::object();
    m.family("latchwatch_webhook_spool_entries", "gauge", "Reports waiting in the webhook spool.");
    m.sample("latchwatch_webhook_spool_entries", extra.value("spool_entries", 0.0));
    m.family("latchwatch_webhook_spool_dropped_total", "counter",
             "Spooled reports dropped because the spool was full.");
    m.sample("latchwatch_webhook_spool_dropped_total", extra.value("spool_dropped", 0.0));
  }
  return std::move(m).str();
}

void MetricsText::set(std::string text) {
  std::lock_guard<std::mutex> lock(mutex_);
  text_ = std::move(text);
}

std::string MetricsText::get() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return text_;
}

MetricsSink::MetricsSink(std::shared_ptr<MetricsText> text, std::string textfile_dir)
    : text_(std::move(text)), textfile_dir_(std::move(textfile_dir)) {}

PublishResult MetricsSink::publish(const CycleReport& report) {
  auto text = render_metrics(report, text_->count_cycle());
  text_->set(text);
  if (textfile_dir_.empty()) return {};
  // node_exporter reads *.prom: write elsewhere in the folder, then rename into place.
  auto error = latchwatch::probes::write_file_atomically(textfile_dir_ + "/latchwatch.prom", text,
                                                         0644, false);
  return error.empty() ? PublishResult{} : PublishResult::failure(error);
}

}  // namespace latchwatch::reporting
