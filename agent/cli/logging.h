#pragma once
/// Logging through spdlog to stderr, optionally syslog (Linux) or the Event Log (Windows, source
/// "latchwatch"; logging_windows.cpp).
///
/// Under systemd, stderr is the journal's stream (JOURNAL_STREAM names its device and inode):
/// each line then starts with its syslog priority, `<3>` for error to `<7>` for debug, as
/// sd-daemon(3) describes, and carries no name or timestamp of its own (the journal adds both).
/// Anywhere else a line is `latchwatch 2026-11-30T10:00:00.000 info: message`.

#include <string>

#include "agent/config/config.h"

namespace latchwatch::agent {

void setup_logging(const Config& config);

/// True when `journal_stream` (JOURNAL_STREAM's value, "DEVICE:INODE") names the file that
/// `fd` is open on.
bool is_journal_stream(const char* journal_stream, int fd);

/// The spdlog pattern for that case: "<%N>%v"-like for the journal, the stamped form otherwise.
std::string log_pattern(bool journal);

}  // namespace latchwatch::agent
