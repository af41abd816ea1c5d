#pragma once
/// A hostile peer for client tests: a plain POSIX TCP server on 127.0.0.1:0 whose connection
/// handler writes whatever bytes a test wants (lies, resets, silence). One thread per server;
/// connections are handled one after another.

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "probes/net/http_exchange.h"

namespace latchwatch::testing {

class RawServer {
 public:
  /// `handler` gets the accepted socket; the server closes it after the handler returns unless
  /// the handler closed it itself (set the fd to -1 then).
  explicit RawServer(std::function<void(int& fd)> handler);
  ~RawServer();
  RawServer(const RawServer&) = delete;
  RawServer& operator=(const RawServer&) = delete;

  net::Endpoint endpoint() const { return {"127.0.0.1", port_}; }
  int connections() const { return connections_.load(); }

 private:
  void serve();
  std::function<void(int&)> handler_;
  int listen_fd_ = -1;
  int wake_fds_[2] = {-1, -1};
  std::uint16_t port_ = 0;
  std::atomic<int> connections_{0};
  std::thread thread_;
};

/// Reads one request header (until CRLFCRLF, at most 64 KiB) so the client's write completes.
std::string read_request_head(int fd);
void write_all(int fd, const std::string& bytes);
/// Closes with SO_LINGER 0, so the peer sees a TCP reset.
void reset_connection(int& fd);

}  // namespace latchwatch::testing
