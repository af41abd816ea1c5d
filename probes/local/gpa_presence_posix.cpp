#include <dirent.h>
#include <sys/stat.h>

#include <cctype>

#include "probes/local/gpa_presence.h"
#include "probes/os/bounded_file.h"

namespace latchwatch::probes {
namespace {

/// lstat: a dangling symlink still shows that GPA was installed here.
bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

/// A /proc entry name that is a pid: 1 to 9 digits (pid_max is at most 2^22), so no overflow.
int pid_of(const char* name) {
  int pid = 0;
  int digits = 0;
  for (; *name; ++name, ++digits) {
    if (!std::isdigit(static_cast<unsigned char>(*name)) || digits >= 9) return 0;
    pid = pid * 10 + (*name - '0');
  }
  return pid;
}

/// The kernel keeps 15 characters of a command name (TASK_COMM_LEN 16), so the real GPA shows as
/// "azure-proxy-age"; the full name is accepted too (other kernels, fake roots in tests).
bool is_gpa_comm(const std::string& comm) {
  return comm == "azure-proxy-agent" || comm == "azure-proxy-age";
}

/// The lowest pid whose comm names GPA, or 0.
int find_process(const std::string& proc_root) {
  DIR* dir = ::opendir(proc_root.c_str());
  if (!dir) return 0;
  int found = 0;
  while (dirent* entry = ::readdir(dir)) {
    int pid = pid_of(entry->d_name);
    if (pid <= 0 || (found != 0 && pid >= found)) continue;
    auto comm = read_bounded_file(proc_root + "/" + entry->d_name + "/comm", 256);
    if (comm.state != ReadState::ok) continue;
    if (is_gpa_comm(comm.content.substr(0, comm.content.find('\n')))) found = pid;
  }
  ::closedir(dir);
  return found;
}

}  // namespace

GpaPresence detect_gpa_presence(const GpaPresencePaths& paths) {
  GpaPresence presence;
  const GpaPresencePaths defaults;
  presence.unit_file = exists(paths.unit_file);
  if (!presence.unit_file && paths.unit_file == defaults.unit_file) {
    // Packages and admins put units in several places; look there only for the default path.
    presence.unit_file = exists("/etc/systemd/system/azure-proxy-agent.service") ||
                         exists("/usr/lib/systemd/system/azure-proxy-agent.service");
  }
  presence.binary = exists(paths.binary);
  presence.process_pid = find_process(paths.proc_root);
  presence.process_running = presence.process_pid != 0;
  return presence;
}

}  // namespace latchwatch::probes
