// The Windows evidence readers against the real Windows objects wine provides: the service
// manager (a service this test creates and deletes), the firmware table, the registry,
// adapters, the tick count and the token.

#include <gtest/gtest.h>
#include <windows.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "agent/config/config.h"
#include "agent/config/platform_defaults.h"
#include "probes/base/azure_names.h"
#include "probes/base/json_limits.h"
#include "probes/local/elevation.h"
#include "probes/local/gpa_presence.h"
#include "probes/local/host_facts.h"
#include "probes/local/smbios.h"
#include "probes/local/uptime.h"

namespace latchwatch {
namespace {

std::wstring widen(const std::string& s) { return std::wstring(s.begin(), s.end()); }

/// A service created in the service manager for one test, deleted when the test ends.
class TemporaryService {
 public:
  explicit TemporaryService(const std::string& name) : name_(name) {
    manager_ = ::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CREATE_SERVICE | SC_MANAGER_CONNECT);
    if (!manager_) return;
    wchar_t self[MAX_PATH] = {};
    ::GetModuleFileNameW(nullptr, self, MAX_PATH);
    std::wstring command = L"\"" + std::wstring(self) + L"\" --gtest_list_tests";
    service_ =
        ::CreateServiceW(manager_, widen(name).c_str(), widen(name).c_str(), DELETE,
                         SERVICE_WIN32_OWN_PROCESS, SERVICE_DEMAND_START, SERVICE_ERROR_IGNORE,
                         command.c_str(), nullptr, nullptr, nullptr, nullptr, nullptr);
    error_ = service_ ? 0 : ::GetLastError();
  }
  ~TemporaryService() {
    if (service_) {
      ::DeleteService(service_);
      ::CloseServiceHandle(service_);
    }
    if (manager_) ::CloseServiceHandle(manager_);
  }
  bool created() const { return service_ != nullptr; }
  DWORD error() const { return error_; }

