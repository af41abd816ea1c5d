#include "reporting/sinks/webhook_sink.h"

#include <spdlog/spdlog.h>

#include "probes/base/azure_names.h"
#include "reporting/sinks/webhook_transport.h"

namespace latchwatch::reporting {
namespace {

constexpr const char* kCloudEventsType = "application/cloudevents+json; charset=utf-8";

}  // namespace

nlohmann::json cloud_event(const CycleReport& report, const std::string& delivery) {
  const auto& id = report.report.identity.resource_id;
  std::string source;
  if (!id.empty() && probes::is_azure_resource_id(id))
    source = id;
  else
    source = "latchwatch://" + (probes::is_host_name(report.host) ? report.host : "unknown");
  const auto verdict = report.has_confirmed ? report.confirmed : report.report.verdict.code;
  return {{"specversion", "1.0"},
          {"id", delivery},
          {"source", source},
          {"type", std::string("com.latchwatch.verdict.") + to_string(report.transition)},
          {"subject", to_string(verdict)},
          {"time", iso8601_utc(report.finished)},
          {"datacontenttype", "application/json"},
          {"data", outward_document(report, delivery)}};
}

WebhookSink::WebhookSink(WebhookOptions options)
    : options_(std::move(options)),
      spool_("webhook spool", options_.spool_dir, options_.spool_max_entries, *options_.clock,
             {"delivery", "body"}) {
  if (!parse_url(options_.url, url_, url_error_)) url_error_ = "webhook url: " + url_error_;
  if (url_error_.empty())
    transport_ = make_webhook_transport(url_, {options_.verify_tls, options_.ca_file}, tls_error_);
}

WebhookSink::~WebhookSink() = default;

PublishResult WebhookSink::deliver(const nlohmann::json& entry) {
  if (!url_error_.empty()) return PublishResult::failure(url_error_);
  if (!tls_error_.empty()) return PublishResult::failure(tls_error_);
  const auto& body = entry["body"].get_ref<const std::string&>();
  // An entry spooled before `content_type` existed is latchwatch's own JSON.
  std::string content_type = "application/json";
  if (auto it = entry.find("content_type");
      it != entry.end() && it->is_string() && it->get<std::string>() == kCloudEventsType)
    content_type = kCloudEventsType;
  net::Request request;
  request.method = net::Method::post;
  request.target = url_.path;
  request.headers = {
      {"Content-Type", content_type},
      {"X-Latchwatch-Delivery", entry["delivery"].get<std::string>()},
      {"X-Latchwatch-Signature", "sha256=" + hmac_sha256_hex(options_.secret, body)}};
  if (!options_.event_grid_key.empty())
    request.headers.push_back({"aeg-sas-key", options_.event_grid_key});
  request.body = body;
  auto response = transport_->post(url_, std::move(request), options_.timeout, 64 * 1024);
  if (response.failure != net::Failure::none)
    return PublishResult::failure(mask_secrets_in(response.error, options_.url));
  if (response.status < 200 || response.status > 299)
    return PublishResult::failure("webhook answered HTTP " + std::to_string(response.status));
  return {};
}

PublishResult WebhookSink::flush() {
  return spool_.flush([this](const nlohmann::json& entry) { return deliver(entry); }, interrupted_);
}

PublishResult WebhookSink::accept(const CycleReport& report) {
  if (report.transition == Transition::unchanged) return {};
  const auto delivery = new_uuid();
  nlohmann::json entry = {{"delivery", delivery}};
  if (options_.format == WebhookFormat::cloudevents) {
    entry["body"] = dump_json(cloud_event(report, delivery));
    entry["content_type"] = kCloudEventsType;
  } else {
    entry["body"] = dump_json(outward_document(report, delivery));
  }
  // The delivery id is made before the body is spooled, so the reset ticket inside carries the
  // same id as the X-Latchwatch-Delivery header (and the CloudEvent id) on every retry.
  if (auto error = spool_.enqueue(entry); !error.empty()) return PublishResult::failure(error);
  return {};
}

PublishResult WebhookSink::publish(const CycleReport&) { return flush(); }

nlohmann::json WebhookSink::health() const { return spool_.health(); }

}  // namespace latchwatch::reporting
