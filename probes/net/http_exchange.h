#pragma once
/// One HTTP/1.1 exchange over a real socket, under one deadline, with bounded parsing.
///
/// This header keeps Beast and Asio out of its callers: requests and responses are plain values and
/// the io_context is passed as the opaque `IoContext`. Everything Beast-heavy lives in
/// http_exchange.cpp, compiled once.
///
/// Errors: never throws on network or peer behaviour; every failure is a `Failure` value with a
/// text a person can act on. Thread-safety: an exchange runs on the io_context that it was started
/// on; the callback is invoked exactly once, on that io_context's thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}
}  // namespace boost::asio

namespace latchwatch::net {

using IoContext = boost::asio::io_context;

/// A host (IP literal or DNS name) and a port.
struct Endpoint {
  std::string host;
  std::uint16_t port = 0;

  std::string to_string() const;
  friend bool operator==(const Endpoint& a, const Endpoint& b) {
    return a.host == b.host && a.port == b.port;
  }
};

/// Parses "HOST:PORT" ("[v6]:PORT" too). Returns false and sets `error` on a bad value. Port 0
/// ("any free port") only when `allow_port_zero`, for listening addresses.
bool parse_endpoint(const std::string& text, Endpoint& out, std::string& error,
                    bool allow_port_zero = false);

enum class Method { get, post, put };  /// put: the blob sink's Put Blob only

struct Request {
  Method method = Method::get;
  std::string target;  ///< origin-form path and query, e.g. "/health"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

enum class Failure {
  none,       ///< a complete HTTP response was read (any status)
  refused,    ///< connection refused, or host/network unreachable
  timeout,    ///< the deadline passed (connect, write or read, or DNS)
  reset,      ///< the peer reset or closed the connection before a full response
  too_large,  ///< body or header exceeded its limit
  protocol,   ///< the peer did not speak valid HTTP/1.1
  tls,        ///< TLS handshake or certificate verification failed
  resolve,    ///< the host name did not resolve
};

const char* to_string(Failure f);

struct Timings {
  double connect_ms = -1;     ///< TCP connect (and TLS handshake) done; -1 if never reached
  double first_byte_ms = -1;  ///< response header complete; -1 if never reached
  double total_ms = 0;        ///< until the exchange ended, however it ended
};

struct Response {
  Failure failure = Failure::none;
  std::string error;  ///< empty when failure == none
  int status = 0;
  /// Header fields, names lower-cased. A repeated field keeps its last value.
  std::map<std::string, std::string> headers;
  std::string body;
  Timings timings;

  bool has_header(const std::string& lower_name) const { return headers.count(lower_name) != 0; }
  std::string header(const std::string& lower_name) const;
};

struct Options {
  std::chrono::milliseconds budget{2000};  ///< one deadline for the whole exchange
  std::size_t body_limit = 1024 * 1024;
  std::size_t header_limit = 16 * 1024;
  /// When set, the exchange runs over TLS with this context (verification per the context);
  /// the host name is checked against the certificate and sent as SNI.
  boost::asio::ssl::context* tls = nullptr;
};

using Callback = std::function<void(Response)>;

/// Starts one exchange; returns at once. `callback` runs on `ioc` when the exchange ends.
void async_exchange(IoContext& ioc, const Endpoint& endpoint, Request request,
                    const Options& options, Callback callback);

/// Convenience for callers without an io_context of their own: runs one exchange to completion.
Response exchange(const Endpoint& endpoint, Request request, const Options& options);

}  // namespace latchwatch::net
