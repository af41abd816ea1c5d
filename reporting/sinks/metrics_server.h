#pragma once
/// The /metrics endpoint: a small HTTP/1.1 server on its own thread. Answers GET and HEAD for
/// /metrics only, reads each request with a fresh bounded parser under a deadline, and never
/// listens on all interfaces unless configured to.

#include <memory>
#include <string>

#include "probes/net/http_exchange.h"
#include "reporting/sinks/metrics_sink.h"

namespace latchwatch::reporting {

class MetricsServer {
 public:
  /// Binds `listen` (HOST:PORT; port 0 picks one). Throws std::runtime_error naming the address
  /// when it cannot bind (e.g. another process holds the port).
  MetricsServer(const net::Endpoint& listen, std::shared_ptr<MetricsText> text);
  ~MetricsServer();  ///< stops and joins
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  net::Endpoint endpoint() const;  ///< the bound address, with the real port

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace latchwatch::reporting
