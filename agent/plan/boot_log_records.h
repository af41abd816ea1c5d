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

#include <string>
#include <vector>

#include "agent/plan/reset_plan.h"

namespace latchwatch::plan {

struct BootLogRead {
  std::vector<ReportRecord> records;  ///< the newest line per machine, in line order
  int lines_found = 0;                ///< latchwatch lines that parsed
  int logs_without_lines = 0;
};

/// Reads one boot log. `file_name` names the records' origin ("logs/vm-1.log:812").
BootLogRead read_boot_log_records(const std::string& file_name, const std::string& text,
                                  std::vector<std::string>& errors);

/// The text with ANSI/VT100 escape sequences (CSI, OSC, two-byte ESC x) removed.
std::string strip_terminal_escapes(std::string_view text);

}  // namespace latchwatch::plan
