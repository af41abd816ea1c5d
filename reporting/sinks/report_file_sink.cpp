#include "reporting/sinks/report_file_sink.h"

#include "probes/os/atomic_file.h"

namespace latchwatch::reporting {

ReportFileSink::ReportFileSink(std::string state_dir, std::uint64_t history_max_bytes)
    : state_dir_(std::move(state_dir)), history_max_bytes_(history_max_bytes) {}

PublishResult ReportFileSink::publish(const CycleReport& report) {
  auto document = cycle_document(report);
  if (auto error = latchwatch::probes::ensure_directory(state_dir_); !error.empty())
    return PublishResult::failure(error);
  if (auto error = latchwatch::probes::write_file_atomically(
          state_dir_ + "/report.json", dump_json(document, 2) + "\n", 0640, false);
      !error.empty())
    return PublishResult::failure(error);
  if (auto error = append_history_line(state_dir_ + "/history.jsonl", dump_json(document) + "\n",
                                       history_max_bytes_);
      !error.empty())
    return PublishResult::failure(error);
  return {};
}

}  // namespace latchwatch::reporting
