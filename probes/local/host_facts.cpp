#include "probes/local/host_facts.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "probes/base/azure_names.h"
#include "probes/base/json_limits.h"

namespace latchwatch::probes {

std::string trim_blanks(const std::string& s) {
  auto begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t\r\n") - begin + 1);
}

namespace {

/// os-release values may be quoted in single or double quotes with backslash escapes.
std::string unquote(std::string value) {
  value = trim_blanks(value);
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

bool is_private_or_global(const std::string& address) {
  if (address.rfind("fe80:", 0) == 0 || address.rfind("169.254.", 0) == 0) return false;
  return address != "::1" && address.rfind("127.", 0) != 0;
}

/// IFNAMSIZ on Linux: interface names are shorter than 16 bytes.
constexpr std::size_t kInterfaceNameSize = 16;

}  // namespace

std::string os_release_name(const std::string& text) {
  std::string pretty, name, version;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = trim_blanks(line.substr(0, eq));
    std::string value = unquote(line.substr(eq + 1));
    if (key == "PRETTY_NAME") pretty = value;
    if (key == "NAME") name = value;
    if (key == "VERSION_ID") version = value;
  }
  std::string chosen = !pretty.empty() ? pretty : trim_blanks(name + " " + version);
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
    if (destination == "00000000" && iface.size() < kInterfaceNameSize) return iface;
  }
  return {};
}

std::vector<std::string> primary_addresses(const std::vector<InterfaceAddress>& interfaces,
                                           const std::string& primary_interface) {
  std::vector<std::string> first, rest;
  for (const auto& a : interfaces) {
    if (a.loopback || !is_ip_address(a.address) || !is_private_or_global(a.address)) continue;
    auto& into = a.interface_name == primary_interface ? first : rest;
    if (std::find(into.begin(), into.end(), a.address) == into.end()) into.push_back(a.address);
  }
  // The primary interface's addresses are what the portal shows as the VM's private IP; IPv4
  // first (the portal's order), whatever order the system listed them in.
  auto& chosen = first.empty() ? rest : first;
  std::stable_partition(chosen.begin(), chosen.end(),
                        [](const std::string& a) { return a.find(':') == std::string::npos; });
  return chosen;
}

std::string checked_version(const std::string& text) {
  if (text.empty() || text.size() > 32) return {};
  for (char c : text)
    if (!((c >= '0' && c <= '9') || c == '.')) return {};
  return text;
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
