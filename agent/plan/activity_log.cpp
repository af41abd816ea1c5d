// The activity log's word on why a key was lost: which Succeeded operation on the resource came
// shortly before the loss was first reported.

#include "agent/plan/activity_log.h"

#include <algorithm>

#include "agent/plan/json_cursor.h"
#include "agent/plan/resource_text.h"
#include "probes/base/json_limits.h"

namespace latchwatch::plan {
namespace {

using Scope = ActivityOperation::Scope;

/// The operations that change what a VM boots from or where it runs, as operationName.value
/// spells them in the activity log (Azure RBAC "resource provider operations", Microsoft.Compute
/// and Microsoft.RecoveryServices). Compared case-insensitively: the log has both "reimageAll"
/// and "reimageall" spellings.
struct KnownOperation {
  const char* name;  // lower case
  const char* kind;
  const char* text;
  Scope scope;
  bool needs_os_disk_request;  // a model write counts only when its request names the OS disk
};

constexpr KnownOperation kOperations[] = {
    {"microsoft.compute/virtualmachines/reimage/action", "reimage", "reimage", Scope::resource,
     false},
    {"microsoft.compute/virtualmachines/redeploy/action", "redeploy", "redeploy to a new host",
     Scope::resource, false},
    {"microsoft.compute/virtualmachines/performmaintenance/action", "maintenance",
     "maintenance redeploy", Scope::resource, false},
    {"microsoft.compute/virtualmachines/write", "os_disk",
     "OS-disk change (swap, repair restore, attach)", Scope::resource, true},
    {"microsoft.compute/virtualmachinescalesets/virtualmachines/reimage/action", "reimage",
     "reimage", Scope::resource, false},
    {"microsoft.compute/virtualmachinescalesets/virtualmachines/reimageall/action", "reimage",
     "reimage of all disks", Scope::resource, false},
    {"microsoft.compute/virtualmachinescalesets/virtualmachines/redeploy/action", "redeploy",
     "redeploy to a new host", Scope::resource, false},
    {"microsoft.compute/virtualmachinescalesets/virtualmachines/performmaintenance/action",
     "maintenance", "maintenance redeploy", Scope::resource, false},
    {"microsoft.compute/virtualmachinescalesets/virtualmachines/write", "os_disk",
     "OS-disk change (swap, repair restore, attach)", Scope::resource, true},
    {"microsoft.compute/virtualmachinescalesets/reimage/action", "reimage",
     "reimage of the scale set's instances", Scope::scale_set, false},
    {"microsoft.compute/virtualmachinescalesets/reimageall/action", "reimage",
     "reimage of all disks of the scale set's instances", Scope::scale_set, false},
    {"microsoft.compute/virtualmachinescalesets/redeploy/action", "redeploy",
     "redeploy of the scale set's instances", Scope::scale_set, false},
    {"microsoft.compute/virtualmachinescalesets/performmaintenance/action", "maintenance",
     "maintenance redeploy of the scale set's instances", Scope::scale_set, false},
    {"microsoft.compute/virtualmachinescalesets/manualupgrade/action", "upgrade",
     "upgrade of instances to the latest model", Scope::scale_set, false},
    {"microsoft.compute/virtualmachinescalesets/osrollingupgrade/action", "upgrade",
     "OS image rolling upgrade (reimages instances)", Scope::scale_set, false},
    {"microsoft.recoveryservices/vaults/backupfabrics/protectioncontainers/protecteditems/"
     "recoverypoints/restore/action",
     "restore", "Azure Backup restore", Scope::backup, false},
};

const KnownOperation* known_operation(const std::string& name) {
  const std::string lower = ascii_lower(name);
  for (const auto& op : kOperations)
    if (lower == op.name) return &op;
  return nullptr;
}

/// The value of `properties.requestbody` (a string holding the request's JSON), any key case.
const nlohmann::json* request_body(const JsonCursor& event) {
  const nlohmann::json* properties = event["properties"].raw();
  if (!properties || !properties->is_object()) return nullptr;
  for (auto it = properties->begin(); it != properties->end(); ++it)
    if (ascii_lower(it.key()) == "requestbody" && it->is_string()) return &*it;
  return nullptr;
}

/// True when the model write's request sets storageProfile.osDisk (a swap, `az vm repair
/// restore`, a VM created on an attached disk). A write that only tags or resets the key does not.
bool names_os_disk(const nlohmann::json& body_text) {
  std::string error;
  auto body = probes::parse_untrusted_json(body_text.get_ref<const std::string&>(), error);
  if (!error.empty() || !body.is_object()) return false;
  auto properties = body.find("properties");
  if (properties == body.end() || !properties->is_object()) return false;
  auto storage = properties->find("storageProfile");
  if (storage == properties->end() || !storage->is_object()) return false;
  auto os_disk = storage->find("osDisk");
  return os_disk != storage->end() && os_disk->is_object() && !os_disk->empty();
}

/// "SUB/RG/VM" (lower case) from an Azure Backup item: ".../protectedItems/VM;iaasvmcontainerv2;
/// RG;VM/..." under /subscriptions/SUB. Empty when the id is not of that form.
std::string backup_item_key(const std::string& resource_id) {
  const std::string lower = ascii_lower(resource_id);
  const std::string sub_prefix = "/subscriptions/";
  if (lower.rfind(sub_prefix, 0) != 0) return {};
  std::string sub =
      lower.substr(sub_prefix.size(), lower.find('/', sub_prefix.size()) - sub_prefix.size());
  auto at = lower.find("/protecteditems/");
  if (at == std::string::npos) return {};
  at += 16;
  std::string item = lower.substr(at, lower.find('/', at) - at);
  // "vm;iaasvmcontainerv2;rg;name" (and the classic "vm;iaasvmcontainer;rg;name").
  std::vector<std::string> parts;
  for (std::size_t start = 0;;) {
    auto semi = item.find(';', start);
    parts.push_back(item.substr(start, semi - start));
    if (semi == std::string::npos) break;
    start = semi + 1;
  }
  if (parts.size() != 4 || parts[0] != "vm" || parts[2].empty() || parts[3].empty()) return {};
  return sub + "/" + parts[2] + "/" + parts[3];
}

std::string vm_backup_key(const std::string& resource_id) {
  // "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/NAME"
  const std::string lower = ascii_lower(resource_id);
  const std::string sub_prefix = "/subscriptions/";
  if (lower.rfind(sub_prefix, 0) != 0) return {};
  auto sub_end = lower.find('/', sub_prefix.size());
  auto rg_at = lower.find("/resourcegroups/");
  if (sub_end == std::string::npos || rg_at == std::string::npos) return {};
  rg_at += 16;
  std::string rg = lower.substr(rg_at, lower.find('/', rg_at) - rg_at);
  return lower.substr(sub_prefix.size(), sub_end - sub_prefix.size()) + "/" + rg + "/" +
         ascii_lower(last_segment(resource_id));
}

std::string trimmed_id(std::string id) {
  while (!id.empty() && id.back() == '/') id.pop_back();
  return id;
}

void read_event(const JsonCursor& event, const std::string& origin, InputErrors& errors,
                ActivityLog& log) {
  auto fail = [&] { ++log.malformed; };
  if (!event.exists()) {
    errors.add(event.path(), "expected an object, found null");
    return fail();
  }
  if (!event.expect_object(errors)) return fail();
  auto operation = event.at_path("operationName.value").required_text(errors);
  auto timestamp = event["eventTimestamp"].required_text(errors);
  if (!operation || !timestamp) return fail();
  auto time_ms = parse_iso8601_utc_ms(*timestamp);
  if (!time_ms) {
    errors.add(event["eventTimestamp"].path(), "not an ISO 8601 UTC time");
    return fail();
  }
  const KnownOperation* known = known_operation(*operation);
  if (!known) {
    ++log.other_events;
    return;
  }
  auto status = event.at_path("status.value").required_text(errors);
  auto resource_id = event["resourceId"].required_text(errors);
  auto caller = event["caller"].text(errors);
  auto correlation = event["correlationId"].text(errors);
  // A caller or correlation id of the wrong type is a malformed event, not an anonymous one.
  const bool bad_optional =
      (event["caller"].exists() && !caller) || (event["correlationId"].exists() && !correlation);
  if (!status || !resource_id || bad_optional) return fail();
  if (resource_id->empty() || resource_id->size() > 2048) {
    errors.add(event["resourceId"].path(), "not a resource id (empty or over 2048 characters)");
    return fail();
  }
  if (known->needs_os_disk_request) {
    // Any event of the write (its "Started" one carries the request) may hold the body.
    const nlohmann::json* body = request_body(event);
    if (body && names_os_disk(*body) && correlation && !correlation->empty())
      log.os_disk_requests.insert(ascii_lower(*correlation));
  }
  if (ascii_lower(*status) != "succeeded") {
    if (ascii_lower(*status) != "started") ++log.not_succeeded;  // Started: the same operation
    return;
  }
  ActivityOperation op;
  op.origin = origin;
  op.kind = known->kind;
  op.kind_text = known->text;
  op.operation = probes::sanitize_text(*operation, 300);
  op.resource_id = probes::sanitize_text(trimmed_id(*resource_id), 2048);
  op.scope = known->scope;
  op.match_key =
      known->scope == Scope::backup ? backup_item_key(op.resource_id) : ascii_lower(op.resource_id);
  if (op.match_key.empty()) {
    ++log.other_events;  // a restore of something else (a file share, a database in a VM)
    return;
  }
  op.time_ms = *time_ms;
  op.time = probes::sanitize_text(*timestamp, 64);
  op.caller = caller ? probes::sanitize_text(*caller, 256) : std::string();
  op.correlation_id = correlation ? probes::sanitize_text(*correlation, 100) : std::string();
  op.needs_os_disk_request = known->needs_os_disk_request;
  if (op.needs_os_disk_request) {
    // The rare write whose end event carries its own request body.
    const nlohmann::json* body = request_body(event);
    if (body && names_os_disk(*body)) op.needs_os_disk_request = false;
  }
  log.operations.push_back(std::move(op));
}

bool matches(const ActivityOperation& op, const PlannedReset& r) {
  switch (op.scope) {
    case Scope::resource:
      return op.match_key == ascii_lower(r.resource_id);
    case Scope::scale_set:
      return !r.scale_set_id.empty() && op.match_key == ascii_lower(r.scale_set_id);
    case Scope::backup:
      return r.scale_set_id.empty() && op.match_key == vm_backup_key(r.resource_id);
  }
  return false;
}

std::string hours_text(std::int64_t seconds) {
  if (seconds % 86400 == 0 && seconds >= 2 * 86400) return std::to_string(seconds / 86400) + " d";
  if (seconds % 3600 == 0) return std::to_string(seconds / 3600) + " h";
  return std::to_string(seconds / 60) + " min";
}

ActivityCause cause_for(const PlannedReset& r, const ActivityLog& log,
                        std::int64_t window_seconds) {
  ActivityCause cause;
  if (r.first_reported_ms <= 0) {
    cause.note = "the report's time is unknown, so no window can be placed";
    return cause;
  }
  const std::int64_t loss = r.first_reported_ms;
  const std::int64_t from = loss - window_seconds * 1000;
  const ActivityOperation* best = nullptr;
  int found = 0;
  for (const auto& op : log.operations) {
    if (op.time_ms < from || op.time_ms > loss + kActivityClockSkewMs || !matches(op, r) ||
        !explains_loss(op, log))
      continue;
    ++found;
    // The latest operation before the loss is the likeliest cause.
    if (!best || op.time_ms > best->time_ms) best = &op;
  }
  if (!best) {
    cause.note =
        "no Succeeded reimage, restore, OS-disk change, redeploy, maintenance or "
        "upgrade on this resource in the " +
        hours_text(window_seconds) + " before the loss was first reported (" + r.first_reported_at +
        "): look closer before resetting (who else could change its key or disk?)";
    return cause;
  }
  cause.explained = true;
  cause.kind = best->kind;
  cause.kind_text = best->kind_text;
  cause.operation = best->operation;
  cause.resource_id = best->resource_id;
  cause.time = best->time;
  cause.caller = best->caller;
  cause.correlation_id = best->correlation_id;
  cause.origin = best->origin;
  cause.before_loss_seconds = (loss - best->time_ms) / 1000;
  cause.other_candidates = found - 1;
  if (best->scope == Scope::scale_set)
    cause.note = "an operation on the whole scale set: check that it included this instance";
  else if (best->scope == Scope::backup)
    cause.note = "an Azure Backup restore of this VM's protected item (replace disks or new VM)";
  return cause;
}

}  // namespace

bool explains_loss(const ActivityOperation& op, const ActivityLog& log) {
  return !op.needs_os_disk_request || log.os_disk_requests.count(ascii_lower(op.correlation_id));
}

bool read_activity_log(const std::string& file_name, const std::string& text, ActivityLog& log,
                       std::vector<std::string>& errors) {
  std::string parse_error;
  nlohmann::json doc = probes::parse_untrusted_json(text, parse_error);
  if (!parse_error.empty()) {
    errors.push_back(file_name + ": " + parse_error);
    return false;
  }
  JsonCursor root(&doc, "");
  // az prints the array; the REST page (az rest, the SDKs) wraps it in "value".
  JsonCursor events = doc.is_object() && doc.contains("value") ? root["value"] : root;
  if (!events.raw() || !events.raw()->is_array()) {
    errors.push_back(file_name +
                     ": not an activity-log export: expected the JSON array that "
                     "'az monitor activity-log list' prints, found " +
                     std::string(events.raw() ? json_kind(*events.raw()) : json_kind(doc)));
    return false;
  }
  InputErrors file_errors(file_name);
  const auto& array = *events.raw();
  for (std::size_t i = 0; i < array.size(); ++i) {
    std::string path = events.path() + "[" + std::to_string(i) + "]";
    ++log.events_read;
    read_event(JsonCursor(&array[i], path), file_name + path, file_errors, log);
  }
  errors.insert(errors.end(), file_errors.items().begin(), file_errors.items().end());
  return true;
}

void explain_resets(ResetPlan& plan, const ActivityLog& log, std::int64_t window_seconds) {
  plan.activity_checked = true;
  plan.activity_window_seconds = window_seconds;
  for (auto& r : plan.vms) r.cause = cause_for(r, log, window_seconds);
  for (auto& s : plan.scale_sets)
    for (auto& r : s.instances) r.cause = cause_for(r, log, window_seconds);
}

std::optional<std::int64_t> parse_activity_window(const std::string& text) {
  if (text.size() < 2 || text.size() > 6) return std::nullopt;
  std::int64_t n = 0;
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    n = n * 10 + (text[i] - '0');
  }
  std::int64_t unit = text.back() == 'm'   ? 60
                      : text.back() == 'h' ? 3600
                      : text.back() == 'd' ? 86400
                                           : 0;
  if (unit == 0) return std::nullopt;
  std::int64_t seconds = n * unit;
  if (seconds < 60 || seconds > 90 * 86400) return std::nullopt;
  return seconds;
}

