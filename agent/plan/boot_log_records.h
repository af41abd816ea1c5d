#pragma once
/// Boot diagnostics serial logs as `plan resets` inputs: the text `az vm boot-diagnostics
/// get-boot-log` prints (the serial log blob: kernel lines, systemd, cloud-init, waagent, CR LF,
/// ANSI colour, lines cut by a read during a write). latchwatch's own lines (format in
/// reporting/report/serial_line.h) are found anywhere in a line, checked (CRC, field shapes, the
/// same character classes as JSON reports) and the newest per machine becomes the record a JSON
/// report would give.
///
/// Pure; never throws. Damaged or foreign-version latchwatch lines are errors naming the file
/// and line; a log with no latchwatch line at all gives no record and no error (the VM never
/// saw a transition, or does not run latchwatch), counted in `BootLogRead::logs_without_lines`.
///
/// A boot log speaks for one machine, the one it was fetched for (issue 26): its file name as
/// the owner's fetch loop writes it ("NAME.log", "SCALESET_INSTANCE.log"; anything after the
/// name and a '.' is ignored) binds it to the machine of that name, and lines naming any other
/// machine are conflicts, not records. A log whose file name names none of its machines speaks
/// for one machine at most: with lines naming several, every line is a conflict.

#include <cstdint>
#include <string>
#include <vector>

#include "agent/plan/input_stream.h"
#include "agent/plan/reset_plan.h"

namespace latchwatch::plan {

struct BootLogRead {
  std::vector<ReportRecord> records;  ///< the newest line per machine, in line order
  int lines_found = 0;                ///< latchwatch lines that parsed
  int logs_without_lines = 0;
  std::vector<Conflict> conflicts;  ///< lines that speak for a machine the log is not bound to
  std::string bound_to;             ///< the machine name the file name binds, if it matched
};

/// Longer lines are skipped (named when they hold latchwatch text; a latchwatch line is 200 bytes).
constexpr std::size_t kMaxBootLogLine = 1u << 20;

/// Reads one boot log line by line: memory is bounded by one line and the newest record per
/// machine, whatever the log's size. `file_name` names the records' origin ("logs/vm-1.log:812").
/// With `now_ms` (Unix ms), a line dated more than 10 minutes after it is an input error and never
/// the newest of its machine (it would hide the machine's true later lines).
BootLogRead read_boot_log(const std::string& file_name, ByteSource& source,
                          std::vector<std::string>& errors, std::int64_t now_ms = 0);

/// The same, from text in memory.
BootLogRead read_boot_log_records(const std::string& file_name, const std::string& text,
                                  std::vector<std::string>& errors, std::int64_t now_ms = 0);

/// The name the owner's fetch loop gives a machine's log or report file: the VM's name, or for
/// a Uniform instance SCALESET_INSTANCE (empty when the record names no resource).
std::string machine_name(const ReportRecord& r);

/// Whether `file_name` (a path) is named after the record's machine: "NAME" or "NAME.anything",
/// case-insensitive. Such a file speaks only for that machine (issue 26).
bool file_name_names(const std::string& file_name, const ReportRecord& r);

/// The text with ANSI/VT100 escape sequences (CSI, OSC, two-byte ESC x) removed.
std::string strip_terminal_escapes(std::string_view text);

}  // namespace latchwatch::plan
