// The decision table of the domain brief §6, as ordered rules: network, agent and rule faults
// always win over key verdicts, and evidence that could not be read never yields `healthy` or a
// key verdict.
#include "agent/diagnosis/diagnosis_steps.h"

#include <cmath>
#include "probes/base/json_limits.h"
#include "probes/base/utc_time.h"
#include "probes/local/smbios.h"
#include "reporting/report/remedy.h"

namespace latchwatch::diagnosis::detail {

/// The rules, in order. The first that holds is the verdict.
Choice choose_verdict(const Evidence& e, const Facts& f, const DiagnosisSettings& settings) {
  using V = VerdictCode;
  const bool enabled_or_401 = (f.status_known && f.enabled) || (!f.status_known && f.upstream_401);
  const bool status_file_unusable = !f.status_file_ok;

  if (enabled_or_401 && !f.gpa_installed)
    return {V::gpa_not_installed, "no unit file, binary, process, status file or listener"};
  if (enabled_or_401 && f.gpa_listener_down && (status_file_unusable || !f.status_file_fresh) &&
      f.in_boot_grace)
    return {V::latching_in_progress, "early boot: GPA is not answering yet"};
  // GPA is down when its status file is gone or stale; one that is there but unusable (too
  // large, unreadable, malformed) is no evidence either way, and the rules below say `unknown`.
  const bool status_file_gone_or_stale =
      (status_file_unusable && e.status_file.state == ReadState::missing) ||
      (!status_file_unusable && !f.status_file_fresh);
  if (enabled_or_401 && f.gpa_listener_down && status_file_gone_or_stale)
    return {V::gpa_down,
            std::string(f.provision ? "GPA's listener does not answer" : "no GPA process runs") +
                " and its status file is " +
                std::string(status_file_unusable ? "missing" : "stale")};
  if (enabled_or_401 && f.status_file_fresh && f.ebpf_not_running)
    return {V::redirect_failure, "ebpfProgramStatus is not RUNNING"};
  if (f.ws_unreachable) {
    if (!e.running_as_root && f.ws_status->outcome == Outcome::timeout)
      return {V::unknown, "WireServer timed out while running as non-root: blocked locally?"};
    return {V::wireserver_unreachable, f.ws_status->error};
  }
  if (f.imds_unreachable) return {V::imds_unreachable, f.imds->error};
  if (f.status_known && !f.enabled) return {V::secure_channel_disabled, ""};
  if (f.rule_item_rejected)
    return {V::unknown, "WireServer's status has a rule item without id, which GPA rejects"};
  if (!f.status_known)
    return {V::unknown, "the secure-channel status could not be read: " +
                            (f.ws_status ? f.ws_status->error : std::string("not probed"))};

  // From here: the secure channel is enabled and its status was read.
  if (f.status_file_fresh && f.latch_message == KeyLatchMessage::store_unwritable)
    return {V::key_store_unwritable, "GPA cannot save or check its key file"};
  if (f.server_guid.empty()) return {V::latching_in_progress, "the host has latched no key yet"};
  if (!f.keys_readable) return {V::unknown, "the key folder could not be listed: " + e.keys.error};

  const bool gpa_holds_other = !f.gpa_guid.empty() && f.gpa_guid != f.server_guid;
  const bool incarnation_ahead =
      f.server_incarnation && f.gpa_incarnation && *f.server_incarnation > *f.gpa_incarnation;
  if (gpa_holds_other || incarnation_ahead)
    return {V::reset_pending, "the host's key " + f.server_guid + " is newer than GPA's " +
                                  (f.gpa_guid.empty() ? std::string("(none)") : f.gpa_guid)};

  if (!f.server_key_on_disk) {
    if (!f.gpa_guid.empty())  // M = G but no file: running from memory
      return {V::key_loss_latent, "GPA holds key " + f.server_guid + " in memory only"};
    if (status_file_unusable && f.upstream_401 == 0)
      return {V::unknown, "no key file, and GPA's status file could not be read to tell why"};
    const bool network_side = f.latch_message == KeyLatchMessage::acquire_network ||
                              f.latch_message == KeyLatchMessage::acquire_host_error ||
                              f.latch_message == KeyLatchMessage::status_failed;
    const bool refused = f.explicit_refusal || f.inferred_refusal;
    const bool corroborated =
        refused || (!network_side && (f.upstream_401 > 0 || f.status_file_401 > 0));
    // Early boot: no key yet and 401s are normal; only GPA's own explicit refusal counts.
    if (f.in_boot_grace && !f.explicit_refusal)
      return {V::latching_in_progress, "early boot: no key file yet"};
    if (!corroborated)
      return {V::latching_in_progress, network_side
                                           ? "GPA cannot reach WireServer to acquire the key yet"
                                           : "no key file yet, and nothing has failed"};
    if (f.other_keys)
      return {V::key_mismatch, "the key folder holds other guids: this disk came from another VM"};
    return {V::key_lost, "no key file for " + f.server_guid + " and the host refuses it again"};
  }

  // G ∈ L.
  // The file is there but GPA holds no key and the host refused the acquire: GPA could not load
  // the file (unreadable or unparsable) and asked again. A key loss, not an unknown.
  if (f.gpa_alive && f.status_file_ok && f.gpa_guid.empty() &&
      (f.explicit_refusal || (f.inferred_refusal && !f.in_boot_grace)))
    return {V::key_lost, "the key file for " + f.server_guid +
                             " is present but GPA cannot use it, and the host refuses the key "
                             "again"};
  if (f.status_file_fresh && f.gpa_guid == f.server_guid &&
      (f.upstream_401_via_gpa > 0 || (f.upstream_401 > 0 && f.status_file_401 > 0)))
    return {V::key_suspect_mismatch,
            "GPA signs with " + f.server_guid + " yet the fabric answers 401"};
  if (f.upstream_401 > 0)
    return {V::unknown,
            "the fabric answers 401 while the key is on disk; GPA's status does not "
            "confirm that it signs with it"};
  if (f.denied_by_rules) return {V::access_denied_by_rules, ""};
  if (f.imds_throttled) return {V::imds_throttled, ""};
  if (f.skew_seconds && std::fabs(*f.skew_seconds) > settings.clock_skew_threshold_seconds)
    return {V::clock_skew, ""};
  if (status_file_unusable || !f.status_file_fresh)
    return {V::unknown,
            "GPA's status file is missing, unreadable or stale, so GPA's key "
            "cannot be confirmed"};
  if (f.gpa_guid.empty())
    return {V::latching_in_progress, "the key file is on disk; GPA has not loaded it yet"};
  return {V::healthy, ""};
}

}  // namespace latchwatch::diagnosis::detail
