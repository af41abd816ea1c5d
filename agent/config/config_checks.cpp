#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "agent/config/config.h"
#include "probes/base/azure_names.h"
#include "probes/net/http_exchange.h"
#include "probes/os/bounded_file.h"
#include "reporting/sinks/eventlog_sink.h"
#include "reporting/sinks/url.h"

namespace latchwatch::agent {
namespace {

// What packaging/systemd/latchwatch.service allows: keep these lists in step with the unit
// (packaging/tests/systemd_verify.sh checks that they are).
const char* const kWritable[] = {"/var/lib/latchwatch", "/var/lib/hyperv",
                                 "/var/lib/prometheus/node-exporter", "/var/lib/node_exporter"};
const char* const kAllowedHosts[] = {"168.63.129.16", "169.254.169.254"};

bool under(const std::string& path, const std::string& folder) {
  return path == folder ||
         (path.size() > folder.size() && path.compare(0, folder.size(), folder) == 0 &&
          path[folder.size()] == '/');
}

bool writable_in_unit(const std::string& path) {
  return std::any_of(std::begin(kWritable), std::end(kWritable),
                     [&](const char* folder) { return under(path, folder); });
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

bool reachable_in_unit(const std::string& host) {
  return is_loopback(host) || std::any_of(std::begin(kAllowedHosts), std::end(kAllowedHosts),
                                          [&](const char* allowed) { return host == allowed; });
}

/// The host of "HOST:PORT", "[V6]:PORT", or of an http(s) URL.
std::string host_of(std::string text) {
  if (auto scheme = text.find("://"); scheme != std::string::npos) {
    text = text.substr(scheme + 3);
    text = text.substr(0, text.find_first_of("/?#"));
    if (auto at = text.rfind('@'); at != std::string::npos) text = text.substr(at + 1);
  }
  if (!text.empty() && text.front() == '[') return text.substr(1, text.find(']') - 1);
  if (std::count(text.begin(), text.end(), ':') > 1) return text;  // bare IPv6
  return text.substr(0, text.find(':'));
}

std::string allow_address(const std::string& what, const std::string& host) {
  if (!probes::is_ip_address(host))
    // A SaaS name (Event Grid, Logic Apps, Storage): its addresses are not the owner's to know
    // and change without notice, so no address list can be right for long.
    return what + " " + host +
           " is a name outside the unit's IPAddressAllow, so the sandbox drops its packets. Its "
           "addresses change, so list none: lift the address fence for this unit with a drop-in "
           "(`systemctl edit latchwatch`, then under [Service]: 'IPAddressAllow=any'). Trade-off: "
           "latchwatch may then reach any address, not only the fabric's and loopback (the other "
           "fences stay: no new privileges, read-only system, no capabilities). Or point the sink "
           "at a relay on an address you control and allow that address only. See "
           "docs/azure-channels.md";
  return what + " " + host +
         " is outside the unit's IPAddressAllow, so the sandbox drops its packets: add "
         "'IPAddressAllow=" +
         host +
         "' (an address, not a name: list what a name resolves to) "
         "with `systemctl edit latchwatch`";
}

std::string allow_path(const std::string& what, const std::string& path) {
  return what + " " + path +
         " is read-only under the unit's ProtectSystem=strict: add 'ReadWritePaths=" + path +
         "' with `systemctl edit latchwatch`";
}

bool is_address(const std::string& host) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  return !ec;
}

/// The `nameserver` lines of resolv.conf(5), in order.
std::vector<std::string> nameservers(const std::string& resolv_conf) {
  std::vector<std::string> servers;
  std::ifstream in(resolv_conf);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string word, address;
    if (words >> word >> address && word == "nameserver") servers.push_back(address);
  }
  return servers;
}

/// A control character in a sink URL, checked before anything else reads the URL (issue 26).
std::string url_injection_refusal(const Config& config) {
  // A control character in a URL ends the request line early: CR LF followed by text is a
  // header of the sender's choosing. Refused whether the sink is on or not.
  for (const auto& [key, url] : {std::pair<const char*, const std::string&>{
                                     "sinks.alertmanager.url", config.alertmanager.url},
                                 {"sinks.webhook.url", config.webhook.url}}) {
    auto bad = std::find_if(url.begin(), url.end(), [](char c) {
      auto u = static_cast<unsigned char>(c);
      return u < 0x21 || u == 0x7f;
    });
    if (bad != url.end())
      return std::string("config key '") + key + "' holds " +
             (*bad == '\r' || *bad == '\n' ? "a CR or LF"
              : *bad == ' '                ? "a space"
                                           : "a control character") +
             ": refused (it would end the request line and inject a header)";
  }
  return {};
}

/// Everything about the sinks' URLs and credentials that `run` would refuse or misread later
/// (issue 26): called by config_error, so `config validate`, start, reload and flags refuse the
/// same things.
std::string sink_refusal(const Config& config) {
  if (config.alertmanager.enabled) {
    if (config.alertmanager.url.rfind("https://", 0) == 0)
      return "config key 'sinks.alertmanager.url' is https, but the Alertmanager sink speaks "
             "plain HTTP only: use http:// to an Alertmanager on this host or its network, or a "
             "local TLS-terminating proxy";
    if (config.alertmanager.url.find_first_of("?#") != std::string::npos)
      return "config key 'sinks.alertmanager.url' has a query or fragment: it is the base URL "
             "(latchwatch appends /api/v2/alerts), e.g. http://127.0.0.1:9093 or "
             "http://host:9093/prefix";
  }
  if (config.webhook.enabled) {
    if (config.webhook.secret.empty())
      return "sinks.webhook.enabled is true, but neither 'sinks.webhook.secret' nor "
             "'sinks.webhook.secret_file' gives a secret: every delivery is signed "
             "(X-Latchwatch-Signature), and a receiver cannot check an empty key";
    if (!config.webhook.ca_file.empty()) {
      auto ca =
          probes::read_bounded_file(config.webhook.ca_file, 4u << 20, probes::FinalLink::follow);
      if (ca.state != probes::ReadState::ok)
        return "config key 'sinks.webhook.ca_file': " + ca.error;
      if (ca.content.find("-----BEGIN CERTIFICATE-----") == std::string::npos)
        return "config key 'sinks.webhook.ca_file': " + config.webhook.ca_file +
               " holds no PEM certificate (-----BEGIN CERTIFICATE-----)";
    }
  }
  return {};
}

}  // namespace

