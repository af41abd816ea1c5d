// The one Beast server translation unit of the product: shaped like Beast's advanced_server
// example, reduced to GET/HEAD /metrics and /health.

#include "reporting/sinks/metrics_server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
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

class Connection : public std::enable_shared_from_this<Connection> {
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  http::response<http::string_body> response_;
  std::shared_ptr<MetricsText> text_;
  std::shared_ptr<HealthAnswer> health_;

 public:
  Connection(tcp::socket socket, std::shared_ptr<MetricsText> text,
             std::shared_ptr<HealthAnswer> health)
      : stream_(std::move(socket)), text_(std::move(text)), health_(std::move(health)) {}

  void run() { read(); }

 private:
  void read() {
    parser_.emplace();  // a fresh parser per message, with small limits
    parser_->header_limit(8 * 1024);
    parser_->body_limit(1024);
    stream_.expires_after(kReadDeadline);
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
    if (ec || !response_.keep_alive()) return close();
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
  std::thread thread;

  void accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) std::make_shared<Connection>(std::move(socket), text, health)->run();
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
    impl_->ioc.stop();
  });
  impl_->thread.join();
}

net::Endpoint MetricsServer::endpoint() const {
  auto local = impl_->acceptor.local_endpoint();
  return {local.address().to_string(), local.port()};
}

}  // namespace latchwatch::reporting