nlohmann::json activity_cause_json(const ActivityCause& c) {
  nlohmann::json j = {{"explained", c.explained}};
  if (c.explained) {
    j["kind"] = c.kind;
    j["kind_text"] = c.kind_text;
    j["operation"] = c.operation;
    j["resource_id"] = c.resource_id;
    j["time"] = c.time;
    j["caller"] = c.caller;
    j["correlation_id"] = c.correlation_id;
    j["event"] = c.origin;
    j["before_loss_seconds"] = c.before_loss_seconds;
    j["other_candidates"] = c.other_candidates;
  }
  if (!c.note.empty()) j["note"] = c.note;
  return j;
}

nlohmann::json activity_log_document(const ActivityLog& log, const std::vector<std::string>& files,
                                     std::int64_t window_seconds) {
  return {{"files", files},
          {"window_seconds", window_seconds},
          {"clock_skew_seconds", kActivityClockSkewMs / 1000},
          {"events_read", log.events_read},
          {"explaining_operations",
           std::count_if(log.operations.begin(), log.operations.end(),
                         [&](const ActivityOperation& op) { return explains_loss(op, log); })},
          {"not_succeeded", log.not_succeeded},
          {"other_events", log.other_events},
          {"malformed", log.malformed}};
}

}  // namespace latchwatch::plan
