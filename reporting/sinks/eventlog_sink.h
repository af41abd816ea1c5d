#pragma once
/// The Windows Event Log: each transition as one event in the Application log, source
/// "latchwatch" (eventlog_sink_windows.cpp: RegisterEventSourceW + ReportEventW). On Linux there
/// is no Event Log: make_eventlog_sink says "Windows only" (eventlog_sink_posix.cpp), and config
/// check refuses sinks.eventlog.enabled = true.
///
/// Event ids and types (documented in reporting/METRICS.md, "Windows Event Log"):
///   1001 error        a key verdict fired or changed (key_lost, key_mismatch, ...): the owner's
///                     reset is in the text
///   1002 warning      any other fault fired or changed (GPA down, WireServer unreachable, ...)
///   1003 information  resolved: back to a verdict that does not alert
/// Unchanged cycles write nothing. The text is the log sink's transition line plus the reset
/// (keyIncarnationId) and resource id when there is one: never a secret (reports hold none).
///
/// The message file: none is registered, so Event Viewer prefixes "The description for Event ID
/// ... cannot be found" and shows the text as the event's one insertion string; `Get-WinEvent`
/// and `wevtutil qe` read it as is.

#include <memory>
#include <optional>
#include <string>

#include "reporting/sinks/sink.h"

namespace latchwatch::reporting {

constexpr const char* kEventLogSource = "latchwatch";
constexpr unsigned kEventKeyVerdict = 1001;
constexpr unsigned kEventFault = 1002;
constexpr unsigned kEventRecovered = 1003;

enum class EventType { error, warning, information };

struct EventLogEntry {
  EventType type = EventType::information;
  unsigned id = kEventRecovered;
  std::string text;
};

/// The event a cycle report gives; none for an unchanged cycle. Pure, on every platform.
std::optional<EventLogEntry> eventlog_entry(const CycleReport& report);

/// Whether this platform has an Event Log (Windows).
bool eventlog_available();

/// The Event Log sink writing as `source`; null with `error` set where there is none (Linux:
/// "Windows only") or when the source cannot be registered.
std::unique_ptr<Sink> make_eventlog_sink(const std::string& source, std::string& error);

}  // namespace latchwatch::reporting
