#include "reporting/report/blast_radius.h"

#include <nlohmann/json.hpp>
#include <sstream>

namespace latchwatch {
namespace {

using probes::Mode;

// real-platform.md §5 and §7. Under WireServer Enforce without a key, WireServer (and
// HostGAPlugin, which follows WireServer's mode from GPA 1.0.28) answers 401 to every unsigned
// request: the goal-state channel is gone. Under IMDS Enforce, IMDS answers 401: no metadata and
// no managed-identity token.
const std::vector<std::string> kWireServerEnforce{
    "VM extensions: the guest agent cannot fetch the goal state from WireServer (install, "
    "update, status)",
    "Run Command: it travels the goal-state channel through WireServer",
    "VM Applications: delivered as goal-state artifacts through WireServer/HostGAPlugin",
    "the instance view: extension status cannot leave the VM, so it freezes at its last good "
    "value (the GPA substatus too)"};
const std::vector<std::string> kImdsEnforce{
    "managed-identity tokens: IMDS answers 401, so Key Vault, Storage and every Azure API call "
    "made with the VM's identity fail",
    "the Azure Monitor Agent and everything built on it (Log Analytics, Data Collection Rules, "
    "Logs Ingestion with a managed identity): data queues until the reset",
    "IMDS itself: instance metadata, Scheduled Events and attested data"};
const std::vector<std::string> kUnaffected{
    "the VM's own workload and its inbound traffic (GPA redirects only outbound connections to "
    "WireServer and IMDS)"};

ChannelReach reach(Channel c, bool imds_enforced) {
  switch (c) {
    case Channel::serial_console:
      return {c, true,
              "the host captures the serial console; the owner reads it with az vm "
              "boot-diagnostics get-boot-log, in every mode"};
    case Channel::metrics_scrape:
      return {c, true,
              "a scrape connects into the VM; GPA redirects only outbound connections to "
              "WireServer and IMDS"};
    case Channel::alertmanager:
      return {c, true,
              "a push with a pre-shared bearer token needs no IMDS token (when the VM has "
              "egress)"};
    case Channel::webhook:
      return {c, true,
              "a push signed with a pre-shared secret (or an Event Grid key / a URL credential) "
              "needs no IMDS token (when the VM has egress)"};
    case Channel::kvp:
      return {c, false, "KVP reaches the Hyper-V host, not the owner"};
    case Channel::report_file:
      return {c, false, "a file in the VM: readable only by logging in"};
    case Channel::local_log:
      return {c, !imds_enforced,
              imds_enforced
                  ? "the local log leaves the VM only through a forwarder; the Azure Monitor "
                    "Agent needs a managed-identity token and queues until the reset"
                  : "the local log leaves the VM through whatever forwards it (not blocked by "
                    "this key loss while IMDS is not enforced)"};
  }
  return {c, false, ""};
}

}  // namespace

const char* to_string(Channel c) {
  switch (c) {
    case Channel::serial_console:
      return "serial_console";
    case Channel::metrics_scrape:
      return "metrics_scrape";
    case Channel::alertmanager:
      return "alertmanager";
    case Channel::webhook:
      return "webhook";
    case Channel::kvp:
      return "kvp";
    case Channel::report_file:
      return "report_file";
    case Channel::local_log:
      return "local_log";
  }
  return "unknown";
}

BlastRadius blast_radius(Mode wireserver, Mode imds, const std::vector<Channel>& configured) {
  BlastRadius b;
  const bool ws = wireserver == Mode::enforce;
  const bool md = imds == Mode::enforce;
  if (ws) b.broken.insert(b.broken.end(), kWireServerEnforce.begin(), kWireServerEnforce.end());
  if (md) b.broken.insert(b.broken.end(), kImdsEnforce.begin(), kImdsEnforce.end());
  b.still_working = kUnaffected;
  if (!ws)
    b.still_working.push_back(
        "extensions, Run Command, VM Applications and the instance view "
        "(WireServer is not enforced)");
  if (!md)
    b.still_working.push_back(
        "managed-identity tokens and the Azure Monitor Agent (IMDS is not "
        "enforced)");
  for (Channel c : configured) b.channels.push_back(reach(c, md));
  return b;
}

std::string describe_blast_radius_table() {
  std::ostringstream out;
  out << "Also broken, under WireServer Enforce:\n";
  for (const auto& line : kWireServerEnforce) out << "  - " << line << "\n";
  out << "Also broken, under IMDS Enforce:\n";
  for (const auto& line : kImdsEnforce) out << "  - " << line << "\n";
  out << "(Audit mode breaks none of these: the fabric does not refuse then.)\n";
  out << "Outward channels with the key lost (IMDS Enforce):\n";
  for (Channel c : {Channel::serial_console, Channel::metrics_scrape, Channel::alertmanager,
                    Channel::webhook, Channel::kvp, Channel::report_file, Channel::local_log}) {
    auto r = reach(c, true);
    out << "  " << (r.reaches_owner ? "yes " : "no  ") << to_string(c) << ": " << r.why << "\n";
  }
  return out.str();
}

void to_json(nlohmann::json& j, const BlastRadius& b) {
  nlohmann::json channels = nlohmann::json::array();
  for (const auto& c : b.channels)
    channels.push_back(
        {{"channel", to_string(c.channel)}, {"reaches_owner", c.reaches_owner}, {"why", c.why}});
  j = {{"also_broken", b.broken}, {"still_working", b.still_working}, {"channels", channels}};
}

}  // namespace latchwatch
