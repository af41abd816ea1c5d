// The only translation unit of the product that instantiates Beast's HTTP client machinery.
// Shaped like Beast's http_client_async example: one session object, handlers in execution order,
// each handler opening with `if (ec) return finish(...)`.

#include "probes/net/http_exchange.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#ifdef LATCHWATCH_HAVE_OPENSSL  // Linux; Windows sends TLS through WinHTTP (reporting/sinks)
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#endif
#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>
#include <cctype>
#include <memory>
#include <optional>

namespace latchwatch::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
#ifdef LATCHWATCH_HAVE_OPENSSL
namespace ssl = asio::ssl;
#endif
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

std::string Endpoint::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

bool parse_endpoint(const std::string& text, Endpoint& out, std::string& error,
                    bool allow_port_zero) {
  std::string host;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      error = "expected [IPv6]:PORT, got '" + text + "'";
      return false;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) {
      error = "expected HOST:PORT, got '" + text + "'";
      return false;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty()) {
    error = "empty host in '" + text + "'";
    return false;
  }
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); })) {
    error = "port must be a number from 1 to 65535 in '" + text + "'";
    return false;
  }
  unsigned long value = std::stoul(port);
  if ((value == 0 && !allow_port_zero) || value > 65535) {
    error = "port must be a number from 1 to 65535 in '" + text + "'";
    return false;
  }
  out.host = host;
  out.port = static_cast<std::uint16_t>(value);
  return true;
}

const char* to_string(Failure f) {
  switch (f) {
    case Failure::none:
      return "none";
    case Failure::refused:
      return "refused";
    case Failure::timeout:
      return "timeout";
    case Failure::reset:
      return "reset";
    case Failure::too_large:
      return "too_large";
    case Failure::protocol:
      return "protocol";
    case Failure::tls:
      return "tls";
    case Failure::resolve:
      return "resolve";
  }
  return "unknown";
}

std::string Response::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

namespace {

enum class Stage { resolve, connect, handshake, write, read_header, read_body };

const char* stage_name(Stage s) {
  switch (s) {
    case Stage::resolve:
      return "resolving the host";
    case Stage::connect:
      return "connecting";
    case Stage::handshake:
      return "the TLS handshake";
    case Stage::write:
      return "sending the request";
    case Stage::read_header:
      return "reading the response header";
    case Stage::read_body:
      return "reading the response body";
  }
  return "?";
}

Failure classify(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return Failure::timeout;
  if (ec == asio::error::connection_refused || ec == asio::error::host_unreachable ||
      ec == asio::error::network_unreachable || ec == boost::system::errc::address_not_available)
    return Failure::refused;
  if (ec == http::error::body_limit || ec == http::error::header_limit ||
      ec == http::error::buffer_overflow)
    return Failure::too_large;
  if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
      ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == asio::error::broken_pipe || ec == asio::error::connection_aborted)
    return Failure::reset;
#ifdef LATCHWATCH_HAVE_OPENSSL
  if (ec == ssl::error::stream_truncated) return Failure::reset;
  if (ec.category() == asio::error::get_ssl_category()) return Failure::tls;
#endif
  if (ec.category() == beast::http::make_error_code(http::error::bad_version).category())
    return Failure::protocol;
  return Failure::reset;
}

