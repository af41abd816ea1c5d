#pragma once
/// The first line of `latchwatch check`, in the monitoring-plugin format that Nagios, Icinga,
/// Sensu and check_mk read (Monitoring Plugins Development Guidelines, "Plugin Output"):
///
///   LATCHWATCH CRITICAL - key_lost: <summary> | wireserver_status=3.1ms;;;0 ... incarnation=4;;;0
///
/// The status word matches the exit code (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN). Perfdata: each
/// probe's wall time in ms (`U` when it never ran), the cycle's wall time, and the key incarnation
/// the fabric reported (`U` when unknown). The text is printable ASCII and never holds `|`.

#include <string>

#include "reporting/report/report.h"

namespace latchwatch::agent {

std::string plugin_status_line(const latchwatch::Report& report);

}  // namespace latchwatch::agent
