#include "reporting/report/verdict.h"

#include <stdexcept>

namespace latchwatch {

const char* to_string(Severity s) {
  switch (s) {
    case Severity::ok:
      return "ok";
    case Severity::warning:
      return "warning";
    case Severity::critical:
      return "critical";
    case Severity::unknown:
      return "unknown";
  }
  return "unknown";
}

int exit_code(Severity s) { return static_cast<int>(s); }

const std::vector<VerdictInfo>& verdict_catalogue() {
  using V = VerdictCode;
  using S = Severity;
  static const std::vector<VerdictInfo> catalogue = {
      {V::healthy, "healthy", S::ok,
       "The latched key is on disk, GPA holds it, and the fabric answers.",
       "Server keyGuid has a key file, GPA's status names the same key, fabric probes succeed.",
       "None.", false},
      {V::secure_channel_disabled, "secure_channel_disabled", S::ok,
       "The Metadata Security Protocol is not enabled for this VM; no key is needed.",
       "secure-channel status v1 'Disabled' or v2 secureChannelEnabled false.", "None.", false},
      {V::latching_in_progress, "latching_in_progress", S::warning,
       "The secure channel is enabled but the key is not latched yet, and nothing has failed.",
       "No server keyGuid yet, or the key file is not written yet with no failure reported.",
       "Wait a few minutes and check again.", false},
      {V::gpa_not_installed, "gpa_not_installed", S::critical,
       "The secure channel is enabled but the Guest Proxy Agent is not installed.",
       "No GPA unit file, binary, running process, status file or /provision listener.",
       "Install the Guest Proxy Agent (enable the ProxyAgent extension) on the VM.", false},
      {V::gpa_down, "gpa_down", S::critical,
       "The Guest Proxy Agent is installed but not running, so nothing signs fabric requests.",
       "/provision refused or silent, status.json stale or missing, fabric answers 401.",
       "Restart GPA in the VM (systemctl restart azure-proxy-agent; on Windows Restart-Service "
       "GuestProxyAgent). This is not a key reset.",
       false},
      {V::redirect_failure, "redirect_failure", S::critical,
       "GPA runs but its eBPF redirect is not active, so requests bypass it.",
       "status.json ebpfProgramStatus is not RUNNING.",
       "Fix the OS prerequisites for GPA's eBPF redirector (kernel, cgroup2), then restart GPA.",
       false},
      {V::wireserver_unreachable, "wireserver_unreachable", S::critical,
       "WireServer cannot be reached from this VM.",
       "Connecting to WireServer was refused or timed out.",
       "Check the network path, routes and firewalls to 168.63.129.16. Not a key reset.", false},
      {V::imds_unreachable, "imds_unreachable", S::critical,
       "IMDS cannot be reached from this VM while WireServer can.",
       "Connecting to IMDS was refused or timed out.",
       "Check routes and firewalls to 169.254.169.254. Not a key reset.", false},
      {V::key_lost, "key_lost", S::critical,
       "The latched key file is gone and the host will not hand it out again.",
       "Server keyGuid set, no key file for it and no other key files, acquisition refused or "
       "fabric answers 401.",
       "The owner resets the key from outside the VM (raise keyIncarnationId).", true},
      {V::key_mismatch, "key_mismatch", S::critical,
       "The key folder holds another VM's key: this disk came from a different VM.",
       "Server keyGuid has no key file, but the folder holds key files for other guids.",
       "The owner resets the key from outside the VM (raise keyIncarnationId).", true},
      {V::key_suspect_mismatch, "key_suspect_mismatch", S::critical,
       "GPA holds the server's key, yet signed requests are rejected: the host's key differs.",
       "Key file and GPA state match the server keyGuid, but fabric answers 401 through GPA.",
       "The owner resets the key from outside the VM (raise keyIncarnationId).", true},
      {V::key_loss_latent, "key_loss_latent", S::warning,
       "GPA runs on a key held only in memory: the key file is gone, and the next GPA restart "
       "or reboot cuts the VM off.",
       "No key file for the server keyGuid, but GPA's status still names it.",
       "The owner plans a key reset (raise keyIncarnationId) before the next restart.", true},
      {V::reset_pending, "reset_pending", S::warning,
       "The host has issued a new key that GPA has not picked up yet.",
       "Server keyGuid or keyIncarnationId differs from what GPA holds.",
       "Wait a few minutes, then check again; GPA recovers by itself.", false},
      {V::access_denied_by_rules, "access_denied_by_rules", S::warning,
       "GPA's allow-list rules deny a request: a rules problem, not a key problem.",
       "HTTP 403 with an empty body and Connection: close.",
       "Fix the allow-list rules (InVMAccessControlProfile) for the caller.", false},
      {V::imds_throttled, "imds_throttled", S::warning, "IMDS is throttling requests.",
       "IMDS answered 429.", "None; latchwatch backs off. Reduce IMDS polling on this VM.", false},
      {V::key_store_unwritable, "key_store_unwritable", S::critical,
       "GPA cannot write or check its key folder.",
       "status.json says 'Failed to save key details' or 'Failed to check the key'.",
       "Free disk space or fix the mount of /var/lib/azure-proxy-agent (on Windows the access to "
       "%SYSTEMDRIVE%\\WindowsAzure\\ProxyAgent\\Keys). Not a key reset.",
       false},
      {V::clock_skew, "clock_skew", S::warning, "The VM's clock is far from the fabric's.",
       "The fabric's Date header differs from the local clock by more than the threshold.",
       "Fix time synchronisation (chrony/systemd-timesyncd, w32time, Hyper-V time sync).", false},
      {V::unknown, "unknown", S::unknown, "The evidence contradicts itself or could not be read.",
       "See the findings: which source could not be read, and why.",
       "Read the findings; fix what stops latchwatch from reading the evidence.", false},
  };
  return catalogue;
}

const VerdictInfo& info(VerdictCode code) {
  for (const auto& entry : verdict_catalogue())
    if (entry.code == code) return entry;
  throw std::logic_error("verdict missing from the catalogue");
}

const char* to_string(VerdictCode code) { return info(code).name; }

std::optional<VerdictCode> verdict_from_string(std::string_view name) {
  for (const auto& entry : verdict_catalogue())
    if (name == entry.name) return entry.code;
  return std::nullopt;
}

const char* action_by(VerdictCode code) {
  using V = VerdictCode;
  switch (code) {
    case V::healthy:
    case V::secure_channel_disabled:
      return "none";
    case V::gpa_not_installed:       // the ProxyAgent extension is enabled through ARM
    case V::access_denied_by_rules:  // InVMAccessControlProfile lives in the VM model
    case V::key_lost:
    case V::key_mismatch:
    case V::key_suspect_mismatch:
    case V::key_loss_latent:
      return "owner";
    default:
      return "operator";
  }
}

bool is_key_verdict(VerdictCode code) {
  return code == VerdictCode::key_lost || code == VerdictCode::key_mismatch ||
         code == VerdictCode::key_suspect_mismatch || code == VerdictCode::key_loss_latent;
}

}  // namespace latchwatch
