#pragma once
/// Windows only (winhttp_post_windows.cpp): one HTTPS POST through WinHTTP, Windows' own TLS
/// stack, for the webhook (Debian has no OpenSSL for mingw, so Beast cannot speak TLS there).
///
/// - One deadline: the caller waits at most `timeout` (Failure::timeout after it). The exchange
///   runs on a worker thread of its own, and before each phase (resolve + connect + TLS + send,
///   then receive, then each read) WinHTTP's timeouts are set to what remains, so the worker ends
///   soon after too; under wine a TLS handshake with a silent peer ignores those timeouts, and
///   the worker then lingers until the peer closes (its late answer is dropped).
/// - The server's certificate is verified by default (chain to a trusted root, name, dates).
///   `verify_tls = false` ignores certificate errors.
/// - `ca_file` (PEM): WinHTTP's own check then ignores only "unknown CA"; after the handshake and
///   before the body is written, the server's chain is built with CertGetCertificateChain against
///   an exclusive root store holding only the file's certificates, and must end there without
///   error. Name and dates are still WinHTTP's checks.
/// - Proxies are not used (as on Linux), the response body is bounded by `body_limit`.
///
/// Never throws; headers and body are never logged.

#include <chrono>
#include <string>

#include "probes/net/http_exchange.h"
#include "reporting/sinks/url.h"

namespace latchwatch::reporting {

struct WinHttpOptions {
  std::chrono::milliseconds timeout{5000};
  std::size_t body_limit = 64 * 1024;
  bool verify_tls = true;
  std::string ca_file;  ///< PEM; empty: the Windows trust store
};

/// Loads the PEM certificates of `path` into a new in-memory store; an empty text with the store
/// set on success, else a sentence for a person (`store` untouched).
std::string load_pem_store(const std::string& path, void*& store);

/// Frees a store from load_pem_store.
void free_pem_store(void* store);

/// POSTs `request` to `url` (https, or http when `url.tls` is false) through WinHTTP.
net::Response winhttp_post(const Url& url, const net::Request& request,
                           const WinHttpOptions& options);

}  // namespace latchwatch::reporting
