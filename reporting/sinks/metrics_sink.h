#pragma once
/// Prometheus metrics (text exposition format 0.0.4): kept for the /metrics endpoint and,
/// optionally, written to a node_exporter textfile folder (temp file + rename).

#include <atomic>
#include <memory>
#include <mutex>

#include "reporting/sinks/sink.h"

namespace latchwatch::reporting {

/// The exposition text for one cycle. Low cardinality: labels are verdict codes, probe targets
/// and sink names, never per-request values.
std::string render_metrics(const CycleReport& report, std::uint64_t cycles_total);

/// The latest exposition text, shared between the sink (writer) and the HTTP endpoint (reader).
/// Kept across reloads, with the cycle count, so a reload never resets `latchwatch_cycles_total`.
class MetricsText {
 public:
  void set(std::string text);
  std::string get() const;
  /// Counts one more cycle; returns the total since the process started.
  std::uint64_t count_cycle() { return ++cycles_; }

 private:
  mutable std::mutex mutex_;
  std::string text_;
  std::atomic<std::uint64_t> cycles_{0};
};

class MetricsSink : public Sink {
 public:
  MetricsSink(std::shared_ptr<MetricsText> text, std::string textfile_dir);
  std::string name() const override { return "metrics"; }
  PublishResult publish(const CycleReport& report) override;

 private:
  std::shared_ptr<MetricsText> text_;
  std::string textfile_dir_;
};

}  // namespace latchwatch::reporting
