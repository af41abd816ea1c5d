#pragma once
/// POSTs each transition's report to the owner's webhook, signed, through a durable spool:
/// every report is first written to STATE/spool/<sequence>.json (atomically), then delivered in
/// sequence order; what cannot be delivered stays for later, across restarts. The spool is
/// bounded: past the limit the oldest entries are dropped and counted.
///
/// The report is spooled in `accept` (on the daemon's thread, before any network), so a
/// delivery that hangs never holds a transition in memory only: SIGTERM at any moment leaves
/// every accepted report in the spool. The spool folder is never a symlink (refused) and its
/// files are opened without following links.
///
/// A report that cannot be spooled (the disk is full, the folder unwritable) is not dropped: it
/// is kept in memory (bounded by the same limit), delivered after the spool when the receiver
/// answers, counted as `not_durable` in the sink's health, and `accept` says so; it is written
/// to the spool as soon as the spool takes files again. Only such reports can be lost to a stop.
///
/// Platform parts sit behind seams: the signature (reporting/sinks/hmac_sha256.h), the transport
/// (webhook_transport.h: TLS through OpenSSL on Linux, WinHTTP on Windows) and the spool folder
/// (spool_files.h).
///
/// Headers: X-Latchwatch-Signature: sha256=<hex HMAC-SHA256 of the raw body> and
/// X-Latchwatch-Delivery: <uuid> (the same uuid on every retry, so receivers can drop duplicates).

#include <atomic>
#include <memory>
#include <mutex>

#include "probes/base/clock.h"
#include "reporting/sinks/hmac_sha256.h"
#include "reporting/sinks/sink.h"
#include "reporting/sinks/url.h"

namespace latchwatch::reporting {

struct WebhookOptions {
  std::string url;
  std::string secret;
  std::string ca_file;  ///< empty: the system trust store (Windows: the chain must end at it)
  bool verify_tls = true;
  std::chrono::milliseconds timeout{5000};
  std::size_t spool_max_entries = 1000;
  std::string spool_dir;  ///< STATE/spool
  const Clock* clock = &real_clock();
};

class WebhookTransport;

/// The delay before retry number `attempt` (1-based): 1 s doubling up to 5 minutes.
std::chrono::seconds retry_delay(int attempt);

class WebhookSink : public Sink {
 public:
  explicit WebhookSink(WebhookOptions options);
  ~WebhookSink() override;
  std::string name() const override { return "webhook"; }
  /// Spools a transition's report (unchanged cycles are not sent).
  PublishResult accept(const CycleReport& report) override;
  /// Delivers the spool (after its backoff).
  PublishResult publish(const CycleReport& report) override;
  void interrupt() override { interrupted_ = true; }
  nlohmann::json health() const override;

  /// Delivers what the spool holds, oldest first, stopping at the first failure, or once
  /// interrupted. Waits for the backoff by the injected clock.
  PublishResult flush();

 private:
  std::string enqueue_entry(const std::string& delivery, const std::string& body);
  std::vector<std::string> spooled(std::string* error = nullptr) const;  ///< oldest first
  PublishResult deliver(const std::string& delivery, const std::string& body);

  WebhookOptions options_;
  Url url_;
  std::string url_error_;
  std::unique_ptr<WebhookTransport> transport_;  ///< Beast/OpenSSL on Linux, WinHTTP on Windows
  std::string tls_error_;
  mutable std::mutex spool_mutex_;  ///< accept (daemon thread) against flush (the sink's lane)
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> corrupt_{0};
  std::atomic<std::uint64_t> not_durable_{0};  ///< reports that were never in the spool
  /// Reports that could not be spooled, oldest first: {delivery uuid, body}. Under spool_mutex_.
  std::vector<std::pair<std::string, std::string>> memory_only_;
  std::atomic<bool> interrupted_{false};
  int attempt_ = 0;
  std::chrono::steady_clock::time_point next_attempt_{};
};

}  // namespace latchwatch::reporting
