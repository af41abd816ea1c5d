#pragma once
/// STATE/report.json (the latest report, replaced atomically) and STATE/history.jsonl (one line
/// per cycle, rotated to history.jsonl.1 past a size).

#include "reporting/sink.h"

namespace latchwatch::reporting {

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
