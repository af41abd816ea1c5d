#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <sstream>

#include "probes/base/azure_names.h"
#include "probes/base/json_limits.h"
#include "probes/local/host_facts.h"
#include "probes/os/bounded_file.h"

namespace latchwatch::probes {
namespace {

constexpr std::size_t kSmallFile = 64 * 1024;

bool read_small(const std::string& path, std::string& content, std::vector<std::string>& errors) {
  auto file = read_bounded_file(path, kSmallFile);
  if (file.state != ReadState::ok) {
    errors.push_back(one_line(file.error));
    return false;
  }
  content = std::move(file.content);
  return true;
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

HostFacts read_host_facts(const HostFactsPaths& paths) {
  HostFacts facts;
  std::string text;
  if (read_small(paths.hostname, text, facts.errors)) {
    std::string name = trim_blanks(text);
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
    facts.kernel = one_line(trim_blanks(text), 120);
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

}  // namespace latchwatch::probes
