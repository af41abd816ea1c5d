#pragma once
/// The storage drop box: writes each transition's report, and the latest report, as a block blob
/// into an Azure Storage container through a SAS URL, so a fleet's reports gather in one
/// container (then `az storage blob download-batch` and `latchwatch plan resets FOLDER`).
///
/// Each transition is spooled in `accept` (before any network, like the webhook: the same
/// `Spool`, in STATE/blob-spool) with its blob name fixed there, then written in order by Put
/// Blob (`x-ms-blob-type: BlockBlob`, `x-ms-version` pinned to `kBlobApiVersion`); a retry puts
/// the same name again, so a write whose answer was lost never makes a second blob. Names sort by
/// VM, then time, then cycle, and differ per delivery:
///   reports/<vm>/<yyyymmddThhmmssZ>_c<cycle, 10 digits>_<delivery uuid>.json
///   latest/<vm>.json      (overwritten every cycle once the spool is empty)
/// where <vm> is "vm-<vmId>" when IMDS or the cache gave one, else "host-<host name>".
///
/// The SAS URL is a credential: it is read from a file (config), never logged; errors quote it
/// masked (url.h). Transport: webhook_transport.h (Beast/OpenSSL on Linux, WinHTTP on Windows).

#include <atomic>
#include <memory>

#include "probes/base/clock.h"
#include "reporting/sinks/sink.h"
#include "reporting/sinks/spool.h"
#include "reporting/sinks/url.h"

namespace latchwatch::reporting {

constexpr const char* kBlobApiVersion = "2021-12-02";

struct BlobOptions {
  std::string container_url;  ///< https://ACCOUNT.blob.core.windows.net/CONTAINER?<SAS>
  std::string ca_file;        ///< empty: the system trust store
  bool verify_tls = true;
  std::chrono::milliseconds timeout{5000};
  std::size_t spool_max_entries = 1000;
  std::string spool_dir;  ///< STATE/blob-spool
  bool write_latest = true;
  const Clock* clock = &real_clock();
};

/// The "<vm>" part of the blob names (see above).
std::string blob_vm_key(const CycleReport& report);
/// reports/<vm>/<time>_c<cycle>_<delivery>.json
std::string blob_report_name(const CycleReport& report, const std::string& delivery);

class WebhookTransport;

class BlobSink : public Sink {
 public:
  explicit BlobSink(BlobOptions options);
  ~BlobSink() override;
  std::string name() const override { return "blob"; }
  PublishResult accept(const CycleReport& report) override;
  PublishResult publish(const CycleReport& report) override;
  void interrupt() override { interrupted_ = true; }
  nlohmann::json health() const override;

 private:
  PublishResult put(const std::string& name, const std::string& body);

  BlobOptions options_;
  Url url_;  ///< the container; its query (the SAS) is appended to every blob's path
  std::string container_path_;
  std::string sas_query_;
  std::string url_error_;
  std::unique_ptr<WebhookTransport> transport_;
  std::string tls_error_;
  Spool spool_;
  std::atomic<bool> interrupted_{false};
};

}  // namespace latchwatch::reporting
