// The reset plan as a page people look at: one table per subscription and scale set.

#include "agent/plan/reset_plan_html.h"

#include <map>

#include "agent/plan/json_cursor.h"
#include "agent/plan/resource_text.h"

namespace latchwatch::plan {
namespace {

constexpr const char* kStyle = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1b1b1b;background:#fff}
h1{font-size:1.5em}h2{margin-top:1.6em;border-bottom:1px solid #ccc}h3{margin-top:1.2em}
table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{border:1px solid #d0d0d0;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f2f2f2}tr.critical td:first-child{border-left:4px solid #b00020}
tr.planned td:first-child{border-left:4px solid #c77700}
pre.cmd{margin:0;padding:.3em;background:#f6f8fa;white-space:pre-wrap;word-break:break-all;
user-select:all;-webkit-user-select:all;cursor:text}
.flag{color:#8a4b00}.muted{color:#666}.summary span{margin-right:1.2em}
.attention{background:#fff4e5;border:1px solid #c77700;padding:.5em}
.cause{overflow-wrap:anywhere}.explained{color:#1b5e20}.unexplained{color:#b00020;font-weight:bold}
)";

std::string esc(std::string_view text) { return html_escape(text); }

std::string cmd(const std::string& command) {
  return command.empty() ? std::string() : "<pre class=\"cmd\">" + esc(command) + "</pre>";
}

std::string subscription_of(const std::string& resource_id) {
  // "/subscriptions/{S}/..."
  const std::string prefix = "/subscriptions/";
  if (ascii_lower(resource_id.substr(0, prefix.size())) != prefix) return "?";
  auto end = resource_id.find('/', prefix.size());
  return resource_id.substr(prefix.size(), end == std::string::npos ? end : end - prefix.size());
}

std::string group_of(const std::string& resource_id) {
  auto lower = ascii_lower(resource_id);
  auto at = lower.find("/resourcegroups/");
  if (at == std::string::npos) return "?";
  at += 16;
  auto end = resource_id.find('/', at);
  return resource_id.substr(at, end == std::string::npos ? end : end - at);
}

std::string incarnation_cells(const latchwatch::Remedy& remedy) {
  std::string current =
      remedy.current_incarnation ? std::to_string(*remedy.current_incarnation) : "?";
  std::string next =
      remedy.next_incarnation ? std::to_string(*remedy.next_incarnation) : "current + 1";
  return "<td>" + esc(current) + "</td><td><b>" + esc(next) + "</b></td>";
}

std::string msp_cell(const std::string& resource_id, const InventoryUse* use) {
  if (!use) return {};
  auto found = use->by_resource.find(ascii_lower(resource_id));
  return "<td>" +
         esc(found == use->by_resource.end() ? "not in export" : found->second->msp_text()) +
         "</td>";
}

/// The activity log's values are untrusted: each one escaped as text.
std::string cause_html(const ActivityCause& c) {
  if (!c.explained)
    return "<div class=\"cause unexplained\">unexplained: " + esc(c.note) + "</div>";
  std::string out = "<div class=\"cause explained\">explained: " + esc(c.kind_text) + " <code>" +
                    esc(c.operation) + "</code> at " + esc(c.time) + " by <b>" +
                    esc(c.caller.empty() ? "?" : c.caller) + "</b>";
  if (c.other_candidates > 0) out += " (+" + std::to_string(c.other_candidates) + " more)";
  out += "<br><span class=\"muted\">" + esc(c.resource_id) + ", correlationId " +
         esc(c.correlation_id) + ", " + esc(c.origin) + "</span>";
  if (!c.note.empty()) out += "<br>" + esc(c.note);
  return out + "</div>";
}

std::string reset_row(const PlannedReset& r, const std::string& label, const InventoryUse* use) {
  std::string out = "<tr class=\"" + std::string(r.remedy.planned ? "planned" : "critical") + "\">";
  out += "<td>" + esc(label) + "</td><td>" + esc(r.verdict_code) + "</td>" +
         incarnation_cells(r.remedy);
  out += msp_cell(r.resource_id, use);
  out += "<td>" + esc(r.host.empty() ? "?" : r.host) + "<br><span class=\"muted\">" +
         esc(r.generated_at) + "<br>" + esc(r.origin) + "</span></td><td>";
  for (const auto& flag : r.flags) out += "<div class=\"flag\">! " + esc(flag) + "</div>";
  if (r.cause) out += cause_html(*r.cause);
  out += cmd(r.remedy.az_command);
  if (!r.remedy.read_incarnation_command.empty())
    out += "<div class=\"muted\">read the current value first:</div>" +
           cmd(r.remedy.read_incarnation_command);
  if (!r.remedy.powershell_command.empty() || !r.remedy.notes.empty() ||
      !r.remedy.confirm.empty()) {
    out += "<details><summary>PowerShell, notes, confirming</summary>" +
           cmd(r.remedy.powershell_command);
    for (const auto& note : r.remedy.notes) out += "<p>" + esc(note) + "</p>";
    if (!r.remedy.confirm.empty()) out += "<p>Confirm:</p>" + cmd(r.remedy.confirm);
    out += "</details>";
  }
  return out + "</td></tr>\n";
}

std::string reset_table_head(const std::string& first, bool with_msp) {
  return "<table><thead><tr><th>" + esc(first) +
         "</th><th>verdict</th><th>keyIncarnationId now</th><th>set to</th>" +
         (with_msp ? "<th>MSP (Resource Graph)</th>" : "") +
         "<th>reported by</th><th>command</th></tr></thead><tbody>\n";
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string reset_plan_html(const ResetPlan& plan, const Inventory* inventory,
                            const InventoryUse* use) {
  const bool msp = use != nullptr;
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
      "'unsafe-inline'\">\n"
      "<title>latchwatch key-reset plan</title><style>" +
      std::string(kStyle) + "</style></head><body>\n";
  std::size_t instances = 0;
  for (const auto& s : plan.scale_sets) instances += s.instances.size();
  out += "<h1>Key resets: " + std::to_string(plan.reset_count()) +
         "</h1>\n<p class=\"summary\" id=\"summary\">";
  auto count_span = [&](const char* id, const std::string& label, std::size_t n) {
    out += "<span id=\"" + std::string(id) + "\">" + esc(label) + ": <b>" + std::to_string(n) +
           "</b></span>";
  };
  count_span("n-reports", "reports read", static_cast<std::size_t>(plan.reports_read));
  count_span("n-vms", "VMs", plan.vms.size());
  count_span("n-instances", "scale-set instances", instances);
  count_span("n-unidentified", "to identify", plan.unidentified.size());
  count_span("n-skipped", "skipped", plan.skipped.size());
  count_span("n-conflicts", "conflicts", plan.conflicts.size());
  count_span("n-errors", "input errors", plan.input_errors.size());
  if (plan.activity_checked) count_span("n-unexplained", "unexplained", plan.unexplained_count());
  out +=
      "</p>\n<p>Run from outside the VMs, as the owner; latchwatch performs none of this. Raise "
      "only: ARM rejects a value that is not larger, and the largest value wins. A template "
      "(Terraform, Bicep) that pins keyIncarnationId must be raised too. Click a command to "
      "select it.</p>\n";
  if (plan.needs_attention())
    out +=
        "<p class=\"attention\">Needs a person: see the machines to identify, the conflicts, "
        "the unexplained key losses or the input errors below.</p>\n";

  // One section per subscription: its standalone VMs, then each scale set.
  std::map<std::string,
           std::pair<std::vector<const PlannedReset*>, std::vector<const ScaleSetPlan*>>>
      subs;
  for (const auto& r : plan.vms) subs[subscription_of(r.resource_id)].first.push_back(&r);
  for (const auto& s : plan.scale_sets) subs[subscription_of(s.scale_set_id)].second.push_back(&s);
  for (const auto& [sub, content] : subs) {
    out += "<section class=\"subscription\"><h2>Subscription " + esc(sub) + "</h2>\n";
    if (!content.first.empty()) {
      out += "<h3>VMs (" + std::to_string(content.first.size()) + ")</h3>\n" +
             reset_table_head("VM (resource group)", msp);
      for (const auto* r : content.first)
        out += reset_row(*r, last_segment(r->resource_id) + " (" + group_of(r->resource_id) + ")",
                         use);
      out += "</tbody></table>\n";
    }
    for (const auto* s : content.second) {
      out += "<h3>Scale set " + esc(last_segment(s->scale_set_id)) + " (" +
             esc(group_of(s->scale_set_id)) + "): " + std::to_string(s->instances.size()) +
             " instances, reset one by one</h3>\n" + reset_table_head("instance", msp);
      for (const auto& r : s->instances) out += reset_row(r, r.instance_id, use);
      out += "</tbody></table>\n";
    }
    out += "</section>\n";
  }

  if (!plan.unidentified.empty()) {
    out +=
        "<h2>To identify first</h2>\n<table "
        "id=\"unidentified\"><thead><tr><th>host</th><th>verdict</th>"
        "<th>vmId / SMBIOS</th><th>why</th><th>find it, then reset</th></tr></thead><tbody>\n";
    for (const auto& u : plan.unidentified)
      out +=
          "<tr><td>" + esc(u.host.empty() ? "?" : u.host) + "<br><span class=\"muted\">" +
          esc(u.origin) + "</span></td><td>" + esc(u.verdict_code) + "</td><td>" + esc(u.vm_id) +
          (u.smbios_uuid.empty() || u.smbios_uuid == u.vm_id ? "" : "<br>" + esc(u.smbios_uuid)) +
          "</td><td>" + esc(u.reason) + "</td><td>" + cmd(u.remedy.find_vm_command) +
          cmd(u.remedy.az_command) + "</td></tr>\n";
    out += "</tbody></table>\n";
  }
  if (!plan.conflicts.empty()) {
    out += "<h2>Conflicts (copied disks)</h2>\n";
    for (const auto& c : plan.conflicts) {
      out += "<div class=\"conflict\"><p><b>" + esc(c.resource_id) + "</b> " +
             (c.resolved ? "(resolved)" : "<span class=\"flag\">needs a person</span>") + ": " +
             esc(c.message) + "</p><ul>";
      for (const auto& claim : c.claims)
        out += "<li>SMBIOS " + esc(claim.smbios_uuid) + " via " + esc(claim.identity_source) +
               ", " + esc(claim.verdict_code) + ", " + esc(claim.origin) + "</li>";
      out += "</ul></div>\n";
    }
  }
  if (!plan.skipped.empty()) {
    out +=
        "<h2>Skipped</h2>\n<table "
        "id=\"skipped\"><thead><tr><th>machine</th><th>verdict</th><th>reason</th>"
        "<th>report</th></tr></thead><tbody>\n";
    for (const auto& s : plan.skipped)
      out += "<tr><td>" + esc(s.subject) + "</td><td>" + esc(s.verdict_code) + "</td><td>" +
             esc(s.reason) + "</td><td>" + esc(s.origin) + "</td></tr>\n";
    out += "</tbody></table>\n";
  }
  if (inventory && use) {
    out += "<h2>Resource Graph</h2>\n<p>" + std::to_string(inventory->vms.size()) +
           " VMs in the export; " + std::to_string(use->identified) +
           " reports identified by vmId/SMBIOS, " + std::to_string(use->corrected) +
           " identities corrected, " + std::to_string(use->incarnation_raised) +
           " keyIncarnationIds taken from the model.</p>\n";
    if (!use->changes.empty()) {
      out += "<ul id=\"inventory-changes\">";
      for (const auto& c : use->changes)
        out += "<li>" + esc(c.origin) + ": " + esc(c.resource_id) + ": " + esc(c.how) + "</li>";
      out += "</ul>\n";
    }
    if (!use->silent.empty()) {
      out +=
          "<h3>MSP-enabled VMs with no report or serial line</h3>\n<table id=\"silent\"><thead><tr>"
          "<th>resource</th><th>MSP</th><th>keyIncarnationId</th></tr></thead><tbody>\n";
      for (const auto* vm : use->silent)
        out +=
            "<tr><td>" + esc(vm->resource_id) + "</td><td>" + esc(vm->msp_text()) + "</td><td>" +
            (vm->key_incarnation_id ? std::to_string(*vm->key_incarnation_id) : std::string("?")) +
            "</td></tr>\n";
      out += "</tbody></table>\n";
    }
  }
  if (!plan.input_errors.empty()) {
    out += "<h2>Input errors (not used)</h2>\n<ul id=\"input-errors\">";
    for (const auto& e : plan.input_errors) out += "<li>" + esc(e) + "</li>";
    out += "</ul>\n";
  }
  out += "</body></html>\n";
  return out;
}

}  // namespace latchwatch::plan
