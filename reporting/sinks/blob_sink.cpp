#include "reporting/sinks/blob_sink.h"

#include <cstdio>
#include <ctime>

#include "probes/base/azure_names.h"
#include "reporting/sinks/webhook_transport.h"

namespace latchwatch::reporting {
namespace {

std::string compact_utc(std::chrono::system_clock::time_point t) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
#ifdef _WIN32
  gmtime_s(&utc, &seconds);
#else
  gmtime_r(&seconds, &utc);
#endif
  char out[32];
  std::strftime(out, sizeof out, "%Y%m%dT%H%M%SZ", &utc);
  return out;
}

std::string lower(std::string text) {
  for (auto& c : text)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return text;
}

}  // namespace

std::string blob_vm_key(const CycleReport& report) {
  const auto& id = report.report.identity;
  if (probes::is_guid_text(id.vm_id)) return "vm-" + lower(id.vm_id);
  if (probes::is_host_name(report.host)) return "host-" + lower(report.host);
  return "unknown";
}

std::string blob_report_name(const CycleReport& report, const std::string& delivery) {
  char cycle[16];
  std::snprintf(cycle, sizeof cycle, "%010llu",
                static_cast<unsigned long long>(report.cycle % 10000000000ULL));
  return "reports/" + blob_vm_key(report) + "/" + compact_utc(report.finished) + "_c" + cycle +
         "_" + delivery + ".json";
}

BlobSink::BlobSink(BlobOptions options)
    : options_(std::move(options)),
      spool_("blob spool", options_.spool_dir, options_.spool_max_entries, *options_.clock,
             {"delivery", "name", "body"}) {
  if (!parse_url(options_.container_url, url_, url_error_)) {
    url_error_ = "blob container url: " + url_error_;
  } else {
    auto query = url_.path.find('?');
    container_path_ = url_.path.substr(0, query);
    while (!container_path_.empty() && container_path_.back() == '/') container_path_.pop_back();
    if (query != std::string::npos) sas_query_ = url_.path.substr(query + 1);
    if (container_path_.empty())
      url_error_ =
          "blob container url: names no container (https://ACCOUNT.blob.core."
          "windows.net/CONTAINER?SAS)";
    else if (sas_query_.empty())
      url_error_ = "blob container url: has no SAS query string (the credential)";
  }
  if (url_error_.empty())
    transport_ = make_webhook_transport(url_, {options_.verify_tls, options_.ca_file}, tls_error_);
}

BlobSink::~BlobSink() = default;

PublishResult BlobSink::put(const std::string& name, const std::string& body) {
  if (!url_error_.empty()) return PublishResult::failure(url_error_);
  if (!tls_error_.empty()) return PublishResult::failure(tls_error_);
  net::Request request;
  request.method = net::Method::put;
  request.target = container_path_ + "/" + name + "?" + sas_query_;
  request.headers = {{"Content-Type", "application/json"},
                     {"x-ms-blob-type", "BlockBlob"},
                     {"x-ms-version", kBlobApiVersion}};
  request.body = body;
  auto response = transport_->post(url_, std::move(request), options_.timeout, 64 * 1024);
  if (response.failure != net::Failure::none)
    return PublishResult::failure(mask_secrets_in(response.error, options_.container_url));
  if (response.status != 201)
    return PublishResult::failure("blob store answered HTTP " + std::to_string(response.status) +
                                  " for " + name);
  return {};
}

PublishResult BlobSink::accept(const CycleReport& report) {
  if (report.transition == Transition::unchanged) return {};
  const auto delivery = new_uuid();
  nlohmann::json entry = {{"delivery", delivery},
                          {"name", blob_report_name(report, delivery)},
                          {"body", dump_json(outward_document(report, delivery))}};
  if (auto error = spool_.enqueue(entry); !error.empty()) return PublishResult::failure(error);
  return {};
}

PublishResult BlobSink::publish(const CycleReport& report) {
  auto result = spool_.flush(
      [this](const nlohmann::json& entry) {
        return put(entry["name"].get<std::string>(), entry["body"].get<std::string>());
      },
      interrupted_);
  if (!result.ok || !options_.write_latest || interrupted_) return result;
  // The latest report: not spooled (only the newest matters); a failure waits for the next cycle.
  return put("latest/" + blob_vm_key(report) + ".json", dump_json(outward_document(report, {})));
}

nlohmann::json BlobSink::health() const { return spool_.health(); }

}  // namespace latchwatch::reporting
