// `latchwatch plan resets|cmk-rotation`: read the files, build the plan, print it. Offline:
// no network, no state, nothing performed.

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <future>
#include <iostream>
#include <iterator>
#include <thread>

#include "agent/cli.h"
#include "agent/commands.h"
#include "agent/plan/cmk_plan.h"
#include "agent/plan/reset_plan.h"

namespace latchwatch::agent {
namespace {

// az exports of 10,000 VMs run to tens of MiB; a fleet's reports more. Past this, it is not an
// export.
constexpr std::size_t kMaxInputBytes = 512u * 1024 * 1024;

int plan_usage(const std::string& message) {
  std::cerr << "latchwatch plan: " << message
            << "\nusage: latchwatch plan resets [--json] [--stale-identity-days N] REPORT...\n"
               "       latchwatch plan cmk-rotation --vms VMS.json --disks DISKS.json "
               "--des DES.json [--after DISKS.json] [--json]\n";
  return kExitUsage;
}

/// Reads a whole regular file (following symlinks: the owner named it). Error text or empty.
std::string read_input(const std::string& path, std::string& content) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return path + ": " + std::strerror(errno);
  struct stat st {};
  std::string error;
  if (::fstat(fd, &st) != 0) {
    error = path + ": " + std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    error = path + ": not a regular file";
  } else if (static_cast<std::size_t>(st.st_size) > kMaxInputBytes) {
    error = path + ": larger than " + std::to_string(kMaxInputBytes >> 20) + " MiB";
  } else {
    content.resize(static_cast<std::size_t>(st.st_size));
    std::size_t done = 0;
    while (done < content.size()) {
      ssize_t n = ::read(fd, content.data() + done, content.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error = path + ": " + (n < 0 ? std::strerror(errno) : "shrank while being read");
        break;
      }
      done += static_cast<std::size_t>(n);
    }
  }
  ::close(fd);
  return error;
}

/// A directory stands for the regular files directly in it, in name order.
std::vector<std::string> expand_inputs(const std::vector<std::string>& paths,
                                       std::vector<std::string>& errors) {
  std::vector<std::string> files;
  for (const auto& path : paths) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      DIR* dir = ::opendir(path.c_str());
      if (!dir) {
        errors.push_back(path + ": " + std::strerror(errno));
        continue;
      }
      std::vector<std::string> names;
      while (auto* entry = ::readdir(dir)) {
        std::string name = entry->d_name;
        std::string full = path + "/" + name;
        struct stat child {};
        if (name[0] != '.' && ::stat(full.c_str(), &child) == 0 && S_ISREG(child.st_mode))
          names.push_back(full);
      }
      ::closedir(dir);
      std::sort(names.begin(), names.end());
      files.insert(files.end(), names.begin(), names.end());
    } else {
      files.push_back(path);
    }
  }
  return files;
}

struct ReadBatch {
  std::vector<plan::ReportRecord> records;
  std::vector<std::string> errors;
};

ReadBatch read_files(const std::vector<std::string>& files, std::size_t begin, std::size_t end) {
  ReadBatch batch;
  for (std::size_t i = begin; i < end; ++i) {
    std::string text;
    if (auto error = read_input(files[i], text); !error.empty()) {
      batch.errors.push_back(error);
      continue;
    }
    auto more = plan::read_report_records(files[i], text, batch.errors);
    std::move(more.begin(), more.end(), std::back_inserter(batch.records));
  }
  return batch;
}

/// A fleet folder holds one report per VM: thousands of files, read on every core, in order.
void read_reports(const std::vector<std::string>& files, std::vector<plan::ReportRecord>& records,
                  std::vector<std::string>& errors) {
  constexpr std::size_t kMinFilesPerWorker = 64;
  std::size_t workers = std::max(1u, std::thread::hardware_concurrency());
  workers = std::min(workers, 1 + files.size() / kMinFilesPerWorker);
  std::vector<std::future<ReadBatch>> parts;
  for (std::size_t i = 0; i < workers; ++i)
    parts.push_back(std::async(workers == 1 ? std::launch::deferred : std::launch::async,
                               read_files, std::cref(files), files.size() * i / workers,
                               files.size() * (i + 1) / workers));
  for (auto& part : parts) {
    ReadBatch batch = part.get();
    std::move(batch.records.begin(), batch.records.end(), std::back_inserter(records));
    errors.insert(errors.end(), batch.errors.begin(), batch.errors.end());
  }
}

