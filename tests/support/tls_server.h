#pragma once
/// A real HTTPS server on loopback for webhook tests: a certificate made at test time (openssl),
/// answers every POST with 200 (or 503 when told to fail) and records each request.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "probes/net/http_exchange.h"

namespace latchwatch::testing {

struct RecordedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  ///< lower-cased names
  std::string body;
};

/// Makes a self-signed certificate for IP 127.0.0.1 in `dir`: dir/cert.pem, dir/key.pem.
void make_test_certificate(const std::string& dir);

class TlsServer {
 public:
  /// Serves HTTPS on 127.0.0.1:`port` (0: any) with dir/cert.pem and dir/key.pem.
  TlsServer(const std::string& cert_dir, std::uint16_t port = 0);
  ~TlsServer();
  net::Endpoint endpoint() const;
  std::vector<RecordedRequest> requests() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace latchwatch::testing
