#pragma once
/// `check --publish`: one cycle handed to the daemon's sinks, for the timer alternative
/// (packaging/systemd/latchwatch-check.timer). What `run` does for each cycle, done once: the
/// debounce state in STATE/debounce.json is read, stepped and saved (so a key verdict fires after
/// the same cycles as under the daemon, and the timer and a later daemon agree), then the report
/// file, the node_exporter textfile, KVP, the serial line, Alertmanager and the webhook are each
/// published in turn, synchronously, each within its own deadline. The log sink is left out: the
/// caller prints the one line a run leaves in the journal.
///
/// Holds the instance lock of the state folder while it runs: with the daemon running, nothing is
/// published and `error` says so.

#include <chrono>
#include <string>
#include <vector>

#include "agent/config/config.h"
#include "reporting/sinks/sink.h"

namespace latchwatch::agent {

struct PublishedCycle {
  reporting::CycleReport cycle;              ///< what the sinks were given
  std::vector<reporting::SinkHealth> sinks;  ///< per sink: up, and last_error on failure
  std::string error;                         ///< nothing was published (the lock is taken): why
};

PublishedCycle publish_once(const Config& config, latchwatch::Report report,
                            std::chrono::system_clock::time_point started);

}  // namespace latchwatch::agent
