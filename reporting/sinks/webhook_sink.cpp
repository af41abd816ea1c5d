#include "reporting/sinks/webhook_sink.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "probes/base/json_limits.h"
#include "probes/os/atomic_file.h"
#include "probes/os/bounded_file.h"
#include "reporting/report/reset_ticket.h"
#include "reporting/sinks/spool_files.h"
#include "reporting/sinks/webhook_transport.h"

namespace latchwatch::reporting {
namespace {

constexpr std::size_t kSpoolFileLimit = 4 * 1024 * 1024;

std::string new_uuid() {
  unsigned char bytes[16] = {};
  random_bytes(bytes, sizeof bytes);
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
                bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
                bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
  return out;
}

/// Spool names are zero-padded sequence numbers, so name order is delivery order.
std::uint64_t sequence_of(const std::string& name) {
  return std::strtoull(name.c_str(), nullptr, 10);
}

}  // namespace

std::chrono::seconds retry_delay(int attempt) {
  if (attempt <= 1) return std::chrono::seconds(1);
  long delay = 1L << std::min(attempt - 1, 16);
  return std::chrono::seconds(std::min(delay, 300L));
}

WebhookSink::WebhookSink(WebhookOptions options) : options_(std::move(options)) {
  if (!parse_url(options_.url, url_, url_error_)) url_error_ = "webhook url: " + url_error_;
  if (url_error_.empty())
    transport_ = make_webhook_transport(url_, {options_.verify_tls, options_.ca_file}, tls_error_);
  if (auto error = latchwatch::probes::ensure_directory(options_.spool_dir, 0700); !error.empty())
    spdlog::warn("webhook spool: {}", error);
}

WebhookSink::~WebhookSink() = default;

std::vector<std::string> WebhookSink::spooled(std::string* error) const {
  std::vector<std::string> names;
  for (auto& name : list_spool_folder(options_.spool_dir, error)) {
    if (name.size() == 25 && name.compare(20, 5, ".json") == 0 &&
        std::all_of(name.begin(), name.begin() + 20, [](char c) { return c >= '0' && c <= '9'; }))
      names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  for (auto& name : names) name = options_.spool_dir + "/" + name;
  return names;
}

std::string WebhookSink::enqueue_entry(const std::string& delivery, const std::string& body) {
  if (auto error = latchwatch::probes::ensure_directory(options_.spool_dir, 0700); !error.empty())
    return error;
  std::string list_error;
  auto files = spooled(&list_error);
  if (!list_error.empty()) return list_error;
  std::uint64_t next = 1;
  if (!files.empty()) next = sequence_of(files.back().substr(files.back().rfind('/') + 1)) + 1;
  // Bounded: drop the oldest first, counted, so disk use never grows without bound.
  while (files.size() >= options_.spool_max_entries) {
    remove_spool_file(files.front());
    files.erase(files.begin());
    ++dropped_;
  }
  char name[32];
  std::snprintf(name, sizeof name, "%020llu.json", static_cast<unsigned long long>(next));
  nlohmann::json entry = {{"delivery", delivery}, {"body", body}};
  return latchwatch::probes::write_file_atomically(options_.spool_dir + "/" + name,
                                                   dump_json(entry), 0600);
}

PublishResult WebhookSink::deliver(const std::string& delivery, const std::string& body) {
  if (!url_error_.empty()) return PublishResult::failure(url_error_);
  if (!tls_error_.empty()) return PublishResult::failure(tls_error_);
  net::Request request;
  request.method = net::Method::post;
  request.target = url_.path;
  request.headers = {
      {"Content-Type", "application/json"},
      {"X-Latchwatch-Delivery", delivery},
      {"X-Latchwatch-Signature", "sha256=" + hmac_sha256_hex(options_.secret, body)}};
  request.body = body;
  auto response = transport_->post(url_, std::move(request), options_.timeout, 64 * 1024);
  if (response.failure != net::Failure::none) return PublishResult::failure(response.error);
  if (response.status < 200 || response.status > 299)
    return PublishResult::failure("webhook answered HTTP " + std::to_string(response.status));
  return {};
}

PublishResult WebhookSink::flush() {
  std::vector<std::string> files;
  std::pair<std::string, std::string> in_memory;  // the oldest report only in memory, if any
  {
    std::lock_guard<std::mutex> lock(spool_mutex_);
    // Reports kept in memory go to the spool (in order) as soon as it takes files again.
    while (!memory_only_.empty() &&
           enqueue_entry(memory_only_.front().first, memory_only_.front().second).empty())
      memory_only_.erase(memory_only_.begin());
    std::string error;
    files = spooled(&error);
    if (!memory_only_.empty()) in_memory = memory_only_.front();
    if (!error.empty() && memory_only_.empty())
      return PublishResult::failure("webhook spool " + error);
  }
  if (files.empty() && in_memory.first.empty()) return {};
  const auto now = options_.clock->steady_now();
  if (now < next_attempt_)
    return PublishResult::failure(std::to_string(files.size()) +
                                  " report(s) spooled; backing off before the next retry");
  for (const auto& path : files) {
    if (interrupted_) return PublishResult::failure("stopped; the rest stays spooled");
    auto file = probes::read_bounded_file(path, kSpoolFileLimit);
    std::string error;
    auto entry = file.state == probes::ReadState::ok
                     ? probes::parse_untrusted_json(file.content, error)
                     : nlohmann::json(nlohmann::json::value_t::discarded);
    if (entry.is_discarded() || !entry.is_object() ||
        !entry.value("body", nlohmann::json()).is_string() ||
        !entry.value("delivery", nlohmann::json()).is_string()) {
      // A corrupt entry cannot be delivered: set it aside (kept for a person), never crash.
      rename_spool_file(path, path + ".corrupt");
      ++corrupt_;
      continue;
    }
    auto result = deliver(entry["delivery"].get<std::string>(), entry["body"].get<std::string>());
    if (!result.ok) {
      ++attempt_;
      next_attempt_ = options_.clock->steady_now() + retry_delay(attempt_);
      return result;
    }
    remove_spool_file(path);
    attempt_ = 0;
    next_attempt_ = {};
  }
  // Then what only memory holds, oldest first: delivered although it was never durable.
  while (!in_memory.first.empty()) {
    if (interrupted_) return PublishResult::failure("stopped; reports not spooled remain");
    auto result = deliver(in_memory.first, in_memory.second);
    if (!result.ok) {
      ++attempt_;
      next_attempt_ = options_.clock->steady_now() + retry_delay(attempt_);
      return result;
    }
    attempt_ = 0;
    next_attempt_ = {};
    std::lock_guard<std::mutex> lock(spool_mutex_);
    if (!memory_only_.empty() && memory_only_.front().first == in_memory.first)
      memory_only_.erase(memory_only_.begin());
    in_memory = memory_only_.empty() ? std::pair<std::string, std::string>{} : memory_only_.front();
  }
  return {};
}

PublishResult WebhookSink::accept(const CycleReport& report) {
  if (report.transition == Transition::unchanged) return {};
  // The delivery id is made here, before the body is spooled, so the reset ticket inside the
  // body carries the same id as the X-Latchwatch-Delivery header on every retry.
  const std::string delivery = new_uuid();
  auto doc = cycle_document(report);
  if (report.report.remedy) doc["reset_ticket"] = latchwatch::reset_ticket(report.report, delivery);
  auto body = dump_json(doc);
  std::lock_guard<std::mutex> lock(spool_mutex_);
  // Behind reports already kept in memory, a new one waits in memory too (delivery order).
  std::string error =
      memory_only_.empty() ? enqueue_entry(delivery, body) : "earlier reports are not spooled yet";
  if (error.empty()) return {};
  // Not durable, but not dropped: kept in memory (bounded like the spool) and delivered.
  if (memory_only_.size() >= std::max<std::size_t>(options_.spool_max_entries, 1)) {
    memory_only_.erase(memory_only_.begin());
    ++dropped_;
  }
  memory_only_.emplace_back(delivery, body);
  ++not_durable_;
  return PublishResult::failure("cannot spool the report (" + error +
                                "): kept in memory only, not durable; delivered when the "
                                "webhook answers");
}

PublishResult WebhookSink::publish(const CycleReport&) { return flush(); }

nlohmann::json WebhookSink::health() const {
  std::size_t entries = 0;
  std::size_t memory_only = 0;
  {
    std::lock_guard<std::mutex> lock(spool_mutex_);
    entries = spooled().size();
    memory_only = memory_only_.size();
  }
  return {{"spool_entries", entries},
          {"memory_only_entries", memory_only},
          {"not_durable", not_durable_.load()},
          {"spool_dropped", dropped_.load()},
          {"spool_corrupt", corrupt_.load()}};
}

}  // namespace latchwatch::reporting
