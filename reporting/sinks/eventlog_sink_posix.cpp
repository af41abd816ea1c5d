#include "reporting/sinks/eventlog_sink.h"

namespace latchwatch::reporting {

bool eventlog_available() { return false; }

std::unique_ptr<Sink> make_eventlog_sink(const std::string&, std::string& error) {
  error = "the Event Log sink is Windows only";
  return nullptr;
}

}  // namespace latchwatch::reporting
