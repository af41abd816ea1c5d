#pragma once
/// The verdict catalogue of the domain brief §6: codes, severities, exit codes, and what each
/// means for the owner. Written once, as data; `explain`, the reports and the tests read it.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace latchwatch {

/// Monitoring-plugin convention: the enumerator's value is the exit code.
enum class Severity { ok = 0, warning = 1, critical = 2, unknown = 3 };
const char* to_string(Severity s);
int exit_code(Severity s);

enum class VerdictCode {
  healthy,
  secure_channel_disabled,
  latching_in_progress,
  gpa_not_installed,
  gpa_down,
  redirect_failure,
  wireserver_unreachable,
  imds_unreachable,
  key_lost,
  key_mismatch,
  key_suspect_mismatch,
  key_loss_latent,
  reset_pending,
  access_denied_by_rules,
  imds_throttled,
  key_store_unwritable,
  clock_skew,
  unknown,
};

struct VerdictInfo {
  VerdictCode code;
  const char* name;
  Severity severity;
  const char* meaning;       ///< one line: what is wrong
  const char* evidence;      ///< what latchwatch saw to say so
  const char* owner_action;  ///< what the owner does about it
  bool needs_key_reset;      ///< the owner must raise keyIncarnationId (now or as planned work)
};

/// Every verdict, in the catalogue's order.
const std::vector<VerdictInfo>& verdict_catalogue();
const VerdictInfo& info(VerdictCode code);
const char* to_string(VerdictCode code);
std::optional<VerdictCode> verdict_from_string(std::string_view name);

/// Who acts on a verdict: "owner" (the Azure resource's owner, from outside the VM: a key
/// reset, the extension, the rules), "operator" (whoever runs the VM, inside it: restart GPA,
/// fix the network, wait) or "none".
const char* action_by(VerdictCode code);

/// Key verdicts (`key_*`): these need persistence across daemon cycles before they fire.
bool is_key_verdict(VerdictCode code);

}  // namespace latchwatch
