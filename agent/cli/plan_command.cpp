// `latchwatch plan resets|cmk-rotation`: read the files, build the plan, print it. Offline:
// no network, no state, nothing performed.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <future>
#include <iostream>
#include <iterator>
#include <optional>
#include <thread>

#include "agent/cli/cli.h"
#include "agent/cli/commands.h"
#include "agent/plan/activity_log.h"
#include "agent/plan/boot_log_records.h"
#include "agent/plan/cmk_plan.h"
#include "agent/plan/reset_plan.h"
#include "agent/plan/reset_plan_html.h"
#include "agent/plan/resource_graph.h"
#include "agent/plan/resource_text.h"
#include "probes/base/azure_names.h"
#include "probes/os/atomic_file.h"
#include "probes/os/bounded_file.h"

namespace latchwatch::agent {
namespace {

// az exports of 10,000 VMs run to tens of MiB; a fleet's reports more. Past this, it is not an
// export.
constexpr std::size_t kMaxInputBytes = 512u * 1024 * 1024;
// An activity-log export is held whole as a JSON tree: 64 MiB is some 30,000 events; export a
// longer span in several files (each --activity-log FILE).
constexpr std::size_t kMaxActivityLogBytes = 64u * 1024 * 1024;

int plan_usage(const std::string& message) {
  std::cerr << "latchwatch plan: " << message
            << "\nusage: latchwatch plan resets [--json] [--stale-identity-days N] [--boot-logs "
               "PATH]...\n"
               "         [--resource-graph EXPORT.json]... [--activity-log EXPORT.json]...\n"
               "         [--activity-window 24h] [--html FILE] [REPORT...]\n"
               "       latchwatch plan cmk-rotation --vms VMS.json --disks DISKS.json "
               "--des DES.json [--vmss INSTANCES.json]... [--associated IDS.json] "
               "[--new-key-url URL | --before DES.json] [--json]\n";
  return kExitUsage;
}

/// Reads a whole regular file (following symlinks: the owner named it). Error text or empty.
std::string read_input(const std::string& path, std::string& content,
                       std::size_t max_bytes = kMaxInputBytes) {
  auto read = probes::read_bounded_file(path, max_bytes, probes::FinalLink::follow);
  if (read.state == probes::ReadState::too_large)
    return path + ": larger than " + std::to_string(max_bytes >> 20) + " MiB";
  if (read.state != probes::ReadState::ok) return read.error;
  content = std::move(read.content);
  return {};
}

/// The regular files in `dir` and, to a bounded depth, in its subfolders (a container downloaded
/// with `az storage blob download-batch` is a tree: reports/<vm>/*.json), in name order. Names
/// starting with '.' are skipped; a symlinked folder is not entered.
void collect_folder(const std::string& dir, int depth, std::vector<std::string>& names,
                    std::vector<std::string>& errors) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::directory_iterator it(fs::u8path(dir), ec), end;
  if (ec) {
    errors.push_back(dir + ": " + ec.message());
    return;
  }
  for (; it != end; it.increment(ec)) {
    std::string name = it->path().filename().u8string();
    if (name.empty() || name[0] == '.') continue;
    std::error_code kind;
    const std::string path = dir + "/" + name;
    if (fs::is_regular_file(it->path(), kind)) {  // follows links, as stat
      names.push_back(path);
    } else if (depth > 0 && !fs::is_symlink(it->path(), kind) &&
               fs::is_directory(it->path(), kind)) {
      collect_folder(path, depth - 1, names, errors);
    }
  }
  if (ec) errors.push_back(dir + ": " + ec.message());
}

/// A directory stands for the regular files in it and its subfolders, in name order.
std::vector<std::string> expand_inputs(const std::vector<std::string>& paths,
                                       std::vector<std::string>& errors) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const auto& path : paths) {
    std::error_code ec;
    if (!fs::is_directory(fs::u8path(path), ec)) {
      files.push_back(path);
      continue;
    }
    std::vector<std::string> names;
    collect_folder(path, 8, names, errors);
    std::sort(names.begin(), names.end());
    files.insert(files.end(), names.begin(), names.end());
  }
  return files;
}

struct ReadBatch {
  std::vector<plan::ReportRecord> records;
  std::vector<std::string> errors;
  std::vector<plan::Conflict> conflicts;
};

/// Each file is read as a stream (never whole): memory follows the records kept.
ReadBatch read_files(const std::vector<std::string>& files, std::size_t begin, std::size_t end) {
  ReadBatch batch;
  for (std::size_t i = begin; i < end; ++i) {
    auto read =
        plan::read_report_input(files[i], plan::file_input(files[i], kMaxInputBytes), batch.errors);
    std::move(read.records.begin(), read.records.end(), std::back_inserter(batch.records));
    std::move(read.conflicts.begin(), read.conflicts.end(), std::back_inserter(batch.conflicts));
  }
  return batch;
}

