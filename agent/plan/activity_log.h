#pragma once
/// The owner's Azure activity log as a `plan resets` input (`--activity-log FILE`): what
/// `az monitor activity-log list` prints, a JSON array of EventData (Azure/azure-rest-api-specs
/// specification/monitor/resource-manager/Microsoft.Insights/stable/2015-04-01/activityLogs_API.json;
/// the az command's AAZ output keeps the REST names: eventTimestamp, operationName{value,
/// localizedValue}, resourceId, caller, status{value}, correlationId, properties, ...). The REST
/// page itself (`{"value": [...], "nextLink": ...}`, e.g. from `az rest`) is read too.
///
/// Each planned reset is then *explained* by the Succeeded operation that changes what a VM boots
/// from or where it runs (reimage, restore, OS-disk change, redeploy, maintenance, upgrade; the
/// table is docs/fleet-plans.md "Why was the key lost?") on that resource, its scale set or its
/// Azure Backup item, within a window before the loss was first reported; or *unexplained*.
///
/// The log is untrusted: a file that is not JSON or not an array of events is refused whole; an
/// event that is not of the shape is an error naming FILE[i] and field, and is skipped. Values
/// kept (caller, resource id, ...) are sanitised text; they are shown escaped and never reach a
/// printed command.

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "agent/plan/reset_plan.h"

namespace latchwatch::plan {

/// One Succeeded operation that can explain a key loss.
struct ActivityOperation {
  enum class Scope {
    resource,   ///< the event's resourceId is the VM or the Uniform instance
    scale_set,  ///< the event's resourceId is the scale set: its instances
    backup,     ///< an Azure Backup restore: the protected item names the VM's group and name
  };
  std::string origin;  ///< "activity.json[3]"
  std::string kind;
  std::string kind_text;
  std::string operation;    ///< operationName.value as in the log
  std::string resource_id;  ///< as in the log
  Scope scope = Scope::resource;
  std::string match_key;  ///< lower case: the id, or "SUB/RG/VM" for a backup item
  std::int64_t time_ms = 0;
  std::string time;
  std::string caller;
  std::string correlation_id;
  /// A model write explains a loss only when its request set storageProfile.osDisk; the body
  /// rides on the operation's "Started" event, found by correlationId.
  bool needs_os_disk_request = false;
};

struct ActivityLog {
  std::vector<ActivityOperation> operations;
  /// Lower-cased correlation ids of model writes whose request body sets storageProfile.osDisk.
  std::set<std::string> os_disk_requests;
  int events_read = 0;
  int not_succeeded = 0;  ///< explaining operations whose status was not Succeeded
  int other_events = 0;   ///< operations that explain no key loss
  int malformed = 0;      ///< events skipped with an error
};

/// True when `op` can explain a loss: any listed operation, a model write only with its request
/// naming the OS disk.
bool explains_loss(const ActivityOperation& op, const ActivityLog& log);

/// Reads one export into `log`. Returns false (with one error in `errors`) when the file is
/// refused whole: not JSON, nested too deep, not an array of events. Bad events add errors
/// ("FILE: [3].eventTimestamp: ...") and are skipped.
bool read_activity_log(const std::string& file_name, const std::string& text, ActivityLog& log,
                       std::vector<std::string>& errors);

/// After the loss an operation may still appear this late (the VM's clock against ARM's).
constexpr std::int64_t kActivityClockSkewMs = 10 * 60 * 1000;

/// Gives every planned reset its cause: the latest explaining operation in
/// [first reported − window, first reported + kActivityClockSkewMs]. Sets plan.activity_checked.
void explain_resets(ResetPlan& plan, const ActivityLog& log, std::int64_t window_seconds);

/// "24h", "90m", "2d": a window of 1 minute to 90 days (the activity log keeps 90 days). nullopt
/// for anything else.
std::optional<std::int64_t> parse_activity_window(const std::string& text);

nlohmann::json activity_cause_json(const ActivityCause& cause);
nlohmann::json activity_log_document(const ActivityLog& log, const std::vector<std::string>& files,
                                     std::int64_t window_seconds);

}  // namespace latchwatch::plan
