#pragma once
/// Prometheus metrics (text exposition format 0.0.4): kept for the /metrics endpoint and,
/// optionally, written to a node_exporter textfile folder (temp file + rename).

#include <memory>
#include <mutex>

#include "reporting/sink.h"

namespace latchwatch::reporting {

/// The exposition text for one cycle. Low cardinality: labels are verdict codes, probe targets
/// and sink names, never per-request values.
std::string render_metrics(const CycleReport& report, std::uint64_t cycles_total);

/// The latest exposition text, shared between the sink (writer) and the HTTP endpoint (reader).
class MetricsText {
 public:
  void set(std::string text);
  std::string get() const;

 private:
  mutable std::mutex mutex_;
  std::string text_;
};

class MetricsSink : public Sink {
 public:
  MetricsSink(std::shared_ptr<MetricsText> text, std::string textfile_dir);
  std::string name() const override { return "metrics"; }
  PublishResult publish(const CycleReport& report) override;

 private:
  std::shared_ptr<MetricsText> text_;
  std::string textfile_dir_;
  std::uint64_t cycles_ = 0;
};

}  // namespace latchwatch::reporting
