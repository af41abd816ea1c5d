#include "probes/payloads/gpa_era.h"

namespace latchwatch::probes {

const char* to_string(ProvisionEffect e) {
  switch (e) {
    case ProvisionEffect::misdirected_warning_event:
      return "misdirected_warning_event";
    case ProvisionEffect::postpones_key_poll:
      return "postpones_key_poll";
    case ProvisionEffect::resets_provision_state:
      return "resets_provision_state";
    case ProvisionEffect::none_with_time_tick:
      return "none_with_time_tick";
  }
  return "unknown";
}

GpaEra gpa_era(const std::optional<GpaVersion>& version) {
  GpaEra era;  // the defaults are the unknown version's: safe on every release
  era.version = version;
  // A version before the first release (a mock's "1.0") or of another major line is not a GPA
  // release whose behaviour is known: it is treated as unknown.
  if (!version || !version->at_least(1, 0, 13) || !version->at_most(1, 0, 999999)) {
    era.version.reset();
    return era;
  }
  const auto& v = *version;
  if (v.at_most(1, 0, 20))
    era.provision_effect = ProvisionEffect::misdirected_warning_event;
  else if (v.at_most(1, 0, 21))
    era.provision_effect = ProvisionEffect::postpones_key_poll;
  else if (v.at_most(1, 0, 25))
    era.provision_effect = ProvisionEffect::resets_provision_state;
  else
    era.provision_effect = ProvisionEffect::none_with_time_tick;
  if (v.at_least(1, 0, 37))
    era.time_tick_header = "x-ms-azure-time-tick";
  else if (v.at_least(1, 0, 26))
    era.time_tick_header = "x-ms-azure-time_tick";
  era.send_provision = era.provision_effect == ProvisionEffect::none_with_time_tick;
  era.send_aggregated_status = v.at_least(1, 0, 47);
  era.status_rewrite_seconds = v.at_most(1, 0, 13) ? 300 : 60;
  era.status_rewritten_in_place = v.at_most(1, 0, 23);
  era.hostga_mode_from_hostga_item = v.at_least(1, 0, 26) && v.at_most(1, 0, 27);
  era.hostga_rule_id_from_wireserver_item = v.at_least(1, 0, 39);
  era.rule_item_id_required = v.at_least(1, 0, 15);
  era.has_hostga = v.at_least(1, 0, 26);
  return era;
}

std::string describe_requests(const GpaEra& era) {
  if (!era.version)
    return "GPA's version is unknown: GET /provision is not sent (on GPA 1.0.21-1.0.25 it wakes "
           "GPA's key keeper and can leave GPA unprovisioned, and up to 1.0.20 it earns a warning "
           "event); only requests harmless on every GPA are sent";
  switch (era.provision_effect) {
    case ProvisionEffect::misdirected_warning_event:
      return "GPA up to 1.0.20 has no /provision (a request earns a 421 and a warning event): "
             "not sent";
    case ProvisionEffect::postpones_key_poll:
      return "GPA 1.0.21 wakes its key keeper on every GET /provision and restarts its poll "
             "wait: not sent";
    case ProvisionEffect::resets_provision_state:
      return "GPA 1.0.22-1.0.25 wakes its key keeper on every GET /provision, which resets its "
             "provision state while the channel is disabled: not sent";
    case ProvisionEffect::none_with_time_tick:
      return "GET /provision is sent with " + era.time_tick_header +
             ": 0 and never x-ms-azure-notify (no effect on this GPA)";
  }
  return {};
}

}  // namespace latchwatch::probes
