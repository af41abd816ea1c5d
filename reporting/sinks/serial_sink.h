#pragma once
/// One concise line per transition to a serial console the owner reads from outside the VM
/// (boot diagnostics). Opened non-blocking each time; a full device drops the line, counted.

#include <atomic>

#include "reporting/sink.h"

namespace latchwatch::reporting {

class SerialSink : public Sink {
 public:
  explicit SerialSink(std::string device) : device_(std::move(device)) {}
  std::string name() const override { return "serial"; }
  PublishResult publish(const CycleReport& report) override;
  nlohmann::json health() const override { return {{"dropped_lines", dropped_.load()}}; }

 private:
  std::string device_;
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace latchwatch::reporting
