#pragma once
/// latchwatch's configuration: one JSON file, overridden by command-line flags.
///
/// Every option is one row of `option_table()`: its config key (a dotted path into the JSON
/// file), its flag, its kind, default and help. Parsing the file, parsing flags, `config show`,
/// `--help` and the man page all read that one table, so they cannot drift apart.
///
/// Errors: `load_config_file` and `apply_flag` return an error naming the key or flag; they
/// never throw.

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/config/platform_defaults.h"
#include "agent/diagnosis/diagnose.h"
#include "agent/diagnosis/evidence.h"

namespace latchwatch::reporting {
bool eventlog_available();  // reporting/sinks/eventlog_sink.h
}  // namespace latchwatch::reporting

namespace latchwatch::agent {

struct WebhookConfig {
  bool enabled = false;
  std::string url;       ///< http:// or https://; its query and userinfo are masked in output
  std::string url_file;  ///< read at load into `url` (a URL whose query is the credential)
  std::string format = "json";  ///< "json" (latchwatch's report) or "cloudevents"
  std::string event_grid_key;   ///< aeg-sas-key; only ever read from `event_grid_key_file`
  std::string event_grid_key_file;
  std::string secret;
  std::string secret_file;  ///< read at load into `secret`; root-only file (see load_config_file)
  std::string ca_file;      ///< empty: system trust store
  bool verify_tls = true;
  int timeout_ms = 5000;
  int spool_max_entries = 1000;
};

struct AlertmanagerConfig {
  bool enabled = false;
  std::string url;       ///< base URL, e.g. http://127.0.0.1:9093
  std::string url_file;  ///< read at load into `url`
  std::string bearer_token;
  std::string bearer_token_file;  ///< read at load into `bearer_token`
  int timeout_ms = 5000;
  int resend_interval_s = 60;
};

/// The storage drop box (reporting/sinks/blob_sink.h).
struct BlobConfig {
  bool enabled = false;
  std::string url;       ///< the container's SAS URL; prefer `url_file` (the SAS is a credential)
  std::string url_file;  ///< read at load into `url`
  std::string ca_file;
  bool verify_tls = true;
  int timeout_ms = 5000;
  int spool_max_entries = 1000;
  bool write_latest = true;
};

struct Config {
  diagnosis::EvidenceSources sources = platform_defaults().sources;
  diagnosis::DiagnosisSettings diagnosis;
  std::string log_level = "info";
  // Daemon.
  int interval_s = 300;
  int interval_ms = 0;  ///< when > 0, overrides interval_s (soak tests and benchmarks)
  int jitter_s = 30;
  int debounce_cycles = 2;
  // Daemon: cycles triggered by changes in GPA's key folder and status file
  // (daemon/trigger_policy.h).
  bool trigger_enabled = true;
  int trigger_min_gap_s = 5;
  int trigger_max_per_hour = 3;
  int trigger_confirm_after_s = 15;
  // Sinks.
  bool report_file_enabled = true;
  int history_max_bytes = 1024 * 1024;
  bool metrics_enabled = true;
  std::string metrics_listen = "127.0.0.1:9464";
  std::string textfile_dir;  ///< node_exporter textfile folder; empty: off
  /// GET /health on the metrics listener (reporting/sinks/health_answer.h); off by default.
  bool health_enabled = false;
  std::string health_verdicts = "key_lost,key_mismatch,key_suspect_mismatch";
  AlertmanagerConfig alertmanager;
  WebhookConfig webhook;
  BlobConfig blob;
  bool kvp_enabled = false;
  std::string kvp_pool_file = platform_defaults().kvp_pool;  ///< Linux: /var/lib/hyperv/.kvp_pool_1
  bool serial_enabled = true;  ///< written only when the device is usable (see sink_list)
  std::string serial_device = platform_defaults().serial_device;  ///< Linux: /dev/ttyS0
  /// The Windows Event Log sink: on by default where there is one (Windows); on Linux the key
  /// exists and `true` is refused at config check ("Windows only").
  bool eventlog_enabled = reporting::eventlog_available();
  bool syslog_enabled = false;
};

/// `location`: a path, or on Windows also a device (COM1) or a registry key (HKLM\..., HKCU\...).
enum class OptionKind { endpoint, path, location, text, url, secret, integer, boolean, log_level };

struct OptionSpec {
  std::string key;   ///< dotted config key, e.g. "endpoints.wireserver"
  std::string flag;  ///< "--wireserver"; empty when config-file only
  OptionKind kind;
  std::string help;
  long min = 0;  ///< integer bounds
  long max = 0;
  /// Sets the option from its text form; returns an error text (without the key) or empty.
  std::function<std::string(Config&, const std::string&)> set;
  std::function<nlohmann::json(const Config&)> get;
};

const std::vector<OptionSpec>& option_table();

/// Where the package installs the config; `check`, `run` and `config show` read it when it exists
/// and no --config is given: /etc/latchwatch/config.json on Linux,
/// %ProgramData%\latchwatch\config.json on Windows (platform_defaults_*.cpp).
extern const char* const kDefaultConfigPath;

/// Reads and applies a config file. Unknown keys and wrong types are errors naming the key; so are
/// an enabled sink without its URL, and a secret file that cannot be read, is not a regular file,
/// is readable or writable by others, or is given together with the secret itself. The secret
/// files are read here, so a rotated secret is picked up on reload (SIGHUP).
std::string load_config_file(const std::string& path, Config& config);
std::string apply_config_json(const nlohmann::json& document, Config& config);

/// Applies one flag (e.g. "--timeout-ms", "500"). Returns an error naming the flag, or empty.
std::string apply_flag(const std::string& flag, const std::string& value, Config& config);
bool is_config_flag(const std::string& flag);

/// The effective configuration as a JSON document in the file's shape; secrets masked.
nlohmann::json effective_config(const Config& config);

/// Errors a loaded config must not have (an enabled sink without its URL); empty when none.
std::string config_error(const Config& config);

/// What the packaged systemd unit's sandbox will block of what `config` enables: a textfile
/// folder or state folder it cannot write, a metrics listener or sink address outside
/// IPAddressAllow. One sentence per problem, each naming the drop-in line that allows it.
/// A sink named by host name (not an address) also needs the DNS servers the name resolves
/// through: the nameservers of `resolv_conf` (the static binary asks them itself) that are not
/// loopback are named, with the IPAddressAllow= line that lets the queries out.
std::vector<std::string> sandbox_warnings(const Config& config);
std::vector<std::string> sandbox_warnings(const Config& config, const std::string& resolv_conf);

}  // namespace latchwatch::agent
