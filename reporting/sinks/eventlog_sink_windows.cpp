// The Windows Event Log (advapi32): RegisterEventSourceW once per sink, ReportEventW per
// transition.
#include <atomic>

#include "reporting/sinks/eventlog_sink.h"
#include "reporting/sinks/wide_text_windows.h"

namespace latchwatch::reporting {
namespace {

WORD event_type(EventType type) {
  switch (type) {
    case EventType::error:
      return EVENTLOG_ERROR_TYPE;
    case EventType::warning:
      return EVENTLOG_WARNING_TYPE;
    case EventType::information:
      return EVENTLOG_INFORMATION_TYPE;
  }
  return EVENTLOG_INFORMATION_TYPE;
}

class EventLogSink : public Sink {
 public:
  EventLogSink(HANDLE source, std::string name) : source_(source), name_(std::move(name)) {}
  ~EventLogSink() override { DeregisterEventSource(source_); }
  std::string name() const override { return "eventlog"; }

  PublishResult publish(const CycleReport& report) override {
    auto entry = eventlog_entry(report);
    if (!entry) return {};
    std::wstring text = widen(entry->text);
    const wchar_t* strings[] = {text.c_str()};
    if (!ReportEventW(source_, event_type(entry->type), 0, entry->id, nullptr, 1, 0, strings,
                      nullptr))
      return PublishResult::failure("Event Log (source " + name_ +
                                    "): " + win32_message(GetLastError()));
    ++written_;
    return {};
  }

  nlohmann::json health() const override { return {{"events_written", written_.load()}}; }

 private:
  HANDLE source_;
  std::string name_;
  std::atomic<std::uint64_t> written_{0};
};

}  // namespace

bool eventlog_available() { return true; }

std::unique_ptr<Sink> make_eventlog_sink(const std::string& source, std::string& error) {
  HANDLE handle = RegisterEventSourceW(nullptr, widen(source).c_str());
  if (!handle) {
    error = "Event Log source " + source + ": " + win32_message(GetLastError());
    return nullptr;
  }
  return std::make_unique<EventLogSink>(handle, source);
}

}  // namespace latchwatch::reporting
