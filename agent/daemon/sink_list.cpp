#include "agent/daemon/sink_list.h"

#include <spdlog/spdlog.h>

#include "reporting/sinks/alertmanager_sink.h"
#include "reporting/sinks/blob_sink.h"
#include "reporting/sinks/eventlog_sink.h"
#include "reporting/sinks/kvp_sink.h"
#include "reporting/sinks/log_sink.h"
#include "reporting/sinks/report_file_sink.h"
#include "reporting/sinks/sandbox_hint.h"
#include "reporting/sinks/serial_sink.h"
#include "reporting/sinks/webhook_sink.h"

namespace latchwatch::agent {

std::vector<std::unique_ptr<reporting::Sink>> build_sinks(
    const Config& config, const std::shared_ptr<reporting::MetricsText>& metrics_text,
    const latchwatch::Clock& clock) {
  using namespace reporting;
  std::vector<std::unique_ptr<Sink>> sinks;
  // KVP and serial first: they work even when the network does not.
  if (config.kvp_enabled)
    sinks.push_back(
        std::make_unique<KvpSink>(config.kvp_pool_file, std::chrono::milliseconds(2000), clock));
  if (config.serial_enabled) {
    // On by default, but a console is written only where boot diagnostics can read it.
    std::string why;
    if (serial_console_usable(config.serial_device, "/sys/class/dmi/id/chassis_asset_tag", why)) {
      // On, but the port is held (Windows: the EMS console owns COM1): said as a warning, and
      // the sink's health keeps saying it at each line it cannot write.
      if (why.find("latchwatch cannot write") != std::string::npos)
        spdlog::warn("serial sink on, but {}", why);
      else
        spdlog::info("serial sink on: {}", why);
      SerialSinkOptions options;
      options.device = config.serial_device;
      // A console that is a character device now must stay one: a file, FIFO or link put in
      // its place later is refused (issue 26). A file or FIFO named in the config is written.
      options.character_device_only = is_character_device(config.serial_device);
      sinks.push_back(std::make_unique<SerialSink>(options));
    } else if (why.find("not writable") != std::string::npos) {
      // The device is there but cannot be written (a read-only mount, the unit's sandbox, a
      // mode): the owner asked for it, so it is a warning, not a note.
      spdlog::warn("serial sink off: {}", with_sandbox_hint(why, under_systemd()));
    } else {
      spdlog::info("serial sink off: {}", why);
    }
  }
  sinks.push_back(std::make_unique<LogSink>());
  if (config.eventlog_enabled) {
    // Windows only (config check refuses it elsewhere): the Application log, source latchwatch.
    std::string error;
    if (auto sink = make_eventlog_sink(kEventLogSource, error))
      sinks.push_back(std::move(sink));
    else
      spdlog::warn("event log sink off: {}", error);
  }
  if (config.report_file_enabled)
    sinks.push_back(std::make_unique<ReportFileSink>(
        config.sources.state_dir, static_cast<std::uint64_t>(config.history_max_bytes)));
  if (config.metrics_enabled || !config.textfile_dir.empty())
    sinks.push_back(std::make_unique<MetricsSink>(metrics_text, config.textfile_dir));
  if (config.alertmanager.enabled) {
    AlertmanagerOptions options;
    options.url = config.alertmanager.url;
    options.bearer_token = config.alertmanager.bearer_token;
    options.timeout = std::chrono::milliseconds(config.alertmanager.timeout_ms);
    options.resend_interval = std::chrono::seconds(config.alertmanager.resend_interval_s);
    options.state_file = config.sources.state_dir + "/alertmanager.json";
    options.clock = &clock;
    sinks.push_back(std::make_unique<AlertmanagerSink>(options));
  }
  if (config.webhook.enabled) {
    WebhookOptions options;
    options.url = config.webhook.url;
    options.secret = config.webhook.secret;
    options.format =
        config.webhook.format == "cloudevents" ? WebhookFormat::cloudevents : WebhookFormat::json;
    options.event_grid_key = config.webhook.event_grid_key;
    options.ca_file = config.webhook.ca_file;
    options.verify_tls = config.webhook.verify_tls;
    options.timeout = std::chrono::milliseconds(config.webhook.timeout_ms);
    options.spool_max_entries = static_cast<std::size_t>(config.webhook.spool_max_entries);
    options.spool_dir = config.sources.state_dir + "/spool";
    options.clock = &clock;
    sinks.push_back(std::make_unique<WebhookSink>(options));
  }
  if (config.blob.enabled) {
    BlobOptions options;
    options.container_url = config.blob.url;
    options.ca_file = config.blob.ca_file;
    options.verify_tls = config.blob.verify_tls;
    options.timeout = std::chrono::milliseconds(config.blob.timeout_ms);
    options.spool_max_entries = static_cast<std::size_t>(config.blob.spool_max_entries);
    options.spool_dir = config.sources.state_dir + "/blob-spool";
    options.write_latest = config.blob.write_latest;
    options.clock = &clock;
    sinks.push_back(std::make_unique<BlobSink>(options));
  }
  return sinks;
}

}  // namespace latchwatch::agent