std::string config_error(const Config& config) {
  if (auto refusal = url_injection_refusal(config); !refusal.empty()) return refusal;
  if (config.alertmanager.enabled && config.alertmanager.url.empty())
    return "config key 'sinks.alertmanager.url' is empty, but sinks.alertmanager.enabled is true";
  if (config.webhook.enabled && config.webhook.url.empty())
    return "config key 'sinks.webhook.url' (or sinks.webhook.url_file) is empty, but "
           "sinks.webhook.enabled is true";
  if (config.blob.enabled && config.blob.url.empty())
    return "config key 'sinks.blob.url_file' (or sinks.blob.url) is empty, but sinks.blob.enabled "
           "is true";
  if (!config.webhook.event_grid_key.empty() && config.webhook.format != "cloudevents")
    return "config key 'sinks.webhook.event_grid_key_file' is set, but sinks.webhook.format is "
           "not cloudevents (an Event Grid topic takes CloudEvents)";
  if (config.eventlog_enabled && !reporting::eventlog_available())
    return "config key 'sinks.eventlog.enabled' is true, but the Event Log sink is Windows only";
  // What the daemon would otherwise find out only at start (and then run without).
  std::string error;
  net::Endpoint listen;
  if (config.metrics_enabled && !net::parse_endpoint(config.metrics_listen, listen, error, true))
    return "config key 'sinks.metrics.listen' " + error;
  reporting::Url url;
  if (config.alertmanager.enabled && !reporting::parse_url(config.alertmanager.url, url, error))
    return "config key 'sinks.alertmanager.url' " + error;
  if (config.webhook.enabled && !reporting::parse_url(config.webhook.url, url, error))
    return "config key 'sinks.webhook.url' " + error;
  if (config.blob.enabled && !reporting::parse_url(config.blob.url, url, error))
    return "config key 'sinks.blob.url' " + error;
  if (config.blob.enabled && url.path.find('?') == std::string::npos)
    return "config key 'sinks.blob.url' has no SAS query string: give the container's SAS URL "
           "(https://ACCOUNT.blob.core.windows.net/CONTAINER?sv=...&sig=...)";
  return sink_refusal(config);
}

