// Findings from this VM's own evidence.
#include "agent/diagnosis/diagnosis_steps.h"

#include <cmath>
#include "probes/base/json_limits.h"
#include "probes/base/utc_time.h"
#include "probes/local/smbios.h"
#include "reporting/report/remedy.h"

namespace latchwatch::diagnosis::detail {

void local_findings(const Evidence& e, const Facts& f, const DiagnosisSettings& settings,
                    FindingList& out) {
  const auto& keys = e.keys;
  if (keys.state == ReadState::missing) {
    out.add(FindingId::key_folder_missing, Severity::warning, "key_folder",
            "key folder " + keys.path + " does not exist");
  } else if (keys.state != ReadState::ok) {
    out.add(FindingId::key_folder_unreadable, Severity::unknown, "key_folder",
            "cannot list the key folder: " + keys.error, {{"state", to_string(keys.state)}});
  } else {
    out.add(FindingId::key_folder_listing, Severity::ok, "key_folder",
            "key folder lists " + std::to_string(f.key_guids.size()) + " key file(s)",
            {{"key_guids", f.key_guids}});
    for (const auto& entry : keys.entries)
      if (entry.is_symlink)
        out.add(FindingId::key_folder_symlink, Severity::warning, "key_folder",
                "the key folder holds a symbolic link '" + entry.name +
                    "'; it is listed, never followed, and never counts as a key");
  }
  if (!f.server_guid.empty() && f.keys_readable && !f.server_key_on_disk)
    out.add(FindingId::key_file_missing, Severity::warning, "key_folder",
            "no key file for the server's keyGuid " + f.server_guid +
                (f.other_keys ? " (the folder holds other guids)" : ""));

  // f.gpa is the status in use: the aggregated status may have named the version and then been
  // set aside (stale or contradicted), with no status.json to stand in.
  if (f.gpa_version && f.gpa)
    out.add(FindingId::gpa_version, Severity::ok, "status_file",
            "GPA version " + f.gpa->agent_version +
                (f.era_logs_refusal_only
                     ? ": a refused acquire is only logged, never written to keyLatchStatus"
                     : ""));
  else if (f.gpa)
    out.add(FindingId::gpa_version_unknown, Severity::warning, "status_file",
            "GPA's version '" + f.gpa->agent_version +
                "' cannot be read: no era-specific inference is made");
  if (f.gpa && f.gpa->states_key_guid_zero)
    out.add(FindingId::gpa_holds_no_key, Severity::ok, "status_file",
            "states.keyGuid is the all-zero GUID: GPA (1.0.13-1.0.17) holds no key");
  if (f.inferred_refusal)
    out.add(FindingId::acquire_refused_inferred, Severity::warning, "status_file",
            "GPA " + f.gpa->agent_version + " still says '" + f.gpa->key_latch_message + "' " +
                std::to_string(static_cast<long long>(*f.uptime)) +
                " s after boot, with the channel enabled and server keyGuid " + f.server_guid +
                ": this GPA only logs a refused acquire, so the host has refused it every poll");
  else if (f.era_logs_refusal_only && f.latch_message == KeyLatchMessage::started && !f.uptime)
    out.add(FindingId::uptime_unreadable, Severity::warning, "uptime",
            "cannot tell how long GPA has polled (" + e.uptime_error +
                "), so a stuck 'started' message is not read as a refused acquire");
  if (f.in_boot_grace)
    out.add(FindingId::early_boot, Severity::ok, "uptime",
            "the VM booted " + std::to_string(static_cast<long long>(*f.uptime)) +
                " s ago (grace " +
                std::to_string(static_cast<long long>(settings.boot_grace_seconds)) +
                " s): GPA may still be starting, so absence is not a fault yet");
  if (f.method_not_allowed)
    out.add(FindingId::method_not_allowed, Severity::warning, "fabric",
            "a probe's GET was answered 405 Method Not Allowed: no GPA release refuses a GET (its "
            "method allow-list admits it), so something else in the path answered; this says "
            "nothing about GPA's rules or the key");
  out.add(FindingId::gpa_requests, Severity::ok, "fabric", probes::describe_requests(e.gpa_era),
          {{"provision_effect", to_string(e.gpa_era.provision_effect)},
           {"provision_sent", !f.provision_withheld && f.provision != nullptr}});
  if (f.status_torn)
    out.add(FindingId::status_file_torn, Severity::ok, "status_file",
            "status.json was cut short on every read (" + e.status_file.error +
                "): GPA up to 1.0.23 rewrites it in place; it is alive and writing, and this "
                "read is not evidence");
  if (f.rule_item_rejected)
    out.add(FindingId::status_rule_item_without_id, Severity::unknown, "wireserver_status",
            "WireServer's status has rule item(s) without id (" + e.cycle.status->items_without_id +
                "): GPA " + (f.era.version ? "of this version" : "from 1.0.15 on") +
                " rejects the whole body, so it cannot use it either");
  else if (e.cycle.status && !e.cycle.status->items_without_id.empty())
    out.add(FindingId::status_rule_item_without_id, Severity::ok, "wireserver_status",
            "rule item(s) without id (" + e.cycle.status->items_without_id + "): GPA " +
                (f.gpa ? f.gpa->agent_version : std::string()) +
                " has no such field and accepts the body");

  const auto& sf = e.status_file;
  if (!f.gpa_status_from_endpoint && sf.state == ReadState::missing) {
    out.add(FindingId::status_file_missing, Severity::warning, "status_file",
            "GPA status file missing");
  } else if (!f.gpa) {
    out.add(FindingId::status_file_unreadable, Severity::unknown, "status_file",
            "cannot read GPA's status file: " + sf.error, {{"state", to_string(sf.state)}});
  } else {
    const auto& s = *f.gpa;
    if (!f.status_file_fresh && sf.age_seconds < 0)
      out.add(FindingId::status_file_from_the_future, Severity::warning, "status_file",
              "GPA's status file is dated " +
                  std::to_string(static_cast<long long>(-sf.age_seconds)) +
                  " s ahead of the local clock: did the clock jump back?");
    else if (!f.status_file_fresh)
      out.add(FindingId::status_file_stale, Severity::warning, "status_file",
              "GPA's status file is " + std::to_string(static_cast<long long>(sf.age_seconds)) +
                  " s old (stale after " +
                  std::to_string(static_cast<long long>(f.stale_after_seconds)) +
                  " s): GPA may not be running");
    out.add_family(std::string("key_latch_") + to_string(s.key_latch_class),
                   s.key_latch_class == KeyLatchMessage::ready ||
                           s.key_latch_class == KeyLatchMessage::disabled ||
                           s.key_latch_class == KeyLatchMessage::key_status_received
                       ? Severity::ok
                       : Severity::warning,
                   "status_file", "keyLatchStatus: " + s.key_latch_message,
                   {{"status", s.key_latch_status},
                    {"gpa_key_guid",
                     f.gpa_guid.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.gpa_guid)}});
    if (f.ebpf_not_running)
      out.add(FindingId::ebpf_not_running, Severity::critical, "status_file",
              "ebpfProgramStatus is " + s.ebpf_status + ": " + s.ebpf_message);
    if (s.unauthorized_count > 0)
      out.add(FindingId::gpa_saw_401, Severity::warning, "status_file",
              "GPA's connection summary counts " + std::to_string(s.unauthorized_count) +
                  " response(s) 401 Unauthorized");
  }
  if (!f.gpa_installed)
    out.add(FindingId::gpa_not_found, Severity::warning, "gpa_presence",
            "no trace of the Guest Proxy Agent: no unit file, binary, process, status file or "
            "listener");
  // GPA answers finished:true to a request without x-ms-azure-time-tick (latchwatch never
  // sends one: proxy_server.rs compares finished_time_tick >= 0), so only errorMessage informs.
  if (f.provision && f.provision->outcome == Outcome::ok && e.cycle.provision &&
      (!e.cycle.provision->finished || !trim(e.cycle.provision->error_message).empty()))
    out.add(FindingId::gpa_not_provisioned, Severity::warning, "gpa_provision",
            "GPA reports modules not ready: " + trim(e.cycle.provision->error_message));
  if (!e.smbios_error.empty())
    out.add(FindingId::smbios_unreadable, Severity::warning, "smbios", e.smbios_error);
  if (e.cache.state == CacheState::corrupt || e.cache.state == CacheState::unreadable)
    out.add(FindingId::identity_cache_unusable, Severity::warning, "identity_cache",
            "identity cache ignored: " + e.cache.error);
  if (f.upstream_401 > 0)
    out.add(FindingId::fabric_unauthorized, Severity::warning, "fabric",
            std::to_string(f.upstream_401) + " fabric probe(s) answered 401 Unauthorized (" +
                std::to_string(f.upstream_401_via_gpa) + " through GPA)");
  if (f.skew_seconds && std::fabs(*f.skew_seconds) > settings.clock_skew_threshold_seconds)
    out.add(FindingId::clock_skew, Severity::warning, "fabric",
            "the fabric's clock is " + std::to_string(static_cast<long long>(*f.skew_seconds)) +
                " s from this VM's",
            {{"skew_seconds", *f.skew_seconds}});
  if (!e.running_as_root && f.ws_unreachable)
    out.add(FindingId::probes_not_root, Severity::unknown, "wireserver_status",
            "latchwatch runs unprivileged: the VM agent's firewall rule (WALinuxAgent's; the "
            "Windows guest agent's) drops unprivileged connections to WireServer, so "
            "'unreachable' may mean 'blocked locally'. Run as root (on Windows as an "
            "administrator or the LocalSystem service).");
}

}  // namespace latchwatch::diagnosis::detail
