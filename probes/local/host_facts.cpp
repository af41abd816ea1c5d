#include "probes/local/host_facts.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "probes/local/bounded_file.h"
#include "probes/payloads/azure_names.h"
#include "probes/payloads/json_limits.h"

namespace latchwatch::probes {
namespace {

constexpr std::size_t kSmallFile = 64 * 1024;

std::string trim(const std::string& s) {
  auto begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t\r\n") - begin + 1);
}

/// os-release values may be quoted in single or double quotes with backslash escapes.
std::string unquote(std::string value) {
  value = trim(value);
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
      value.back() == value.front()) {
    std::string out;
    for (std::size_t i = 1; i + 1 < value.size(); ++i) {
      if (value[i] == '\\' && i + 2 < value.size()) ++i;
      out += value[i];
    }
    return out;
  }
  return value;
}

bool read_small(const std::string& path, std::string& content, std::vector<std::string>& errors) {
  auto file = read_bounded_file(path, kSmallFile);
  if (file.state != ReadState::ok) {
    errors.push_back(one_line(file.error));
    return false;
  }
  content = std::move(file.content);
  return true;
}

bool is_private_or_global(const std::string& address) {
  if (address.rfind("fe80:", 0) == 0 || address.rfind("169.254.", 0) == 0) return false;
  return address != "::1" && address.rfind("127.", 0) != 0;
}

std::vector<InterfaceAddress> local_addresses() {
  std::vector<InterfaceAddress> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr || !a->ifa_name) continue;
    char text[INET6_ADDRSTRLEN] = {};
    int family = a->ifa_addr->sa_family;
    const void* raw = nullptr;
    if (family == AF_INET)
      raw = &reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr;
    else if (family == AF_INET6)
      raw = &reinterpret_cast<const sockaddr_in6*>(a->ifa_addr)->sin6_addr;
    if (!raw || !::inet_ntop(family, raw, text, sizeof text)) continue;
    out.push_back({a->ifa_name, text, (a->ifa_flags & IFF_LOOPBACK) != 0});
  }
  ::freeifaddrs(list);
  return out;
}

}  // namespace

std::string os_release_name(const std::string& text) {
  std::string pretty, name, version;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = trim(line.substr(0, eq));
    std::string value = unquote(line.substr(eq + 1));
    if (key == "PRETTY_NAME") pretty = value;
    if (key == "NAME") name = value;
    if (key == "VERSION_ID") version = value;
  }
  std::string chosen = !pretty.empty() ? pretty : trim(name + " " + version);
  return one_line(chosen, 120);
}

std::string default_route_interface(const std::string& route_text) {
  std::istringstream lines(route_text);
  std::string line;
  std::getline(lines, line);  // header: Iface Destination Gateway ...
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string iface, destination, gateway, flags;
    if (!(fields >> iface >> destination >> gateway >> flags)) continue;
    if (destination == "00000000" && iface.size() < IFNAMSIZ) return iface;
  }
  return {};
}

std::vector<std::string> primary_addresses(const std::vector<InterfaceAddress>& interfaces,
                                           const std::string& primary_interface) {
  std::vector<std::string> first, rest;
  for (const auto& a : interfaces) {
    if (a.loopback || !is_ip_address(a.address) || !is_private_or_global(a.address)) continue;
    auto& into = a.interface == primary_interface ? first : rest;
    if (std::find(into.begin(), into.end(), a.address) == into.end()) into.push_back(a.address);
  }
  // The primary interface's addresses are what the portal shows as the VM's private IP.
  if (!first.empty()) return first;
  return rest;
}

std::string checked_version(const std::string& text) {
  if (text.empty() || text.size() > 32) return {};
  for (char c : text)
    if (!((c >= '0' && c <= '9') || c == '.')) return {};
  return text;
}

HostFacts read_host_facts(const HostFactsPaths& paths) {
  HostFacts facts;
  std::string text;
  if (read_small(paths.hostname, text, facts.errors)) {
    std::string name = trim(text);
    if (is_host_name(name))
      facts.host_name = name;
    else
      facts.errors.push_back(paths.hostname + ": not a host name: '" + one_line(name, 60) + "'");
  }
  std::vector<std::string> os_errors;
  if (read_small(paths.os_release, text, os_errors) ||
      read_small(paths.os_release_fallback, text, os_errors))
    facts.os_release = os_release_name(text);
  else
    facts.errors.insert(facts.errors.end(), os_errors.begin(), os_errors.end());
  if (read_small(paths.kernel_release, text, facts.errors))
    facts.kernel = one_line(trim(text), 120);
  if (read_small(paths.proc_stat, text, facts.errors)) {
    auto pos = text.find("\nbtime ");
    if (pos != std::string::npos) {
      long long seconds = 0;
      std::istringstream field(text.substr(pos + 7, 24));
      if (field >> seconds && seconds > 0)
        facts.boot_time = format_utc(time_from_unix_seconds(seconds), false);
    }
  }
  std::string routes;
  std::string primary;
  if (read_small(paths.ipv4_routes, routes, facts.errors))
    primary = default_route_interface(routes);
  facts.private_addresses = primary_addresses(local_addresses(), primary);
  return facts;
}

void to_json(nlohmann::json& j, const HostFacts& f) {
  auto text = [](const std::string& s) {
    return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
  };
  j = {{"host_name", text(f.host_name)},    {"private_addresses", f.private_addresses},
       {"os_release", text(f.os_release)},  {"kernel", text(f.kernel)},
       {"boot_time", text(f.boot_time)},    {"gpa_version", text(f.gpa_version)},
       {"smbios_uuid", text(f.smbios_uuid)}};
  if (!f.errors.empty()) j["errors"] = f.errors;
}

}  // namespace latchwatch::probes
