#pragma once
/// The /metrics endpoint: a small HTTP/1.1 server on its own thread. Answers GET and HEAD for
/// /metrics, and for /health while the health answer is enabled (health_answer.h), reads each
/// request with a fresh bounded parser under a deadline, and never listens on all interfaces unless
/// configured to.

#include <memory>
#include <string>

#include "probes/net/http_exchange.h"
#include "reporting/sinks/health_answer.h"
#include "reporting/sinks/metrics_sink.h"

namespace latchwatch::reporting {

class MetricsServer {
 public:
  /// Binds `listen` (HOST:PORT; port 0 picks one). Throws std::runtime_error naming the address
  /// when it cannot bind (e.g. another process holds the port).
  /// `health` null: /health is not served (404), as when it is configured off.
  MetricsServer(const net::Endpoint& listen, std::shared_ptr<MetricsText> text,
                std::shared_ptr<HealthAnswer> health = nullptr);
  ~MetricsServer();  ///< stops and joins
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  net::Endpoint endpoint() const;  ///< the bound address, with the real port

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace latchwatch::reporting