/// A fleet folder holds one report per VM: thousands of files, read on every core, in order.
void read_reports(const std::vector<std::string>& files, std::vector<plan::ReportRecord>& records,
                  std::vector<std::string>& errors, std::vector<plan::Conflict>& conflicts) {
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
    std::move(batch.conflicts.begin(), batch.conflicts.end(), std::back_inserter(conflicts));
  }
}

/// Boot diagnostics logs (`az vm boot-diagnostics get-boot-log` output): the newest
/// latchwatch serial line per machine, as records.
void read_boot_logs(const std::vector<std::string>& files, std::vector<plan::ReportRecord>& records,
                    std::vector<std::string>& errors, std::vector<plan::Conflict>& conflicts) {
  for (const auto& file : files) {
    std::string error;
    auto source = plan::file_input(file, kMaxInputBytes)(error);
    if (!source) {
      errors.push_back(error);
      continue;
    }
    const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
    // Line by line: a 50 MB console log costs one line and the newest record per machine.
    auto read = plan::read_boot_log(file, *source, errors, now_ms);
    std::move(read.records.begin(), read.records.end(), std::back_inserter(records));
    std::move(read.conflicts.begin(), read.conflicts.end(), std::back_inserter(conflicts));
  }
}

/// Writes the page next to its final name, then renames: a reader never sees half a page. The
/// folder may be reached through a link: the owner named it.
std::string write_html(const std::string& path, const std::string& page) {
  return latchwatch::probes::write_file_atomically(path, page, 0644, false, false);
}

int plan_resets(const std::vector<std::string>& args) {
  bool json = false;
  plan::ResetPlanOptions options;
  std::vector<std::string> paths, boot_logs, graphs, activity_logs;
  std::string html;
  std::int64_t activity_window = 24 * 3600;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--json") {
      json = true;
    } else if (args[i] == "--boot-logs" || args[i] == "--resource-graph" || args[i] == "--html") {
      if (i + 1 >= args.size())
        return plan_usage(args[i] + " needs a " +
                          (args[i] == "--boot-logs" ? "FILE or FOLDER" : "FILE"));
      const std::string& value = args[++i];
      if (args[i - 1] == "--boot-logs")
        boot_logs.push_back(value);
      else if (args[i - 1] == "--resource-graph")
        graphs.push_back(value);
      else
        html = value;
    } else if (args[i] == "--activity-log") {
      if (i + 1 >= args.size()) return plan_usage("--activity-log needs a FILE");
      activity_logs.push_back(args[++i]);
    } else if (args[i] == "--activity-window") {
      if (i + 1 >= args.size()) return plan_usage("--activity-window needs a duration (24h)");
      auto window = plan::parse_activity_window(args[++i]);
      if (!window)
        return plan_usage("--activity-window: '" + probes::one_line(args[i], 40) +
                          "' is not a duration of 1m to 90d (like 90m, 24h, 7d)");
      activity_window = *window;
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
  if (paths.empty() && boot_logs.empty())
    return plan_usage("resets needs at least one REPORT file or folder, or --boot-logs");
  std::vector<std::string> errors;
  std::vector<plan::ReportRecord> records;
  std::vector<plan::Conflict> trust_conflicts;  // records that speak for another machine
  read_reports(expand_inputs(paths, errors), records, errors, trust_conflicts);
  read_boot_logs(expand_inputs(boot_logs, errors), records, errors, trust_conflicts);
  plan::Inventory inventory;
  for (const auto& graph : graphs) {
    std::string text;
    if (auto error = read_input(graph, text); !error.empty())
      errors.push_back(error);
    else
      plan::read_resource_graph(graph, text, inventory, errors);
  }
  // The activity log is read before any plan is made: a file that is not an export is refused
  // whole (a plan would otherwise call every loss unexplained for want of a readable log).
  plan::ActivityLog activity;
  for (const auto& file : activity_logs) {
    std::string text;
    std::vector<std::string> file_errors;
    std::string refused = read_input(file, text, kMaxActivityLogBytes);
    if (refused.empty() && !plan::read_activity_log(file, text, activity, file_errors))
      refused = file_errors.front();
    if (!refused.empty()) {
      std::cerr << "latchwatch plan: --activity-log " << probes::one_line(refused, 300) << "\n";
      return kExitUsage;
    }
    // Bad events were skipped; the plan lists them as input errors and needs a person.
    errors.insert(errors.end(), file_errors.begin(), file_errors.end());
  }
  std::optional<plan::InventoryUse> inventory_use;
  if (!graphs.empty()) {
    inventory_use = plan::apply_inventory(records, inventory);
    trust_conflicts.insert(trust_conflicts.end(), inventory_use->contradicted.begin(),
                           inventory_use->contradicted.end());
  }
  // A file named after a machine the plan knows speaks only for it (issue 26), whatever its
  // records say: "vm-a.json" holding only vm-b's key loss is a conflict, not vm-b's reset.
  std::vector<std::string> known_names;
  for (const auto& vm : inventory.vms)
    known_names.push_back(
        vm.scale_set.empty() ? vm.name : vm.scale_set + "_" + plan::last_segment(vm.resource_id));
  auto denied = plan::set_aside_records_their_file_names_deny(records, known_names);
  trust_conflicts.insert(trust_conflicts.end(), denied.begin(), denied.end());
  // Records set aside as conflicts still make a plan: it says so, and exits non-zero.
  if (records.empty() && trust_conflicts.empty()) {
    for (const auto& e : errors)
      std::cerr << "latchwatch plan: " << probes::one_line(e, 300) << "\n";
    std::cerr << "latchwatch plan: no usable report in the inputs\n";
    return kExitUsage;
  }
  options.now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  plan::ResetPlan result = plan::build_reset_plan(std::move(records), options);
  errors.insert(errors.end(), result.input_errors.begin(), result.input_errors.end());
  result.input_errors = std::move(errors);
  result.conflicts.insert(result.conflicts.end(), trust_conflicts.begin(), trust_conflicts.end());
  if (!activity_logs.empty()) plan::explain_resets(result, activity, activity_window);
  if (!html.empty()) {
    auto page = plan::reset_plan_html(result, inventory_use ? &inventory : nullptr,
                                      inventory_use ? &*inventory_use : nullptr);
    if (auto error = write_html(html, page); !error.empty()) {
      std::cerr << "latchwatch plan: " << error << "\n";
      return kExitUsage;
    }
  }
  if (json) {
    // Written entry by entry: a fleet's plan is never held as one document.
    nlohmann::json extra = nlohmann::json::object();
    if (inventory_use)
      extra["resource_graph"] = plan::inventory_document(inventory, *inventory_use);
    if (!activity_logs.empty())
      extra["activity_log"] = plan::activity_log_document(activity, activity_logs, activity_window);
    plan::write_reset_plan_json(result, extra, std::cout);
    std::cout << "\n";
  } else {
    std::cout << plan::reset_plan_text(result);
    if (inventory_use) std::cout << "\n" << plan::inventory_text(inventory, *inventory_use);
  }
  // The text lists input errors itself; JSON keeps stdout machine-readable, so say them here.
  if (json)
    for (const auto& e : result.input_errors)
      std::cerr << "latchwatch plan: " << probes::one_line(e, 300) << "\n";
  return result.needs_attention() ? 1 : 0;
}

