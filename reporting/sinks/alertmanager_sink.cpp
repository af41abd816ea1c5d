#include "reporting/sinks/alertmanager_sink.h"

#include <spdlog/spdlog.h>

#include "probes/base/json_limits.h"
#include "probes/os/atomic_file.h"
#include "probes/os/bounded_file.h"
#include "reporting/report/reset_ticket.h"
#include "reporting/sinks/log_sink.h"

namespace latchwatch::reporting {
namespace {

bool alerting(latchwatch::VerdictCode code) {
  return latchwatch::info(code).severity != latchwatch::Severity::ok;
}

}  // namespace

nlohmann::json alert_for(const CycleReport& r, latchwatch::VerdictCode verdict,
                         std::chrono::system_clock::time_point starts_at,
                         std::chrono::system_clock::time_point ends_at) {
  const auto& id = r.report.identity;
  const auto& entry = latchwatch::info(verdict);
  nlohmann::json annotations = {{"summary", entry.meaning},
                                {"owner_action", entry.owner_action},
                                {"action", entry.owner_action},
                                {"action_by", latchwatch::action_by(verdict)}};
  if (r.report.remedy && !r.report.remedy->az_command.empty())
    annotations["az_command"] = r.report.remedy->az_command;
  if (r.report.remedy && !r.report.remedy->blocked.empty())
    annotations["remedy_blocked"] = r.report.remedy->blocked;
  // The reset ticket, compact (annotations are strings): docs/formats/reset-ticket.schema.json.
  if (r.report.remedy && latchwatch::is_key_verdict(verdict))
    annotations["reset_ticket"] = dump_json(latchwatch::reset_ticket(r.report));
  if (!r.report.host.host_name.empty()) annotations["host_name"] = r.report.host.host_name;
  return {{"labels",
           {{"alertname", latchwatch::is_key_verdict(verdict) ? "LatchwatchKeyResetNeeded"
                                                              : "LatchwatchVerdict"},
            {"severity", latchwatch::to_string(entry.severity)},
            {"verdict", entry.name},
            {"vm", id.name.empty() ? (id.vm_id.empty() ? r.host : id.vm_id) : id.name},
            {"resource_id", id.resource_id},
            {"subscription", id.subscription_id}}},
          {"annotations", annotations},
          {"startsAt", latchwatch::iso8601_utc(starts_at)},
          {"endsAt", latchwatch::iso8601_utc(ends_at)},
          {"generatorURL", "latchwatch://" + r.host + "/" + entry.name}};
}

AlertmanagerSink::AlertmanagerSink(AlertmanagerOptions options) : options_(std::move(options)) {
  if (!parse_url(options_.url, url_, url_error_)) url_error_ = "alertmanager url: " + url_error_;
}

PublishResult AlertmanagerSink::post(const nlohmann::json& alerts) {
  if (!url_error_.empty()) return PublishResult::failure(url_error_);
  if (url_.tls) return PublishResult::failure("https to Alertmanager is not supported yet");
  net::Request request;
  request.method = net::Method::post;
  std::string base = url_.path == "/" ? "" : url_.path;
  while (!base.empty() && base.back() == '/') base.pop_back();
  request.target = base + "/api/v2/alerts";
  request.headers = {{"Content-Type", "application/json"}};
  if (!options_.bearer_token.empty())
    request.headers.emplace_back("Authorization", "Bearer " + options_.bearer_token);
  request.body = dump_json(alerts);
  net::Options net_options;
  net_options.budget = options_.timeout;
  net_options.body_limit = 64 * 1024;
  auto response = net::exchange(url_.endpoint, std::move(request), net_options);
  if (response.failure != net::Failure::none) return PublishResult::failure(response.error);
  if (response.status < 200 || response.status > 299)
    return PublishResult::failure("Alertmanager answered HTTP " + std::to_string(response.status));
  return {};
}

void AlertmanagerSink::load_state() {
  loaded_ = true;
  if (options_.state_file.empty()) return;
  auto file = probes::read_bounded_file(options_.state_file, 256 * 1024);
  if (file.state == probes::ReadState::missing) return;
  std::string error;
  auto j = file.state == probes::ReadState::ok ? probes::parse_untrusted_json(file.content, error)
                                               : nlohmann::json(nlohmann::json::value_t::discarded);
  auto schema = j.is_object() ? j.find("schema") : j.end();
  if (j.is_discarded() || !j.is_object() || schema == j.end() || *schema != 1) {
    if (file.state != probes::ReadState::ok)
      error = file.error;
    else if (!j.is_discarded())
      error = "not a schema 1 state object";
    spdlog::warn("alertmanager state ignored ({}): {}", options_.state_file, error);
    return;
  }
  if (auto unsent = j.find("unsent"); unsent != j.end() && unsent->is_array())
    for (const auto& alert : *unsent)
      if (alert.is_object()) unsent_resolutions_.push_back(alert);
  auto firing = j.find("firing");
  if (firing == j.end() || !firing->is_object()) return;
  auto verdict = firing->find("verdict");
  auto starts = firing->find("starts_at_unix");
  auto alert = firing->find("alert");
  if (verdict == firing->end() || !verdict->is_string() || starts == firing->end() ||
      !starts->is_number_integer() || alert == firing->end() || !alert->is_object())
    return;
  auto code = latchwatch::verdict_from_string(verdict->get<std::string>());
  if (!code) return;
  auto sent = firing->find("sent");
  firing_ = Firing{*code,
                   probes::time_from_unix_seconds(starts->get<long long>()),
                   *alert,
                   sent != firing->end() && sent->is_boolean() && sent->get<bool>(),
                   {}};
}

void AlertmanagerSink::save_state() {
  if (options_.state_file.empty()) return;
  nlohmann::json j = {{"schema", 1}, {"unsent", unsent_resolutions_}, {"firing", nullptr}};
  if (firing_)
    j["firing"] = {{"verdict", latchwatch::to_string(firing_->verdict)},
                   {"starts_at_unix", std::chrono::duration_cast<std::chrono::seconds>(
                                          firing_->starts_at.time_since_epoch())
                                          .count()},
                   {"alert", firing_->alert},
                   {"sent", firing_->sent}};
  if (auto error =
          latchwatch::probes::write_file_atomically(options_.state_file, dump_json(j) + "\n", 0640);
      !error.empty())
    spdlog::warn("alertmanager state not saved: {}", error);
}

PublishResult AlertmanagerSink::publish(const CycleReport& report) {
  if (!loaded_) load_state();
  if (report.pending || !report.has_confirmed) return {};  // nothing confirmed yet
  const auto now = report.finished;
  const auto steady_now = options_.clock->steady_now();
  const auto lifetime = 3 * options_.resend_interval;
  bool changed = false;
  if (firing_ && firing_->verdict != report.confirmed) {
    // Resolved, or replaced by another verdict: end the old alert now, with its own labels.
    auto resolution = firing_->alert;
    resolution["endsAt"] = latchwatch::iso8601_utc(now);
    unsent_resolutions_.push_back(std::move(resolution));
    firing_.reset();
    changed = true;
  }
  nlohmann::json alerts = unsent_resolutions_;
  bool send = !alerts.empty();
  if (alerting(report.confirmed)) {
    if (!firing_) {
      firing_ = Firing{report.confirmed, now, {}, false, {}};
      changed = true;
    }
    if (!firing_->sent || steady_now - firing_->last_sent >= options_.resend_interval) send = true;
    firing_->alert = alert_for(report, report.confirmed, firing_->starts_at, now + lifetime);
    if (send) alerts.push_back(firing_->alert);
  }
  if (changed) save_state();  // before sending: a crash mid-POST still resolves after restart
  if (!send) return {};
  auto result = post(alerts);
  if (result.ok) {
    const bool first = firing_ && !firing_->sent;
    const bool had_unsent = !unsent_resolutions_.empty();
    unsent_resolutions_ = nlohmann::json::array();
    if (firing_) {
      firing_->sent = true;
      firing_->last_sent = steady_now;
    }
    if (first || had_unsent) save_state();
  }
  // On failure nothing is marked sent: the next cycle sends it all again.
  return result;
}

}  // namespace latchwatch::reporting
