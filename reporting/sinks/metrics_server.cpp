// The one Beast server translation unit of the product: shaped like Beast's advanced_server
// example, reduced to GET/HEAD /metrics and /health.

#include "reporting/sinks/metrics_server.h"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <stdexcept>
#include <thread>

namespace latchwatch::reporting {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kReadDeadline = std::chrono::seconds(5);

/// Counts the connections alive; shared by the server and every connection.
struct Budget {
  std::atomic<std::size_t> open{0};
  std::atomic<std::uint64_t> refused{0};
};

class Connection : public std::enable_shared_from_this<Connection> {
  std::shared_ptr<Budget> budget_;
  std::chrono::steady_clock::time_point closes_at_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  http::response<http::string_body> response_;
  std::shared_ptr<MetricsText> text_;
  std::shared_ptr<HealthAnswer> health_;

 public:
  Connection(tcp::socket socket, std::shared_ptr<MetricsText> text,
             std::shared_ptr<HealthAnswer> health, std::shared_ptr<Budget> budget)
      : budget_(std::move(budget)),
        closes_at_(std::chrono::steady_clock::now() + kMetricsConnectionLifetime),
        stream_(std::move(socket)),
        text_(std::move(text)),
        health_(std::move(health)) {
    ++budget_->open;
  }
  ~Connection() { --budget_->open; }

  void run() { read(); }

 private:
  void read() {
    parser_.emplace();  // a fresh parser per message, with small limits
    parser_->header_limit(8 * 1024);
    parser_->body_limit(1024);
    // Each read has its deadline, and the connection its lifetime: a client that trickles
    // requests cannot hold a slot for longer.
    stream_.expires_at(std::min(std::chrono::steady_clock::now() + kReadDeadline, closes_at_));
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Connection::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return close();
    const auto& request = parser_->get();
    response_ = {};
    response_.version(request.version());
    response_.keep_alive(request.keep_alive());
    response_.set(http::field::server, "latchwatch");
    if (request.method() != http::verb::get && request.method() != http::verb::head) {
      response_.result(http::status::method_not_allowed);
      response_.set(http::field::allow, "GET, HEAD");
    } else if (request.target() == "/health" && health_ && health_->enabled()) {
      auto reply = health_->reply();
      response_.result(static_cast<http::status>(reply.status));
      response_.set(http::field::content_type, "application/json");
      response_.set(http::field::cache_control, "no-store");
      response_.body() = reply.body + "\n";
    } else if (request.target() != "/metrics") {
      response_.result(http::status::not_found);
      response_.body() = "latchwatch serves /metrics (and /health when enabled) only\n";
    } else {
      response_.result(http::status::ok);
      response_.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      response_.body() = text_->get();
    }
    response_.prepare_payload();
    if (request.method() == http::verb::head) response_.body().clear();
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&Connection::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (ec || !response_.keep_alive() || std::chrono::steady_clock::now() >= closes_at_)
      return close();
    read();
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }
};

}  // namespace

struct MetricsServer::Impl {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::shared_ptr<MetricsText> text;
  std::shared_ptr<HealthAnswer> health;
  std::shared_ptr<Budget> budget = std::make_shared<Budget>();
  asio::steady_timer retry{ioc};
  std::thread thread;

  void accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (ec) {
        // Out of descriptors (EMFILE/ENFILE) or another accept error: pause, never spin, never
        // stop serving; the connections already open end by their deadlines.
        retry.expires_after(std::chrono::milliseconds(100));
        retry.async_wait([this](beast::error_code wait_ec) {
          if (wait_ec != asio::error::operation_aborted) accept();
        });
        return;
      }
      if (budget->open.load() >= kMetricsMaxConnections) {
        ++budget->refused;  // over the cap: closed at once, its descriptor freed
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        std::make_shared<Connection>(std::move(socket), text, health, budget)->run();
      }
      accept();
    });
  }
};

MetricsServer::MetricsServer(const net::Endpoint& listen, std::shared_ptr<MetricsText> text,
                             std::shared_ptr<HealthAnswer> health)
    : impl_(std::make_unique<Impl>()) {
  impl_->text = std::move(text);
  impl_->health = std::move(health);
  beast::error_code ec;
  auto address = asio::ip::make_address(listen.host, ec);
  if (ec) throw std::runtime_error("metrics listen address must be an IP: " + listen.host);
  tcp::endpoint endpoint(address, listen.port);
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("cannot serve metrics on " + listen.to_string() + ": " + ec.message());
  impl_->accept();
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

MetricsServer::~MetricsServer() {
  asio::post(impl_->ioc, [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
    impl_->retry.cancel();
    impl_->ioc.stop();
  });
  impl_->thread.join();
}

std::size_t MetricsServer::open_connections() const { return impl_->budget->open.load(); }

std::uint64_t MetricsServer::refused_connections() const { return impl_->budget->refused.load(); }

net::Endpoint MetricsServer::endpoint() const {
  auto local = impl_->acceptor.local_endpoint();
  return {local.address().to_string(), local.port()};
}

}  // namespace latchwatch::reporting
