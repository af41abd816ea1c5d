// Host facts the Windows way: the system's own sources, no files (HostFactsPaths is Linux's).
// Winsock before windows.h, the IP Helper headers after both: the order matters.
// clang-format off
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <iphlpapi.h>
#include <netioapi.h>
// clang-format on

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "probes/base/azure_names.h"
#include "probes/base/json_limits.h"
#include "probes/local/host_facts.h"
#include "probes/os/wide_text.h"

namespace latchwatch::probes {
namespace {

std::string error_text(const char* what, DWORD code) {
  return std::string(what) + " failed (error " + std::to_string(code) + ")";
}

/// The DNS host name (without the domain), as the portal shows the VM's computer name.
std::string computer_name(std::vector<std::string>& errors) {
  DWORD size = 0;
  ::GetComputerNameExW(ComputerNamePhysicalDnsHostname, nullptr, &size);
  if (size == 0 || size > 1024) {
    errors.push_back(error_text("GetComputerNameExW", ::GetLastError()));
    return {};
  }
  std::wstring name(size, L'\0');
  if (!::GetComputerNameExW(ComputerNamePhysicalDnsHostname, name.data(), &size)) {
    errors.push_back(error_text("GetComputerNameExW", ::GetLastError()));
    return {};
  }
  name.resize(size);
  return windows::narrow(name);
}

/// A REG_SZ value under HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion, or empty.
std::string current_version_text(const wchar_t* value) {
  wchar_t buffer[256] = {};
  DWORD bytes = sizeof buffer - sizeof(wchar_t);
  if (::RegGetValueW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion", value,
                     RRF_RT_REG_SZ, nullptr, buffer, &bytes) != ERROR_SUCCESS)
    return {};
  return windows::narrow(buffer);
}

DWORD current_version_dword(const wchar_t* value, bool& found) {
  DWORD data = 0;
  DWORD bytes = sizeof data;
  found = ::RegGetValueW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion",
                         value, RRF_RT_REG_DWORD, nullptr, &data, &bytes) == ERROR_SUCCESS;
  return data;
}

/// "10.0.20348" from RtlGetVersion (GetVersionEx lies to unmanifested programs), plus the
/// update build revision (UBR) when the registry has it: "10.0.20348.2582".
std::string kernel_version(std::vector<std::string>& errors) {
  using RtlGetVersionFn = LONG(WINAPI*)(OSVERSIONINFOW*);
  HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
  auto rtl_get_version = ntdll ? reinterpret_cast<RtlGetVersionFn>(reinterpret_cast<void*>(
                                     ::GetProcAddress(ntdll, "RtlGetVersion")))
                               : nullptr;
  OSVERSIONINFOW info{};
  info.dwOSVersionInfoSize = sizeof info;
  if (!rtl_get_version || rtl_get_version(&info) != 0) {
    errors.push_back("RtlGetVersion failed");
    return {};
  }
  std::string text = std::to_string(info.dwMajorVersion) + "." +
                     std::to_string(info.dwMinorVersion) + "." + std::to_string(info.dwBuildNumber);
  bool found = false;
  DWORD ubr = current_version_dword(L"UBR", found);
  if (found) text += "." + std::to_string(ubr);
  return text;
}

/// "Windows Server 2022 Datacenter 21H2 (build 20348)": ProductName, DisplayVersion and
/// CurrentBuild from the registry.
std::string os_release(std::vector<std::string>& errors) {
  std::string product = current_version_text(L"ProductName");
  if (product.empty()) {
    errors.push_back("HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion: no ProductName");
    return {};
  }
  std::string display = current_version_text(L"DisplayVersion");
  std::string build = current_version_text(L"CurrentBuild");
  std::string text = product;
  if (!display.empty()) text += " " + display;
  if (!build.empty()) text += " (build " + build + ")";
  return one_line(text, 120);
}

/// The interface index of the IPv4 default route with the lowest metric, or 0.
NET_IFINDEX default_route_index() {
  MIB_IPFORWARD_TABLE2* table = nullptr;
  if (::GetIpForwardTable2(AF_INET, &table) != NO_ERROR || !table) return 0;
  NET_IFINDEX best = 0;
  ULONG best_metric = 0;
  for (ULONG i = 0; i < table->NumEntries; ++i) {
    const auto& row = table->Table[i];
    if (row.DestinationPrefix.PrefixLength != 0) continue;
    if (best == 0 || row.Metric < best_metric) {
      best = row.InterfaceIndex;
      best_metric = row.Metric;
    }
  }
  ::FreeMibTable(table);
  return best;
}

/// Every unicast address of every adapter; the adapter's name is its interface index, so the
/// default route's interface can be named the same way.
std::vector<InterfaceAddress> local_addresses(std::vector<std::string>& errors) {
  std::vector<InterfaceAddress> out;
  ULONG size = 16 * 1024;
  std::unique_ptr<unsigned char[]> buffer;
  ULONG result = ERROR_BUFFER_OVERFLOW;
  for (int attempt = 0; attempt < 3 && result == ERROR_BUFFER_OVERFLOW; ++attempt) {
    buffer.reset(new unsigned char[size]);
    result = ::GetAdaptersAddresses(
        AF_UNSPEC, GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST | GAA_FLAG_SKIP_DNS_SERVER,
        nullptr, reinterpret_cast<IP_ADAPTER_ADDRESSES*>(buffer.get()), &size);
  }
  if (result != NO_ERROR) {
    if (result != ERROR_NO_DATA) errors.push_back(error_text("GetAdaptersAddresses", result));
    return out;
  }
  for (auto* adapter = reinterpret_cast<IP_ADAPTER_ADDRESSES*>(buffer.get()); adapter;
       adapter = adapter->Next) {
    bool loopback = adapter->IfType == IF_TYPE_SOFTWARE_LOOPBACK;
    std::string name = std::to_string(adapter->IfIndex);
    for (auto* a = adapter->FirstUnicastAddress; a; a = a->Next) {
      const sockaddr* address = a->Address.lpSockaddr;
      if (!address) continue;
      char text[INET6_ADDRSTRLEN] = {};
      const void* raw = nullptr;
      if (address->sa_family == AF_INET)
        raw = &reinterpret_cast<const sockaddr_in*>(address)->sin_addr;
      else if (address->sa_family == AF_INET6)
        raw = &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr;
      if (!raw || !::inet_ntop(address->sa_family, raw, text, sizeof text)) continue;
      out.push_back({name, text, loopback});
    }
  }
  return out;
}

}  // namespace

HostFacts read_host_facts(const HostFactsPaths& /*paths: Linux's files*/) {
  HostFacts facts;
  std::string name = computer_name(facts.errors);
  if (is_host_name(name))
    facts.host_name = name;
  else if (!name.empty())
    facts.errors.push_back("computer name: not a host name: '" + one_line(name, 60) + "'");
  facts.os_release = os_release(facts.errors);
  facts.kernel = one_line(kernel_version(facts.errors), 120);
  auto since_boot = std::chrono::milliseconds(::GetTickCount64());
  auto booted = std::chrono::time_point_cast<std::chrono::seconds>(
      std::chrono::system_clock::now() - since_boot);
  facts.boot_time = format_utc(booted, false);
  NET_IFINDEX primary = default_route_index();
  facts.private_addresses = primary_addresses(
      local_addresses(facts.errors), primary == 0 ? std::string() : std::to_string(primary));
  return facts;
}

}  // namespace latchwatch::probes
