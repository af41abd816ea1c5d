#include "reporting/sinks/webhook_transport.h"
#include "reporting/sinks/winhttp_post.h"

namespace latchwatch::reporting {
namespace {

/// Plain http through the Beast exchange (as on Linux); https through WinHTTP.
class WindowsTransport : public WebhookTransport {
 public:
  explicit WindowsTransport(WebhookTlsOptions tls) : tls_(std::move(tls)) {}
  net::Response post(const Url& url, net::Request request, std::chrono::milliseconds timeout,
                     std::size_t body_limit) override {
    if (url.tls) {
      WinHttpOptions options;
      options.timeout = timeout;
      options.body_limit = body_limit;
      options.verify_tls = tls_.verify_tls;
      options.ca_file = tls_.ca_file;
      return winhttp_post(url, request, options);
    }
    net::Options options;
    options.budget = timeout;
    options.body_limit = body_limit;
    return net::exchange(url.endpoint, std::move(request), options);
  }

 private:
  WebhookTlsOptions tls_;
};

}  // namespace

std::unique_ptr<WebhookTransport> make_webhook_transport(const Url& url,
                                                         const WebhookTlsOptions& tls,
                                                         std::string& error) {
  // A CA file that cannot be used is said at start, as on Linux (it is read again per post).
  if (url.tls && tls.verify_tls && !tls.ca_file.empty()) {
    void* store = nullptr;
    error = load_pem_store(tls.ca_file, store);
    if (error.empty())
      free_pem_store(store);
    else
      error = "webhook CA " + error;
  }
  return std::make_unique<WindowsTransport>(tls);
}

}  // namespace latchwatch::reporting
