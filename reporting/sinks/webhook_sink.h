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
/// Platform parts sit behind seams: the signature (reporting/sinks/hmac_sha256.h), the transport
/// (webhook_transport.h: TLS through OpenSSL on Linux, WinHTTP on Windows) and the spool folder
/// (spool_files.h).
///
/// Headers: X-Latchwatch-Signature: sha256=<hex HMAC-SHA256 of the raw body> and
/// X-Latchwatch-Delivery: <uuid> (the same uuid on every retry, so receivers can drop duplicates).
///
/// Formats (`WebhookFormat`): latchwatch's own JSON (the cycle document), or a CloudEvents 1.0
/// structured event (`Content-Type: application/cloudevents+json; charset=utf-8`) for an Event
/// Grid custom topic, with `aeg-sas-key: <key>` when an access key is configured; see
/// `cloud_event` and /work/notes/contract.md. The envelope is built and spooled in `accept`, so a
/// retry sends the same bytes (and the same signature) whatever the config says later.

#include <atomic>
#include <memory>
#include <mutex>

#include "probes/base/clock.h"
#include "reporting/sinks/hmac_sha256.h"
#include "reporting/sinks/sink.h"
#include "reporting/sinks/spool.h"
#include "reporting/sinks/url.h"

namespace latchwatch::reporting {

enum class WebhookFormat { json, cloudevents };

/// The CloudEvents 1.0 structured event of one transition: `id` the delivery uuid, `source` the
/// VM's resource id (or latchwatch://<host> when unknown), `type`
/// com.latchwatch.verdict.{fired,changed,resolved}, `subject` the verdict code, `time`, and the
/// cycle document as `data`.
nlohmann::json cloud_event(const CycleReport& report, const std::string& delivery);

struct WebhookOptions {
  std::string url;
  std::string secret;
  WebhookFormat format = WebhookFormat::json;
  std::string event_grid_key;  ///< sent as aeg-sas-key when not empty (never logged)
  std::string ca_file;  ///< empty: the system trust store (Windows: the chain must end at it)
  bool verify_tls = true;
  std::chrono::milliseconds timeout{5000};
  std::size_t spool_max_entries = 1000;
  std::string spool_dir;  ///< STATE/spool
  const Clock* clock = &real_clock();
};

class WebhookTransport;

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
  PublishResult deliver(const nlohmann::json& entry);

  WebhookOptions options_;
  Url url_;
  std::string url_error_;
  std::unique_ptr<WebhookTransport> transport_;  ///< Beast/OpenSSL on Linux, WinHTTP on Windows
  std::string tls_error_;
  Spool spool_;
  std::atomic<bool> interrupted_{false};
};

}  // namespace latchwatch::reporting
