// The GPA files of the simulated VM's disk. Written the way GPA writes them (temp file + rename,
// so a reader never sees half a file) with GPA's modes (domain brief §3, §4).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "tests/fabric_sim/scenarios.h"

namespace latchwatch::sim {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUnitFile = R"([Unit]
Description=Microsoft Azure GuestProxyAgent (latchwatch fabric simulator stand-in)
After=network-online.target

[Service]
ExecStart=/usr/sbin/azure-proxy-agent
Restart=always

[Install]
WantedBy=multi-user.target
)";

constexpr const char* kBinary =
    "#!/bin/sh\n# latchwatch fabric simulator: stands in for /usr/sbin/azure-proxy-agent\nexit 0\n";

[[noreturn]] void fail(const std::string& what, const std::string& path, int error) {
  throw std::runtime_error("fabric simulator: cannot " + what + " " + path + ": " +
                           std::strerror(error));
}

/// Writes `content` to `path` with exactly `mode` (not subject to the umask), atomically.
void write_atomically(const std::string& path, const std::string& content, mode_t mode) {
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) fail("create", temp, errno);
  std::size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      fail("write", temp, error);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fchmod(fd, mode) != 0 || ::close(fd) != 0) {
    int error = errno;
    ::unlink(temp.c_str());
    fail("finish", temp, error);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int error = errno;
    ::unlink(temp.c_str());
    fail("rename into", path, error);
  }
}

void remove_path(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) fail("remove", path, ec.value());
}

void make_dir(const std::string& path, mode_t mode) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) fail("create folder", path, ec.value());
  if (::chmod(path.c_str(), mode) != 0) fail("chmod", path, errno);
}

std::string key_file_content(const std::string& guid) {
  return nlohmann::json{{"guid", guid}, {"key", kPlantedKeyHex}}.dump();
}

/// Makes the keys folder hold exactly the scenario's files: GPA decides it has the key by file
/// name alone, so a stale file from the previous scenario would change the verdict.
void write_key_folder(const Scenario& s, const std::string& key_dir) {
  make_dir(key_dir, 0700);
  std::map<std::string, std::string> wanted;
  for (const auto& guid : s.key_files) wanted[guid + ".key"] = key_file_content(guid);
  if (s.provisioned_tag) wanted["provisioned.tag"] = "";
  if (s.status_tag) wanted["status.tag"] = "";

  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(key_dir, ec)) {
    if (wanted.count(entry.path().filename().string()) == 0) remove_path(entry.path().string());
  }
  if (ec) fail("list", key_dir, ec.value());
  for (const auto& [name, content] : wanted) {
    const bool secret = name.size() > 4 && name.compare(name.size() - 4, 4, ".key") == 0;
    write_atomically(key_dir + "/" + name, content, secret ? 0600 : 0644);
  }
}

std::string upper(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

void write_gpa_files(const Scenario& s, const GpaPaths& paths, SystemTime now) {
  make_dir(paths.root, 0755);
  // The VM's hardware does not change with the scenario. Upper case, as the kernel prints it.
  write_atomically(paths.smbios_file, upper(kVmId) + "\n", 0644);
  // /proc/uptime's format: seconds since boot, then idle seconds (two cores' worth here).
  write_atomically(
      paths.uptime_file,
      std::to_string(s.uptime.count()) + ".00 " + std::to_string(2 * s.uptime.count()) + ".00\n",
      0444);
  if (!s.gpa_installed) {
    for (const auto* path : {&paths.key_dir, &paths.status_file, &paths.unit_file, &paths.binary})
      remove_path(*path);
    return;
  }
  write_key_folder(s, paths.key_dir);
  refresh_status_file(s, paths, now);
  write_atomically(paths.unit_file, kUnitFile, 0644);
  write_atomically(paths.binary, kBinary, 0755);
}

void refresh_status_file(const Scenario& s, const GpaPaths& paths, SystemTime now) {
  if (!s.gpa_installed) return;
  write_atomically(paths.status_file, status_file_document(s, now).dump(2) + "\n", 0640);
}

}  // namespace latchwatch::sim
