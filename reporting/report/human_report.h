#pragma once
/// The human-readable rendering of a report: a verdict line, one line per probe and finding, and
/// the owner's remedy spelled out. Colour only when asked (a terminal).

#include <string>

#include "reporting/report/report.h"

namespace latchwatch::reporting {

std::string render_human(const latchwatch::Report& report, bool color);

/// `latchwatch explain CODE`: meaning, evidence, owner action, severity and exit code.
std::string render_explanation(const latchwatch::VerdictInfo& info);

}  // namespace latchwatch::reporting