 private:
  std::string name_;
  SC_HANDLE manager_ = nullptr;
  SC_HANDLE service_ = nullptr;
  DWORD error_ = 0;
};

std::string unique_name(const char* prefix) {
  return std::string(prefix) + std::to_string(::GetCurrentProcessId()) + "-" +
         std::to_string(::GetTickCount64());
}

TEST(WindowsGpaPresence, AnInstalledStoppedServiceIsSeenWithItsBinary) {
  std::string name = unique_name("LatchwatchTestGpa-");
  TemporaryService service(name);
  ASSERT_TRUE(service.created()) << "CreateServiceW failed: " << service.error();
  probes::GpaPresencePaths paths;
  paths.service_name = name;
  paths.ebpf_core_service = unique_name("LatchwatchTestNoEbpf-");
  paths.netebpfext_service = unique_name("LatchwatchTestNoExt-");
  auto presence = probes::detect_gpa_presence(paths);
  ASSERT_TRUE(presence.service);
  EXPECT_TRUE(presence.service->installed);
  EXPECT_EQ(presence.service->state, "stopped");
  EXPECT_EQ(presence.service->pid, 0);
  EXPECT_TRUE(presence.service->binary_exists) << presence.service->binary_path;
  EXPECT_NE(presence.service->binary_path.find("--gtest_list_tests"), std::string::npos);
  EXPECT_TRUE(presence.service->error.empty()) << presence.service->error;
  EXPECT_TRUE(presence.unit_file);
  EXPECT_TRUE(presence.binary);
  EXPECT_FALSE(presence.process_running);
  EXPECT_TRUE(presence.any());
  ASSERT_TRUE(presence.ebpf_core && presence.netebpfext);
  EXPECT_FALSE(presence.ebpf_core->installed);
  EXPECT_FALSE(presence.netebpfext->installed);
  nlohmann::json j = presence;
  EXPECT_EQ(j["unitFile"], true);
  EXPECT_EQ(j["service"]["name"], name);
  EXPECT_EQ(j["service"]["state"], "stopped");
  EXPECT_EQ(j["eBPFCore"]["installed"], false);
  EXPECT_FALSE(j.contains("pid"));
}

TEST(WindowsGpaPresence, AServiceThatDoesNotExistIsAbsentWithoutAnError) {
  probes::GpaPresencePaths paths;
  paths.service_name = unique_name("LatchwatchTestAbsent-");
  auto presence = probes::detect_gpa_presence(paths);
  ASSERT_TRUE(presence.service);
  EXPECT_FALSE(presence.service->installed);
  EXPECT_TRUE(presence.service->state.empty());
  EXPECT_TRUE(presence.service->error.empty()) << presence.service->error;
  EXPECT_FALSE(presence.any());
}

TEST(WindowsGpaPresence, TheDefaultNamesAreGpasAndTheEbpfServices) {
  probes::GpaPresencePaths paths;
  EXPECT_EQ(paths.service_name, "GuestProxyAgent");
  EXPECT_EQ(paths.ebpf_core_service, "eBPFCore");
  EXPECT_EQ(paths.netebpfext_service, "NetEbpfExt");
}

TEST(WindowsSmbios, TheFirmwareTableGivesAUuidOrAClearError) {
  auto uuid = probes::read_firmware_smbios_uuid();
  if (uuid) {
    EXPECT_TRUE(probes::is_guid(*uuid.value)) << *uuid.value;
  } else {
    EXPECT_TRUE(uuid.error.find("GetSystemFirmwareTable") != std::string::npos ||
                uuid.error.find("SMBIOS") != std::string::npos)
        << uuid.error;
  }
  // An empty path means the firmware table: the same answer.
  auto same = probes::read_smbios_uuid("");
  EXPECT_EQ(same.value, uuid.value);
  EXPECT_EQ(same.error, uuid.error);
}

TEST(WindowsHostFacts, NamesTheMachineFromTheSystemsOwnSources) {
  auto facts = probes::read_host_facts({});
  wchar_t name[256] = {};
  DWORD size = 256;
  ASSERT_TRUE(::GetComputerNameExW(ComputerNamePhysicalDnsHostname, name, &size));
  std::string expected(name, name + size);
  if (probes::is_host_name(expected)) {
    EXPECT_EQ(facts.host_name, expected);
  }
  EXPECT_FALSE(facts.kernel.empty());
  // "major.minor.build[.ubr]", the build being the registry's CurrentBuild (wine says 6.1.7601).
  EXPECT_EQ(facts.kernel.find_first_not_of("0123456789."), std::string::npos) << facts.kernel;
  wchar_t build[64] = {};
  DWORD bytes = sizeof build - sizeof(wchar_t);
  if (::RegGetValueW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion",
                     L"CurrentBuild", RRF_RT_REG_SZ, nullptr, build, &bytes) == ERROR_SUCCESS) {
    std::wstring b(build);
    EXPECT_NE(facts.kernel.find("." + std::string(b.begin(), b.end())), std::string::npos)
        << facts.kernel;
  }
  EXPECT_FALSE(facts.os_release.empty());
  EXPECT_EQ(facts.boot_time.size(), 20u) << facts.boot_time;
  EXPECT_TRUE(facts.errors.empty()) << facts.errors.front();
  std::cout << "host facts under test: " << nlohmann::json(facts).dump() << "\n";
  for (const auto& address : facts.private_addresses) {
    EXPECT_TRUE(probes::is_ip_address(address)) << address;
    EXPECT_NE(address, "127.0.0.1");
    EXPECT_NE(address, "::1");
  }
}

TEST(WindowsUptime, TheTickCountIsTheUptimeAndAFileStillWins) {
  std::string error;
  auto before = ::GetTickCount64();
  auto uptime = probes::read_uptime("", error);
  auto after = ::GetTickCount64();
  ASSERT_TRUE(uptime) << error;
  EXPECT_GE(*uptime, static_cast<double>(before) / 1000.0);
  EXPECT_LE(*uptime, static_cast<double>(after) / 1000.0);
  auto missing = probes::read_uptime("Z:\\nonexistent\\uptime", error);
  EXPECT_FALSE(missing);
  EXPECT_FALSE(error.empty());
}

