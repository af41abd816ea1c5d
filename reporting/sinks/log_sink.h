#pragma once
/// Every transition through spdlog (stderr, journald under systemd; syslog when configured).

#include "reporting/sinks/sink.h"

namespace latchwatch::reporting {

class LogSink : public Sink {
 public:
  std::string name() const override { return "log"; }
  PublishResult publish(const CycleReport& report) override;
};

/// One short ASCII line for a transition: "<verdict> <severity> <transition>: <summary>".
std::string transition_line(const CycleReport& report, std::size_t max_len = 200);

}  // namespace latchwatch::reporting
