#include <filesystem>
#include <iostream>
#include <set>
#include <system_error>

#include "agent/cli/commands.h"
#include "reporting/sinks/kvp_sink.h"

namespace latchwatch::agent {
namespace {

#ifndef _WIN32
/// node_exporter textfile folders the packaged unit may write (packaging/systemd): a textfile
/// left there by an earlier config is withdrawn too. The file name is latchwatch's own.
const char* const kKnownTextfileDirs[] = {"/var/lib/prometheus/node-exporter",
                                          "/var/lib/node_exporter"};
#endif

/// Removes `path` when it is there and says so on stdout; false (said on stderr) on an error.
bool remove_published(const std::string& path, const char* what) {
  std::error_code ec;
  namespace fs = std::filesystem;
  if (!fs::exists(fs::symlink_status(path, ec))) return true;
  if (!fs::remove(path, ec) || ec) {
    std::cerr << "latchwatch: withdraw: cannot remove " << what << " " << path << ": "
              << ec.message() << "\n";
    return false;
  }
  std::cout << "removed " << what << " " << path << "\n";
  return true;
}

}  // namespace

int withdraw_command(const Config& config) {
  bool ok = true;
  // The node_exporter textfile: a firing latchwatch_key_alert_firing would keep the key alert
  // (and then the silent-agent alert) firing for a VM that no longer runs latchwatch.
  std::set<std::string> dirs;
  if (!config.textfile_dir.empty()) dirs.insert(config.textfile_dir);
#ifndef _WIN32
  dirs.insert(std::begin(kKnownTextfileDirs), std::end(kKnownTextfileDirs));
#endif
  for (const auto& dir : dirs)
    ok = remove_published(dir + "/latchwatch.prom", "metrics textfile") && ok;
  // The KVP records the host reads (only latchwatch's own; every other record stays), whether
  // or not the sink is enabled now: an earlier config may have written them.
  std::size_t removed = 0;
  if (auto error =
          reporting::withdraw_kvp_records(config.kvp_pool_file, std::chrono::seconds(5), removed);
      !error.empty()) {
    std::cerr << "latchwatch: withdraw: KVP: " << error << "\n";
    ok = false;
  } else if (removed > 0) {
    std::cout << "removed " << removed << " KVP record(s) from " << config.kvp_pool_file << "\n";
  }
  // The latest report (collected by fleet tooling and read as the VM's current state); the
  // history stays until the state folder goes (purge).
  if (!config.sources.state_dir.empty())
    ok = remove_published(config.sources.state_dir + "/report.json", "report") && ok;
  return ok ? 0 : 1;
}

}  // namespace latchwatch::agent
