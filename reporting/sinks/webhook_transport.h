#pragma once
/// How one signed webhook POST leaves the machine, per platform. Linux: Beast over the socket, TLS
/// through OpenSSL (webhook_transport_posix.cpp). Windows: plain http through the same Beast
/// exchange, https through WinHTTP, Windows' own TLS stack (webhook_transport_windows.cpp,
/// winhttp_post_windows.cpp), since Debian has no OpenSSL for mingw.
///
/// Every post runs under one deadline (`timeout`), verifies the server's certificate unless
/// `verify_tls` is false, and never throws. Headers and body pass through untouched; nothing here
/// logs them (the signature header is derived from the secret, and the secret never comes here).

#include <chrono>
#include <memory>
#include <string>

#include "probes/net/http_exchange.h"
#include "reporting/sinks/url.h"

namespace latchwatch::reporting {

struct WebhookTlsOptions {
  bool verify_tls = true;
  std::string ca_file;  ///< empty: the system trust store
};

class WebhookTransport {
 public:
  virtual ~WebhookTransport() = default;
  /// One exchange with `url` under `timeout`; the response body is bounded by `body_limit`.
  virtual net::Response post(const Url& url, net::Request request,
                             std::chrono::milliseconds timeout, std::size_t body_limit) = 0;
};

/// The transport for `url`. When the TLS settings cannot be used (an unreadable CA file), sets
/// `error` to a sentence for a person; the returned transport then fails every post with it.
std::unique_ptr<WebhookTransport> make_webhook_transport(const Url& url,
                                                         const WebhookTlsOptions& tls,
                                                         std::string& error);

}  // namespace latchwatch::reporting