std::vector<std::string> sandbox_warnings(const Config& config) {
  return sandbox_warnings(config, "/etc/resolv.conf");
}

std::vector<std::string> sandbox_warnings(const Config& config, const std::string& resolv_conf) {
  std::vector<std::string> warnings;
  if (!config.sources.state_dir.empty() && !writable_in_unit(config.sources.state_dir))
    warnings.push_back(allow_path("paths.state_dir", config.sources.state_dir));
  if (config.metrics_enabled && !config.textfile_dir.empty() &&
      !writable_in_unit(config.textfile_dir))
    warnings.push_back(allow_path("sinks.metrics.textfile_dir", config.textfile_dir));
  if (config.kvp_enabled && !writable_in_unit(config.kvp_pool_file))
    warnings.push_back(allow_path("sinks.kvp.pool_file", config.kvp_pool_file));
  if (config.metrics_enabled && !is_loopback(host_of(config.metrics_listen)))
    warnings.push_back("sinks.metrics.listen " + config.metrics_listen +
                       " is not loopback: the unit's IPAddressDeny=any drops every scrape "
                       "from elsewhere; add 'IPAddressAllow=' with your Prometheus servers' "
                       "addresses with `systemctl edit latchwatch`");
  if (config.alertmanager.enabled && !config.alertmanager.url.empty() &&
      !reachable_in_unit(host_of(config.alertmanager.url)))
    warnings.push_back(
        allow_address("sinks.alertmanager.url host", host_of(config.alertmanager.url)));
  if (config.webhook.enabled && !config.webhook.url.empty() &&
      !reachable_in_unit(host_of(config.webhook.url)))
    warnings.push_back(allow_address("sinks.webhook.url host", host_of(config.webhook.url)));
  if (config.blob.enabled && !config.blob.url.empty() &&
      !reachable_in_unit(host_of(config.blob.url)))
    warnings.push_back(allow_address("sinks.blob.url host", host_of(config.blob.url)));
  const auto& endpoints = config.sources.probes.endpoints;
  const std::pair<const char*, const net::Endpoint&> dialled[] = {
      {"endpoints.wireserver", endpoints.wireserver},
      {"endpoints.hostga", endpoints.hostga},
      {"endpoints.imds", endpoints.imds},
      {"endpoints.gpa", endpoints.gpa}};
  for (const auto& [key, endpoint] : dialled)
    if (!reachable_in_unit(endpoint.host)) warnings.push_back(allow_address(key, endpoint.host));
  // Host-named sinks: their names resolve through the DNS servers, which the sandbox must let
  // through as well (systemd-resolved's 127.0.0.53 is loopback: always allowed).
  std::vector<std::pair<std::string, std::string>> named;
  if (config.alertmanager.enabled && !config.alertmanager.url.empty())
    named.emplace_back("sinks.alertmanager.url", host_of(config.alertmanager.url));
  if (config.webhook.enabled && !config.webhook.url.empty())
    named.emplace_back("sinks.webhook.url", host_of(config.webhook.url));
  for (const auto& [key, host] : named) {
    if (host.empty() || is_address(host) || host == "localhost") continue;
    std::vector<std::string> blocked;
    auto servers = nameservers(resolv_conf);
    for (const auto& server : servers)
      if (!reachable_in_unit(server)) blocked.push_back(server);
    if (servers.empty()) {
      warnings.push_back(key + " names host " + host + ", but " + resolv_conf +
                         " lists no DNS server (nameserver line): the name cannot resolve");
    } else if (!blocked.empty()) {
      std::string list;
      for (const auto& server : blocked) list += (list.empty() ? "" : " ") + server;
      warnings.push_back(
          key + " names host " + host + ", resolved through the DNS server(s) " + list + " (" +
          resolv_conf + "), which the unit's IPAddressDeny=any drops: add 'IPAddressAllow=" + list +
          "' with `systemctl edit latchwatch`");
    }
  }
  return warnings;
}

}  // namespace latchwatch::agent
