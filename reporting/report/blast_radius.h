#pragma once
/// What the owner is not told by a key verdict alone: what else in the VM is broken for the same
/// reason, given the secure channel's modes, and which of the configured outward channels can
/// still get the word out (real-platform.md §5, §7). The knowledge lives in this one table;
/// the JSON report, the human table and `latchwatch explain` only print it.

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "probes/payloads/secure_channel_status.h"

namespace latchwatch {

/// Kinds of outward channel latchwatch can be configured with (its sinks), plus the platform's
/// own channels an owner reads (boot diagnostics is the serial sink's destination).
enum class Channel {
  serial_console,  ///< boot-diagnostics serial log: the owner pulls it from outside
  metrics_scrape,  ///< /metrics, scraped from outside (an inbound pull)
  alertmanager,    ///< push with a pre-shared bearer token
  webhook,         ///< push with an HMAC secret (also Event Grid with aeg-sas-key, Logic App URLs)
  kvp,             ///< Hyper-V KVP: reaches the host, not the owner
  report_file,     ///< a file in the VM: read it by logging in
  local_log,       ///< syslog / Windows Event Log: out only if something forwards it
};
const char* to_string(Channel c);

struct ChannelReach {
  Channel channel;
  bool reaches_owner = false;  ///< still gets out to the owner with the key lost
  std::string why;
};

struct BlastRadius {
  /// Broken for the same reason (each "what: why"); empty when no mode enforces.
  std::vector<std::string> broken;
  /// Still working despite the lost key (informative).
  std::vector<std::string> still_working;
  std::vector<ChannelReach> channels;  ///< only the configured ones, in configuration order
};

/// The table, for a key verdict under these modes and these configured channels. A mode in
/// audit (or disabled) breaks nothing: the fabric does not refuse unsigned requests then.
BlastRadius blast_radius(probes::Mode wireserver, probes::Mode imds,
                         const std::vector<Channel>& configured);

/// The whole table as text for `explain` (no VM at hand: every mode, every channel kind).
std::string describe_blast_radius_table();

void to_json(nlohmann::json& j, const BlastRadius& b);

}  // namespace latchwatch