int plan_resets(const std::vector<std::string>& args) {
  bool json = false;
  plan::ResetPlanOptions options;
  std::vector<std::string> paths;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--json") {
      json = true;
    } else if (args[i] == "--stale-identity-days") {
      if (i + 1 >= args.size()) return plan_usage("--stale-identity-days needs a number");
      const std::string& v = args[++i];
      if (v.empty() || v.size() > 5 ||
          !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return plan_usage("--stale-identity-days: '" + v + "' is not a whole number of days");
      options.stale_identity_seconds = std::stoll(v) * 86400;
    } else if (args[i].rfind("--", 0) == 0) {
      return plan_usage("unknown flag " + args[i]);
    } else {
      paths.push_back(args[i]);
    }
  }
  if (paths.empty()) return plan_usage("resets needs at least one REPORT file or folder");
  std::vector<std::string> errors;
  std::vector<plan::ReportRecord> records;
  read_reports(expand_inputs(paths, errors), records, errors);
  if (records.empty()) {
    for (const auto& e : errors) std::cerr << "latchwatch plan: " << e << "\n";
    std::cerr << "latchwatch plan: no usable report in the inputs\n";
    return kExitUsage;
  }
  plan::ResetPlan result = plan::build_reset_plan(std::move(records), options);
  result.input_errors = std::move(errors);
  if (json)
    std::cout << plan::reset_plan_document(result).dump(2, ' ', false,
                                                        nlohmann::json::error_handler_t::replace)
              << "\n";
  else
    std::cout << plan::reset_plan_text(result);
  // The text lists input errors itself; JSON keeps stdout machine-readable, so say them here.
  if (json)
    for (const auto& e : result.input_errors) std::cerr << "latchwatch plan: " << e << "\n";
  return result.needs_attention() ? 1 : 0;
}

int plan_cmk(const std::vector<std::string>& args) {
  bool json = false;
  std::string vms, disks, des, after;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string* target = args[i] == "--vms"     ? &vms
                          : args[i] == "--disks" ? &disks
                          : args[i] == "--des"   ? &des
                          : args[i] == "--after" ? &after
                                                 : nullptr;
    if (args[i] == "--json") {
      json = true;
    } else if (target) {
      if (i + 1 >= args.size()) return plan_usage(args[i] + " needs a FILE");
      *target = args[++i];
    } else {
      return plan_usage("unexpected argument '" + args[i] + "'");
    }
  }
  if (vms.empty() || disks.empty() || des.empty())
    return plan_usage("cmk-rotation needs --vms, --disks and --des");
  plan::NamedFile files[4] = {{vms, {}}, {disks, {}}, {des, {}}, {after, {}}};
  for (auto& f : files) {
    if (f.name.empty()) continue;
    if (auto error = read_input(f.name, f.text); !error.empty()) {
      std::cerr << "latchwatch plan: " << error << "\n";
      return kExitUsage;
    }
  }
  std::optional<plan::NamedFile> after_file;
  if (!after.empty()) after_file = files[3];
  plan::CmkInputs inputs = plan::read_cmk_inputs(files[0], files[1], files[2], after_file);
  if (!inputs.errors.empty()) {
    for (const auto& e : inputs.errors) std::cerr << "latchwatch plan: " << e << "\n";
    return kExitUsage;
  }
  plan::CmkPlan result = plan::build_cmk_plan(inputs);
  if (json)
    std::cout << plan::cmk_plan_document(result).dump(2, ' ', false,
                                                      nlohmann::json::error_handler_t::replace)
              << "\n";
  else
    std::cout << plan::cmk_plan_text(result);
  bool done = result.after_checked ? result.still_on_old_key.empty() : result.ready;
  return done ? 0 : 1;
}

}  // namespace

int plan_command(const std::vector<std::string>& args) {
  if (args.empty()) return plan_usage("which plan? 'resets' or 'cmk-rotation'");
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "resets") return plan_resets(rest);
  if (args[0] == "cmk-rotation") return plan_cmk(rest);
  return plan_usage("unknown plan '" + args[0] + "'");
}

}  // namespace latchwatch::agent