int plan_cmk(const std::vector<std::string>& args) {
  bool json = false;
  std::string vms, disks, des, associated, new_key_url, before;
  std::vector<std::string> vmss;
  for (std::size_t i = 0; i < args.size(); ++i) {
    // --after FILE (before issue 13) named a disk export after the rotation; disk exports carry
    // no key version, so it now only stands in for --disks.
    std::string* target = args[i] == "--vms"                             ? &vms
                          : args[i] == "--disks" || args[i] == "--after" ? &disks
                          : args[i] == "--des"                           ? &des
                          : args[i] == "--associated"                    ? &associated
                          : args[i] == "--new-key-url"                   ? &new_key_url
                          : args[i] == "--before"                        ? &before
                                                                         : nullptr;
    if (args[i] == "--json") {
      json = true;
    } else if (target || args[i] == "--vmss") {
      if (i + 1 >= args.size()) return plan_usage(args[i] + " needs a value");
      if (target)
        *target = args[++i];
      else
        vmss.push_back(args[++i]);
    } else {
      return plan_usage("unexpected argument '" + args[i] + "'");
    }
  }
  if (vms.empty() || disks.empty() || des.empty())
    return plan_usage("cmk-rotation needs --vms, --disks and --des");
  plan::CmkFiles files;
  files.vms.name = vms;
  files.disks.name = disks;
  files.des.name = des;
  for (const auto& f : vmss) files.vmss.push_back({f, {}});
  if (!associated.empty()) files.associated = plan::NamedFile{associated, {}};
  files.new_key_url = new_key_url;
  if (!before.empty()) files.before = plan::NamedFile{before, {}};
  std::vector<plan::NamedFile*> all = {&files.vms, &files.disks, &files.des};
  for (auto& f : files.vmss) all.push_back(&f);
  if (files.associated) all.push_back(&*files.associated);
  if (files.before) all.push_back(&*files.before);
  for (auto* f : all) {
    if (auto error = read_input(f->name, f->text); !error.empty()) {
      std::cerr << "latchwatch plan: " << error << "\n";
      return kExitUsage;
    }
  }
  plan::CmkInputs inputs = plan::read_cmk_inputs(files);
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
  return result.complete() ? 0 : 1;
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
