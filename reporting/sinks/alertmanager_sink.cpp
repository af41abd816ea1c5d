#include "reporting/sinks/alertmanager_sink.h"

#include "reporting/sinks/log_sink.h"

namespace latchwatch::reporting {
namespace {

bool alerting(diagnosis::VerdictCode code) {
  return diagnosis::info(code).severity != diagnosis::Severity::ok;
}

}  // namespace

nlohmann::json alert_for(const CycleReport& r, diagnosis::VerdictCode verdict,
                         std::chrono::system_clock::time_point starts_at,
                         std::chrono::system_clock::time_point ends_at) {
  const auto& id = r.report.identity;
  const auto& entry = diagnosis::info(verdict);
  nlohmann::json annotations = {{"summary", entry.meaning},
                                 {"owner_action", entry.owner_action},
                                 {"action", entry.owner_action},
                                 {"action_by", diagnosis::action_by(verdict)}};
  if (r.report.remedy && !r.report.remedy->az_command.empty())
    annotations["az_command"] = r.report.remedy->az_command;
  if (r.report.remedy && !r.report.remedy->blocked.empty())
    annotations["remedy_blocked"] = r.report.remedy->blocked;
  if (!r.report.host.host_name.empty()) annotations["host_name"] = r.report.host.host_name;
  return {{"labels",
           {{"alertname", diagnosis::is_key_verdict(verdict) ? "LatchwatchKeyResetNeeded"
                                                             : "LatchwatchVerdict"},
            {"severity", diagnosis::to_string(entry.severity)},
            {"verdict", entry.name},
            {"vm", id.name.empty() ? (id.vm_id.empty() ? r.host : id.vm_id) : id.name},
            {"resource_id", id.resource_id},
            {"subscription", id.subscription_id}}},
          {"annotations", annotations},
          {"startsAt", diagnosis::iso8601_utc(starts_at)},
          {"endsAt", diagnosis::iso8601_utc(ends_at)},
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
  request.body = alerts.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  net::Options net_options;
  net_options.budget = options_.timeout;
  net_options.body_limit = 64 * 1024;
  auto response = net::exchange(url_.endpoint, std::move(request), net_options);
  if (response.failure != net::Failure::none) return PublishResult::failure(response.error);
  if (response.status < 200 || response.status > 299)
    return PublishResult::failure("Alertmanager answered HTTP " + std::to_string(response.status));
  return {};
}

PublishResult AlertmanagerSink::publish(const CycleReport& report) {
  if (report.pending || !report.has_confirmed) return {};  // nothing confirmed yet
  const auto now = report.finished;
  const auto lifetime = 3 * options_.resend_interval;
  nlohmann::json alerts = unsent_resolutions_;
  bool send = !alerts.empty();
  if (firing_ && firing_->verdict != report.confirmed) {
    // Resolved, or replaced by another verdict: end the old alert now.
    auto resolution = alert_for(firing_->report, firing_->verdict, firing_->starts_at, now);
    unsent_resolutions_.push_back(resolution);
    alerts.push_back(std::move(resolution));
    firing_.reset();
    send = true;
  }
  if (alerting(report.confirmed)) {
    if (!firing_) {
      firing_ = Firing{report.confirmed, now, {}, report};
      send = true;
    } else {
      firing_->report = report;
    }
    if (now - firing_->last_sent >= options_.resend_interval) send = true;
    if (send) {
      alerts.push_back(alert_for(report, report.confirmed, firing_->starts_at, now + lifetime));
      firing_->last_sent = now;
    }
  }
  if (!send) return {};
  auto result = post(alerts);
  if (result.ok)
    unsent_resolutions_ = nlohmann::json::array();
  else if (firing_)
    firing_->last_sent = {};  // try again next cycle
  return result;
}

}  // namespace latchwatch::reporting
