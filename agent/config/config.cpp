#include "agent/config/config.h"

#include <algorithm>
#include <cctype>

#include "agent/config/secret_file.h"
#include "probes/base/json_limits.h"
#include "probes/os/bounded_file.h"
#include "reporting/sinks/health_answer.h"
#include "reporting/sinks/url.h"

namespace latchwatch::agent {
namespace {

constexpr std::size_t kConfigLimit = 256 * 1024;

bool parse_long(const std::string& text, long& out) {
  if (text.empty() || text.size() > 18) return false;
  std::size_t i = text[0] == '-' ? 1 : 0;
  if (i == text.size()) return false;
  for (std::size_t k = i; k < text.size(); ++k)
    if (!std::isdigit(static_cast<unsigned char>(text[k]))) return false;
  out = std::stol(text);
  return true;
}

template <class Access>
OptionSpec endpoint_option(std::string key, std::string flag, std::string help, Access access) {
  return {std::move(key),
          std::move(flag),
          OptionKind::endpoint,
          std::move(help),
          0,
          0,
          [access](Config& c, const std::string& v) {
            std::string error;
            net::Endpoint parsed;
            if (!net::parse_endpoint(v, parsed, error)) return error;
            access(c) = parsed;
            return std::string();
          },
          [access](const Config& c) {
            return nlohmann::json(access(const_cast<Config&>(c)).to_string());
          }};
}

template <class Access>
OptionSpec text_option(std::string key, std::string flag, OptionKind kind, std::string help,
                       Access access) {
  return {std::move(key),
          std::move(flag),
          kind,
          std::move(help),
          0,
          0,
          [access, kind](Config& c, const std::string& v) {
            if (kind == OptionKind::path && !v.empty() && !is_absolute_path(v))
              return std::string("must be an absolute path, got '") + v + "'";
            if (kind == OptionKind::location && !v.empty() && !is_absolute_location(v))
              return std::string("must be an absolute path") + other_locations_text() + ", got '" +
                     v + "'";
            if (kind == OptionKind::url && !v.empty() && v.rfind("http://", 0) != 0 &&
                v.rfind("https://", 0) != 0)
              return std::string("must start with http:// or https://, got '") +
                     reporting::mask_url(v) + "'";
            access(c) = v;
            return std::string();
          },
          [access](const Config& c) { return nlohmann::json(access(const_cast<Config&>(c))); }};
}

template <class Access>
OptionSpec int_option(std::string key, std::string flag, std::string help, long min, long max,
                      Access access) {
  return {std::move(key),
          std::move(flag),
          OptionKind::integer,
          std::move(help),
          min,
          max,
          [access, min, max](Config& c, const std::string& v) {
            long value = 0;
            if (!parse_long(v, value) || value < min || value > max)
              return "must be a whole number from " + std::to_string(min) + " to " +
                     std::to_string(max) + ", got '" + v + "'";
            access(c) = static_cast<std::remove_reference_t<decltype(access(c))>>(value);
            return std::string();
          },
          [access](const Config& c) {
            return nlohmann::json(static_cast<long long>(access(const_cast<Config&>(c))));
          }};
}

template <class Access>
OptionSpec bool_option(std::string key, std::string flag, std::string help, Access access) {
  return {std::move(key),
          std::move(flag),
          OptionKind::boolean,
          std::move(help),
          0,
          0,
          [access](Config& c, const std::string& v) {
            if (v == "true" || v == "1" || v == "yes") {
              access(c) = true;
            } else if (v == "false" || v == "0" || v == "no") {
              access(c) = false;
            } else {
              return "must be true or false, got '" + v + "'";
            }
            return std::string();
          },
          [access](const Config& c) { return nlohmann::json(access(const_cast<Config&>(c))); }};
}

std::vector<OptionSpec> build_table() {
  using K = OptionKind;
  std::vector<OptionSpec> t;
  t.push_back(endpoint_option(
      "endpoints.wireserver", "--wireserver", "WireServer HOST:PORT",
      [](Config & c) -> auto& { return c.sources.probes.endpoints.wireserver; }));
  t.push_back(endpoint_option(
      "endpoints.hostga", "--hostga", "HostGAPlugin HOST:PORT",
      [](Config & c) -> auto& { return c.sources.probes.endpoints.hostga; }));
  t.push_back(endpoint_option(
      "endpoints.imds", "--imds", "IMDS HOST:PORT",
      [](Config & c) -> auto& { return c.sources.probes.endpoints.imds; }));
  t.push_back(endpoint_option(
      "endpoints.gpa", "--gpa", "GPA local listener HOST:PORT",
      [](Config & c) -> auto& { return c.sources.probes.endpoints.gpa; }));
  t.push_back({"probes.timeout_ms", "--timeout-ms", K::integer,
               "deadline of each probe in milliseconds (probes run in parallel)", 1, 60000,
               [](Config& c, const std::string& v) {
                 long value = 0;
                 if (!parse_long(v, value) || value < 1 || value > 60000)
                   return "must be a whole number from 1 to 60000, got '" + v + "'";
                 c.sources.probes.timeout = std::chrono::milliseconds(value);
                 return std::string();
               },
               [](const Config& c) {
                 return nlohmann::json(static_cast<long>(c.sources.probes.timeout.count()));
               }});
  t.push_back(text_option(
      "paths.gpa_key_dir", "--gpa-key-dir", K::path,
      "GPA's key folder (listed, never opened); on Windows "
      "%SYSTEMDRIVE%\\WindowsAzure\\ProxyAgent\\Keys",
      [](Config & c) -> auto& { return c.sources.key_dir; }));
  t.push_back(text_option(
      "paths.gpa_status_file", "--gpa-status-file", K::path,
      "GPA's status.json; on Windows "
      "%SYSTEMDRIVE%\\WindowsAzure\\ProxyAgent\\Logs\\status.json",
      [](Config & c) -> auto& { return c.sources.status_file; }));
  t.push_back(text_option(
      "paths.gpa_unit_file", "--gpa-unit-file", K::path, "GPA's systemd unit file",
      [](Config & c) -> auto& { return c.sources.presence.unit_file; }));
  t.push_back(text_option(
      "paths.gpa_binary", "--gpa-binary", K::path, "GPA's binary",
      [](Config & c) -> auto& { return c.sources.presence.binary; }));
  t.push_back(text_option(
      "paths.gpa_service", "", K::text,
      "GPA's Windows service, asked about through the service manager "
      "(not used on Linux)",
      [](Config & c) -> auto& { return c.sources.presence.service_name; }));
  t.push_back(text_option(
      "paths.proc_root", "--proc-root", K::path, "where to look for a running GPA process",
      [](Config & c) -> auto& { return c.sources.presence.proc_root; }));
  t.push_back(text_option(
      "paths.uptime_file", "--uptime-file", K::path,
      "seconds since boot (/proc/uptime format), for the early-boot grace; "
      "empty: the system's own count (the Windows default, GetTickCount64)",
      [](Config & c) -> auto& { return c.sources.uptime_file; }));
  t.push_back(text_option(
      "paths.smbios_uuid_file", "--smbios-uuid-file", K::path,
      "the SMBIOS system UUID file; empty: the firmware's SMBIOS table "
      "(the Windows default)",
      [](Config & c) -> auto& { return c.sources.smbios_uuid_file; }));
  t.push_back(text_option(
      "paths.state_dir", "--state-dir", K::path,
      "latchwatch's state folder (identity cache, reports, spool); on "
      "Windows %ProgramData%\\latchwatch",
      [](Config & c) -> auto& { return c.sources.state_dir; }));
  t.push_back(int_option(
      "diagnosis.status_stale_after_s", "--status-stale-after-s",
      "GPA's status file counts as stale after this many seconds", 60, 86400,
      [](Config & c) -> auto& { return c.diagnosis.status_stale_after_seconds; }));
  t.push_back(int_option(
      "diagnosis.clock_skew_threshold_s", "--clock-skew-threshold-s",
      "fabric Date header further than this from the local clock is skew", 1, 86400,
      [](Config & c) -> auto& { return c.diagnosis.clock_skew_threshold_seconds; }));
  t.push_back(int_option(
      "diagnosis.boot_grace_s", "--boot-grace-s",
      "after boot, this many seconds never yield gpa_down or a key verdict "
      "from absence alone",
      0, 86400, [](Config & c) -> auto& { return c.diagnosis.boot_grace_seconds; }));
  t.push_back({"log.level", "--log-level", K::log_level,
               "trace, debug, info, warn, error, critical or off", 0, 0,
               [](Config& c, const std::string& v) {
                 static const char* levels[] = {"trace", "debug",    "info", "warn",
                                                "error", "critical", "off"};
                 for (const char* level : levels)
                   if (v == level) {
                     c.log_level = v;
                     return std::string();
                   }
                 return "must be one of trace, debug, info, warn, error, critical, off, got '" + v +
                        "'";
               },
               [](const Config& c) { return nlohmann::json(c.log_level); }});
  t.push_back(bool_option(
      "log.syslog", "--syslog", "also log to syslog",
      [](Config & c) -> auto& { return c.syslog_enabled; }));
  t.push_back(int_option(
      "daemon.interval_s", "--interval-s", "seconds between probe cycles", 1, 86400,
      [](Config & c) -> auto& { return c.interval_s; }));
  t.push_back(int_option(
      "daemon.interval_ms", "",
      "when above 0, milliseconds between cycles instead of interval_s "
      "(for soak tests and benchmarks)",
      0, 86400000, [](Config & c) -> auto& { return c.interval_ms; }));
  t.push_back(int_option(
      "daemon.jitter_s", "--jitter-s", "random extra delay of up to this many seconds per cycle", 0,
      3600, [](Config & c) -> auto& { return c.jitter_s; }));
  t.push_back(int_option(
      "daemon.debounce_cycles", "--debounce-cycles",
      "consecutive cycles a key verdict must persist before it fires", 1, 100,
      [](Config & c) -> auto& { return c.debounce_cycles; }));
  t.push_back(bool_option(
      "daemon.trigger.enabled", "",
      "watch GPA's key folder (names only) and status file with inotify and "
      "start a cycle when they change",
      [](Config & c) -> auto& { return c.trigger_enabled; }));
  t.push_back(int_option(
      "daemon.trigger.min_gap_s", "",
      "a change starts a cycle once the files were quiet this long, and no "
      "sooner than this after the previous cycle",
      1, 3600, [](Config & c) -> auto& { return c.trigger_min_gap_s; }));
  t.push_back(int_option(
      "daemon.trigger.max_per_hour", "",
      "extra cycles allowed per hour, change-triggered and confirmation cycles alike (a bucket of "
      "this size)",
      0, 60, [](Config & c) -> auto& { return c.trigger_max_per_hour; }));
  t.push_back(int_option(
      "daemon.trigger.confirm_after_s", "",
      "a pending key verdict is confirmed at GPA's next status write or after "
      "this many seconds",
      1, 3600, [](Config & c) -> auto& { return c.trigger_confirm_after_s; }));
  t.push_back(bool_option(
      "sinks.report_file.enabled", "", "write STATE/report.json and history",
      [](Config & c) -> auto& { return c.report_file_enabled; }));
  t.push_back(int_option(
      "sinks.report_file.history_max_bytes", "", "history.jsonl is rotated past this size", 4096,
      1L << 30, [](Config & c) -> auto& { return c.history_max_bytes; }));
  t.push_back(bool_option(
      "sinks.metrics.enabled", "", "serve Prometheus metrics",
      [](Config & c) -> auto& { return c.metrics_enabled; }));
  t.push_back(text_option(
      "sinks.metrics.listen", "--metrics-listen", K::text, "HOST:PORT of the metrics endpoint",
      [](Config & c) -> auto& { return c.metrics_listen; }));
  t.push_back(text_option(
      "sinks.metrics.textfile_dir", "", K::path, "node_exporter textfile folder (empty: off)",
      [](Config & c) -> auto& { return c.textfile_dir; }));
  t.push_back(bool_option(
      "sinks.metrics.health.enabled", "",
      "also answer GET /health on the metrics listener: 200, or 503 while a "
      "verdict of sinks.metrics.health.verdicts is confirmed (for Azure Load "
      "Balancer / Application Gateway probes and Connection Monitor)",
      [](Config & c) -> auto& { return c.health_enabled; }));
  t.push_back({"sinks.metrics.health.verdicts", "", K::text,
               "verdict codes that make /health answer 503, separated by commas (default: the "
               "key verdicts that need a reset now)",
               0, 0,
               [](Config& c, const std::string& v) {
                 std::vector<latchwatch::VerdictCode> codes;
                 std::string error;
                 if (!reporting::parse_health_verdicts(v, codes, error)) return error;
                 c.health_verdicts = reporting::health_verdicts_text(codes);
                 return std::string();
               },
               [](const Config& c) { return nlohmann::json(c.health_verdicts); }});
  t.push_back(bool_option(
      "sinks.alertmanager.enabled", "", "push alerts to Alertmanager",
      [](Config & c) -> auto& { return c.alertmanager.enabled; }));
  t.push_back(text_option(
      "sinks.alertmanager.url", "", K::url, "Alertmanager base URL",
      [](Config & c) -> auto& { return c.alertmanager.url; }));
  t.push_back(text_option(
      "sinks.alertmanager.url_file", "", K::path,
      "file holding the Alertmanager URL instead (root-only, read at load)",
      [](Config & c) -> auto& { return c.alertmanager.url_file; }));
  t.push_back(text_option(
      "sinks.alertmanager.bearer_token", "", K::secret,
      "bearer token for Alertmanager (masked in output)",
      [](Config & c) -> auto& { return c.alertmanager.bearer_token; }));
  t.push_back(text_option(
      "sinks.alertmanager.bearer_token_file", "", K::path,
      "file holding the bearer token instead (root-only, read at load)",
      [](Config & c) -> auto& { return c.alertmanager.bearer_token_file; }));
  t.push_back(int_option(
      "sinks.alertmanager.timeout_ms", "", "deadline of each push", 1, 60000,
      [](Config & c) -> auto& { return c.alertmanager.timeout_ms; }));
  t.push_back(int_option(
      "sinks.alertmanager.resend_interval_s", "", "re-send a firing alert this often", 1, 3600,
      [](Config & c) -> auto& { return c.alertmanager.resend_interval_s; }));
  t.push_back(bool_option(
      "sinks.webhook.enabled", "", "POST reports to a webhook",
      [](Config & c) -> auto& { return c.webhook.enabled; }));
  t.push_back(text_option(
      "sinks.webhook.url", "", K::url, "webhook URL",
      [](Config & c) -> auto& { return c.webhook.url; }));
  t.push_back(text_option(
      "sinks.webhook.url_file", "", K::path,
      "file holding the webhook URL instead, for a URL whose query is its "
      "credential (a Logic App's sig=): root-only, read at load",
      [](Config & c) -> auto& { return c.webhook.url_file; }));
  t.push_back({"sinks.webhook.format", "", K::text,
               "json (latchwatch's report) or cloudevents (a CloudEvents 1.0 structured event, "
               "for an Event Grid custom topic)",
               0, 0,
               [](Config& c, const std::string& v) {
                 if (v != "json" && v != "cloudevents")
                   return "must be json or cloudevents, got '" + v.substr(0, 64) + "'";
                 c.webhook.format = v;
                 return std::string();
               },
               [](const Config& c) { return nlohmann::json(c.webhook.format); }});
  t.push_back(text_option(
      "sinks.webhook.event_grid_key_file", "", K::path,
      "file holding an Event Grid topic access key, sent as aeg-sas-key "
      "(root-only, read at load)",
      [](Config & c) -> auto& { return c.webhook.event_grid_key_file; }));
  t.push_back(text_option(
      "sinks.webhook.secret", "", K::secret,
      "HMAC-SHA256 secret for X-Latchwatch-Signature (masked in output)",
      [](Config & c) -> auto& { return c.webhook.secret; }));
  t.push_back(text_option(
      "sinks.webhook.secret_file", "", K::path,
      "file holding the webhook secret instead (root-only, read at load)",
      [](Config & c) -> auto& { return c.webhook.secret_file; }));
  t.push_back(text_option(
      "sinks.webhook.ca_file", "", K::path,
      "CA bundle to verify the webhook's certificate (empty: system)",
      [](Config & c) -> auto& { return c.webhook.ca_file; }));
  t.push_back(bool_option(
      "sinks.webhook.verify_tls", "", "verify the webhook's certificate",
      [](Config & c) -> auto& { return c.webhook.verify_tls; }));
  t.push_back(int_option(
      "sinks.webhook.timeout_ms", "", "deadline of each delivery", 1, 60000,
      [](Config & c) -> auto& { return c.webhook.timeout_ms; }));
  t.push_back(int_option(
      "sinks.webhook.spool_max_entries", "",
      "undelivered reports kept on disk; the oldest are dropped past this", 1, 100000,
      [](Config & c) -> auto& { return c.webhook.spool_max_entries; }));
  t.push_back(bool_option(
      "sinks.blob.enabled", "",
      "write each transition's report (and the latest) as a blob into an "
      "Azure Storage container through a SAS URL",
      [](Config & c) -> auto& { return c.blob.enabled; }));
  t.push_back(text_option(
      "sinks.blob.url", "", K::url,
      "the container's SAS URL (https://ACCOUNT.blob.core.windows.net/"
      "CONTAINER?SAS); prefer url_file",
      [](Config & c) -> auto& { return c.blob.url; }));
  t.push_back(text_option(
      "sinks.blob.url_file", "", K::path,
      "file holding the container's SAS URL (root-only, read at load)",
      [](Config & c) -> auto& { return c.blob.url_file; }));
  t.push_back(text_option(
      "sinks.blob.ca_file", "", K::path,
      "CA bundle to verify the storage endpoint's certificate (empty: system)",
      [](Config & c) -> auto& { return c.blob.ca_file; }));
  t.push_back(bool_option(
      "sinks.blob.verify_tls", "", "verify the storage endpoint's certificate",
      [](Config & c) -> auto& { return c.blob.verify_tls; }));
  t.push_back(int_option(
      "sinks.blob.timeout_ms", "", "deadline of each Put Blob", 1, 60000,
      [](Config & c) -> auto& { return c.blob.timeout_ms; }));
  t.push_back(int_option(
      "sinks.blob.spool_max_entries", "",
      "unwritten reports kept on disk; the oldest are dropped past this", 1, 100000,
      [](Config & c) -> auto& { return c.blob.spool_max_entries; }));
  t.push_back(bool_option(
      "sinks.blob.write_latest", "", "also overwrite latest/<vm>.json every cycle",
      [](Config & c) -> auto& { return c.blob.write_latest; }));
  t.push_back(bool_option(
      "sinks.kvp.enabled", "", "write verdicts to the Hyper-V KVP pool",
      [](Config & c) -> auto& { return c.kvp_enabled; }));
  t.push_back(text_option(
      "sinks.kvp.pool_file", "", K::location,
      "guest-to-host KVP pool file (Windows: its registry key, HKLM\\... or "
      "HKCU\\...)",
      [](Config & c) -> auto& { return c.kvp_pool_file; }));
  t.push_back(bool_option(
      "sinks.serial.enabled", "",
      "one line per transition, and a reminder every 6 h while a key verdict "
      "fires, to the serial console (boot diagnostics); a console device is "
      "written only on an Azure VM",
      [](Config & c) -> auto& { return c.serial_enabled; }));
  t.push_back(text_option(
      "sinks.serial.device", "", K::location, "serial console device (COM1 on Windows)",
      [](Config & c) -> auto& { return c.serial_device; }));
  t.push_back(bool_option(
      "sinks.eventlog.enabled", "",
      "Windows only: one Windows Event Log event per transition (source "
      "latchwatch; on by default on Windows, true is an error elsewhere)",
      [](Config & c) -> auto& { return c.eventlog_enabled; }));
  return t;
}

std::string kind_name(OptionKind kind) {
  switch (kind) {
    case OptionKind::integer:
      return "a whole number";
    case OptionKind::boolean:
      return "true or false";
    default:
      return "a string";
  }
}

/// Turns a JSON value into the option's text form, checking its JSON type first.
bool json_to_text(const OptionSpec& spec, const nlohmann::json& value, std::string& text) {
  switch (spec.kind) {
    case OptionKind::integer:
      if (!value.is_number_integer()) return false;
      text = std::to_string(value.get<long long>());
      return true;
    case OptionKind::boolean:
      if (!value.is_boolean()) return false;
      text = value.get<bool>() ? "true" : "false";
      return true;
    default:
      if (!value.is_string()) return false;
      text = value.get<std::string>();
      return true;
  }
}

void walk(const nlohmann::json& node, const std::string& prefix, Config& config,
          std::string& error) {
  for (auto it = node.begin(); it != node.end() && error.empty(); ++it) {
    std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    const OptionSpec* spec = nullptr;
    for (const auto& candidate : option_table())
      if (candidate.key == key) spec = &candidate;
    if (spec) {
      std::string text;
      if (!json_to_text(*spec, *it, text)) {
        error = "config key '" + key + "' must be " + kind_name(spec->kind);
        return;
      }
      if (auto problem = spec->set(config, text); !problem.empty())
        error = "config key '" + key + "' " + problem;
      continue;
    }
    bool is_section =
        std::any_of(option_table().begin(), option_table().end(),
                    [&](const OptionSpec& s) { return s.key.rfind(key + ".", 0) == 0; });
    if (!is_section) {
      error = "unknown config key '" + key + "'";
      return;
    }
    if (!it->is_object()) {
      error = "config key '" + key + "' must be an object (a section of keys)";
      return;
    }
    walk(*it, key, config, error);
  }
}

}  // namespace

const std::vector<OptionSpec>& option_table() {
  static const std::vector<OptionSpec> table = build_table();
  return table;
}

std::string apply_config_json(const nlohmann::json& document, Config& config) {
  if (!document.is_object()) return "the config must be a JSON object";
  std::string error;
  walk(document, "", config, error);
  return error;
}

std::string load_config_file(const std::string& path, Config& config) {
  auto file = probes::read_bounded_file(path, kConfigLimit);
  if (file.state != probes::ReadState::ok) return "cannot read config " + path + ": " + file.error;
  std::string error;
  auto document = probes::parse_untrusted_json(file.content, error);
  if (document.is_discarded()) return "config " + path + ": " + error;
  error = apply_config_json(document, config);
  if (error.empty()) error = read_secret_files(config);
  if (error.empty()) error = config_error(config);
  return error.empty() ? error : path + ": " + error;
}

bool is_config_flag(const std::string& flag) {
  return std::any_of(option_table().begin(), option_table().end(),
                     [&](const OptionSpec& s) { return !s.flag.empty() && s.flag == flag; });
}

std::string apply_flag(const std::string& flag, const std::string& value, Config& config) {
  for (const auto& spec : option_table()) {
    if (spec.flag.empty() || spec.flag != flag) continue;
    auto problem = spec.set(config, value);
    return problem.empty() ? problem : flag + " " + problem;
  }
  return "unknown flag " + flag;
}

nlohmann::json effective_config(const Config& config) {
  nlohmann::json doc = nlohmann::json::object();
  for (const auto& spec : option_table()) {
    nlohmann::json value = spec.get(config);
    if (spec.kind == OptionKind::secret && value.is_string() && !value.get<std::string>().empty())
      value = "********";
    if (spec.kind == OptionKind::url && value.is_string())
      value = reporting::mask_url(value.get<std::string>());  // a query or userinfo is a secret
    doc[nlohmann::json::json_pointer("/" + [&] {
      std::string p = spec.key;
      std::replace(p.begin(), p.end(), '.', '/');
      return p;
    }())] = value;
  }
  return doc;
}

}  // namespace latchwatch::agent