http::verb to_verb(Method m) {
  return m == Method::post  ? http::verb::post
         : m == Method::put ? http::verb::put
                            : http::verb::get;
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

/// Plain TCP or TLS over TCP; everything else in the session is the same.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  Stream stream_;
  tcp::resolver resolver_;
  asio::steady_timer resolve_timer_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  std::optional<http::response_parser<http::string_body>> parser_;
  Endpoint endpoint_;
  Options options_;
  Callback callback_;
  Clock::time_point start_;
  Clock::time_point deadline_;
  Response response_;
  bool done_ = false;

 public:
  template <class... StreamArgs>
  Session(asio::io_context& ioc, const Endpoint& endpoint, Request request, const Options& options,
          Callback callback, StreamArgs&&... stream_args)
      : stream_(std::forward<StreamArgs>(stream_args)...),
        resolver_(ioc),
        resolve_timer_(ioc),
        endpoint_(endpoint),
        options_(options),
        callback_(std::move(callback)) {
    request_.method(to_verb(request.method));
    request_.target(request.target);
    request_.version(11);
    request_.set(http::field::host, endpoint.to_string());
    request_.set(http::field::user_agent, "latchwatch/" LATCHWATCH_VERSION);
    for (auto& [name, value] : request.headers) request_.set(name, value);
    if (request.method != Method::get || !request.body.empty()) {
      request_.body() = std::move(request.body);
      request_.prepare_payload();
    }
    parser_.emplace();
    parser_->body_limit(options_.body_limit);
    parser_->header_limit(static_cast<std::uint32_t>(options_.header_limit));
  }

  void run() {
    start_ = Clock::now();
    deadline_ = start_ + options_.budget;
    beast::error_code ec;
    auto address = asio::ip::make_address(endpoint_.host, ec);
    if (!ec) return connect({tcp::endpoint(address, endpoint_.port)});
    // Nothing in Beast bounds DNS, so a timer of our own cancels the resolver at the deadline.
    resolve_timer_.expires_at(deadline_);
    resolve_timer_.async_wait([self = this->shared_from_this()](beast::error_code timer_ec) {
      if (!timer_ec) self->resolver_.cancel();
    });
    resolver_.async_resolve(
        endpoint_.host, std::to_string(endpoint_.port),
        beast::bind_front_handler(&Session::on_resolve, this->shared_from_this()));
  }

 private:
  void on_resolve(beast::error_code ec, tcp::resolver::results_type results) {
    resolve_timer_.cancel();
    if (ec == asio::error::operation_aborted) return finish(beast::error::timeout, Stage::resolve);
    if (ec) return finish(ec, Stage::resolve);
    std::vector<tcp::endpoint> endpoints;
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    connect(endpoints);
  }

  void connect(const std::vector<tcp::endpoint>& endpoints) {
    // One deadline for connect, handshake, write and read: the probe's whole budget.
    beast::get_lowest_layer(stream_).expires_at(deadline_);
    beast::get_lowest_layer(stream_).async_connect(
        endpoints, beast::bind_front_handler(&Session::on_connect, this->shared_from_this()));
  }

  void on_connect(beast::error_code ec, const tcp::endpoint&) {
    if (ec) return finish(ec, Stage::connect);
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      response_.timings.connect_ms = ms_since(start_);
      write();
    } else {
#ifdef LATCHWATCH_HAVE_OPENSSL
      if (!SSL_set_tlsext_host_name(stream_.native_handle(), endpoint_.host.c_str()))
        return finish(
            beast::error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()),
            Stage::handshake);
      stream_.set_verify_callback(ssl::host_name_verification(endpoint_.host));
      stream_.async_handshake(
          ssl::stream_base::client,
          beast::bind_front_handler(&Session::on_handshake, this->shared_from_this()));
#endif
    }
  }

  void on_handshake(beast::error_code ec) {
    if (ec) return finish(ec, Stage::handshake);
    response_.timings.connect_ms = ms_since(start_);
    write();
  }

  void write() {
    http::async_write(stream_, request_,
                      beast::bind_front_handler(&Session::on_write, this->shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (ec) return finish(ec, Stage::write);
    http::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&Session::on_read_header, this->shared_from_this()));
  }

  void on_read_header(beast::error_code ec, std::size_t) {
    if (ec) return finish(ec, Stage::read_header);
    response_.timings.first_byte_ms = ms_since(start_);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return finish(ec, Stage::read_body);
    finish({}, Stage::read_body);
  }

  void finish(beast::error_code ec, Stage stage) {
    if (done_) return;
    done_ = true;
    response_.timings.total_ms = ms_since(start_);
    if (parser_ && parser_->is_header_done()) {
      const auto& message = parser_->get();
      response_.status = static_cast<int>(message.result_int());
      for (const auto& field : message) {
        std::string name(field.name_string());
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        response_.headers[name] = std::string(field.value());
      }
    }
    if (ec) {
      // A failed lookup is its own outcome (a name that does not resolve), never a "reset".
      response_.failure =
          stage == Stage::resolve && ec != beast::error::timeout ? Failure::resolve : classify(ec);
      response_.error = describe(ec, stage);
    } else {
      response_.body = parser_->release().body();
    }
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream_).close();
    auto callback = std::move(callback_);
    callback(std::move(response_));
  }

  std::string describe(const beast::error_code& ec, Stage stage) const {
    std::string where =
        std::string(" while ") + stage_name(stage) + " (" + endpoint_.to_string() + ")";
    switch (classify(ec)) {
      case Failure::timeout:
        return "no answer within " + std::to_string(options_.budget.count()) + " ms" + where;
      case Failure::refused:
        return "connection refused or unreachable: " + ec.message() + where;
      case Failure::too_large:
        return "response exceeds the limit (" + std::to_string(options_.body_limit) +
               " body bytes, " + std::to_string(options_.header_limit) + " header bytes)" + where;
      default:
        return ec.message() + where;
    }
  }
};

}  // namespace

void async_exchange(IoContext& ioc, const Endpoint& endpoint, Request request,
                    const Options& options, Callback callback) {
  if (options.tls) {
#ifdef LATCHWATCH_HAVE_OPENSSL
    std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
        ioc, endpoint, std::move(request), options, std::move(callback), ioc, *options.tls)
        ->run();
#else
    Response response;
    response.failure = Failure::tls;
    response.error = "TLS is not built into this transport (Windows uses WinHTTP for https)";
    asio::post(ioc, [callback = std::move(callback), response = std::move(response)]() mutable {
      callback(std::move(response));
    });
#endif
  } else {
    std::make_shared<Session<beast::tcp_stream>>(ioc, endpoint, std::move(request), options,
                                                 std::move(callback), ioc)
        ->run();
  }
}

Response exchange(const Endpoint& endpoint, Request request, const Options& options) {
  asio::io_context ioc;
  Response result;
  async_exchange(ioc, endpoint, std::move(request), options,
                 [&result](Response r) { result = std::move(r); });
  ioc.run();
  return result;
}

}  // namespace latchwatch::net
