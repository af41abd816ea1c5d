#pragma once
/// STATE/report.json (the latest report, replaced atomically) and STATE/history.jsonl (one line
/// per cycle, rotated to history.jsonl.1 past a size).

#include "reporting/sinks/sink.h"

namespace latchwatch::reporting {

/// Appends `line` to `history` (opened without following a link), first renaming a file of
/// `max_bytes` or more to `history`.1. A partial write is cut back to where the line started in
/// the file it went to (never to the old file's size, which would pad a fresh file with NULs).
/// Returns an error text or empty.
std::string append_history_line(const std::string& history, const std::string& line,
                                std::uint64_t max_bytes);

class ReportFileSink : public Sink {
 public:
  ReportFileSink(std::string state_dir, std::uint64_t history_max_bytes);
  std::string name() const override { return "report_file"; }
  PublishResult publish(const CycleReport& report) override;

 private:
  std::string state_dir_;
  std::uint64_t history_max_bytes_;
};

}  // namespace latchwatch::reporting