TEST(WindowsElevation, MatchesTheTokensElevation) {
  HANDLE token = nullptr;
  ASSERT_TRUE(::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &token));
  TOKEN_ELEVATION elevation{};
  DWORD size = 0;
  BOOL ok = ::GetTokenInformation(token, TokenElevation, &elevation, sizeof elevation, &size);
  ::CloseHandle(token);
  ASSERT_TRUE(ok);
  EXPECT_EQ(probes::running_elevated(), elevation.TokenIsElevated != 0);
}

TEST(WindowsDefaults, PathsFollowSystemDriveAndProgramData) {
  wchar_t drive[64] = {}, data[512] = {};
  ASSERT_GT(::GetEnvironmentVariableW(L"SYSTEMDRIVE", drive, 64), 0u);
  ASSERT_GT(::GetEnvironmentVariableW(L"ProgramData", data, 512), 0u);
  std::wstring d(drive), p(data);
  std::string system_drive(d.begin(), d.end()), program_data(p.begin(), p.end());
  const auto& defaults = agent::platform_defaults();
  EXPECT_EQ(defaults.sources.key_dir, system_drive + "\\WindowsAzure\\ProxyAgent\\Keys");
  EXPECT_EQ(defaults.sources.status_file,
            system_drive + "\\WindowsAzure\\ProxyAgent\\Logs\\status.json");
  EXPECT_EQ(defaults.sources.state_dir, program_data + "\\latchwatch");
  EXPECT_EQ(std::string(agent::kDefaultConfigPath), program_data + "\\latchwatch\\config.json");
  EXPECT_EQ(defaults.serial_device, "COM1");
  EXPECT_TRUE(defaults.sources.smbios_uuid_file.empty());
  EXPECT_TRUE(defaults.sources.uptime_file.empty());
  agent::Config config;
  EXPECT_EQ(config.sources.key_dir, defaults.sources.key_dir);
  EXPECT_EQ(config.serial_device, "COM1");
  EXPECT_TRUE(agent::apply_flag("--state-dir", "D:\\state", config).empty());
  EXPECT_EQ(config.sources.state_dir, "D:\\state");
  EXPECT_FALSE(agent::apply_flag("--state-dir", "relative\\state", config).empty());
  EXPECT_TRUE(agent::is_absolute_path("\\\\.\\COM1"));
  EXPECT_TRUE(agent::is_absolute_path("c:/x"));
  EXPECT_FALSE(agent::is_absolute_path("/x"));
  EXPECT_FALSE(agent::is_absolute_path("C:x"));
}

}  // namespace
}  // namespace latchwatch

namespace latchwatch::agent {
namespace {

TEST(WindowsDefaults, ComPortsAndRegistryKeysAreLocationsOtherNamesAreNot) {
  EXPECT_TRUE(is_absolute_location("COM1"));
  EXPECT_TRUE(is_absolute_location("com12"));
  EXPECT_TRUE(is_absolute_location("\\\\.\\COM3"));
  EXPECT_TRUE(is_absolute_location("HKCU\\Software\\latchwatch-test"));
  EXPECT_TRUE(is_absolute_location("C:\\latchwatch\\serial.log"));
  EXPECT_FALSE(is_absolute_location("COM"));
  EXPECT_FALSE(is_absolute_location("COM0"));
  EXPECT_FALSE(is_absolute_location("COM1234"));
  EXPECT_FALSE(is_absolute_location("HKLM"));
  EXPECT_FALSE(is_absolute_location("HKEY\\x"));
  Config config;
  auto error = apply_config_json({{"sinks", {{"serial", {{"device", "LPT1"}}}}}}, config);
  EXPECT_NE(error.find("a COM port (COM1) or a registry key"), std::string::npos) << error;
}

}  // namespace
}  // namespace latchwatch::agent
