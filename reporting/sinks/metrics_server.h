#pragma once
/// The /metrics endpoint: a small HTTP/1.1 server on its own thread. Answers GET and HEAD for
/// /metrics, and for /health while the health answer is enabled (health_answer.h), reads each
/// request with a fresh bounded parser under a deadline, and never listens on all interfaces unless
/// configured to.
///
/// Its resource budget (issue 26): at most `kMetricsMaxConnections` connections at once (one
/// more is accepted and closed at once), each read under a 5 s deadline and each connection
/// closed after `kMetricsConnectionLifetime` however it behaves. Running out of descriptors
/// pauses accepting (retried every 100 ms); it never stops the server, probing or the process.
/// packaging/systemd/latchwatch.service's LimitNOFILE leaves room for these and the cycle's own
/// (tests/daemon/hostile_neighbours_test.cpp checks that the two agree).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "probes/net/http_exchange.h"
#include "reporting/sinks/health_answer.h"
#include "reporting/sinks/metrics_sink.h"

namespace latchwatch::reporting {

constexpr std::size_t kMetricsMaxConnections = 32;
constexpr std::chrono::seconds kMetricsConnectionLifetime{30};

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

  net::Endpoint endpoint() const;             ///< the bound address, with the real port
  std::size_t open_connections() const;       ///< connections held now (at most the cap)
  std::uint64_t refused_connections() const;  ///< accepted past the cap and closed at once

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace latchwatch::reporting
