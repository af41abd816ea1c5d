#include "tests/support/tls_server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <stdexcept>
#include <thread>

#include "tests/support/test_support.h"

namespace latchwatch::testing {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

void make_test_certificate(const std::string& dir) {
  auto result = run_process({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                             "-keyout", dir + "/key.pem", "-out", dir + "/cert.pem", "-days", "2",
                             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"});
  if (result.exit_code != 0) throw std::runtime_error("openssl req failed: " + result.err);
}

struct TlsServer::Impl {
  asio::io_context ioc;
  ssl::context tls{ssl::context::tls_server};
  tcp::acceptor acceptor{ioc};
  mutable std::mutex mutex;
  std::vector<RecordedRequest> requests;
  std::thread thread;
  std::vector<std::thread> connections;  ///< joined on destruction; clients close after a reply

  void accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      std::lock_guard<std::mutex> lock(mutex);
      connections.emplace_back([this, s = std::move(socket)]() mutable { serve(std::move(s)); });
      accept();
    });
  }

  // One blocking connection per thread: simple, and the tests send few requests.
  void serve(tcp::socket socket) {
    beast::error_code ec;
    beast::ssl_stream<tcp::socket> stream(std::move(socket), tls);
    stream.handshake(ssl::stream_base::server, ec);
    if (ec) return;
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> request;
      http::read(stream, buffer, request, ec);
      if (ec) return;
      RecordedRequest recorded{
          std::string(request.method_string()), std::string(request.target()), {}, request.body()};
      for (const auto& field : request) {
        std::string name(field.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        recorded.headers[name] = std::string(field.value());
      }
      {
        std::lock_guard<std::mutex> lock(mutex);
        requests.push_back(std::move(recorded));
      }
      http::response<http::string_body> response{http::status::ok, request.version()};
      response.keep_alive(request.keep_alive());
      response.body() = "ok";
      response.prepare_payload();
      http::write(stream, response, ec);
      if (ec || !request.keep_alive()) break;
    }
    stream.shutdown(ec);
  }
};

TlsServer::TlsServer(const std::string& cert_dir, std::uint16_t port)
    : impl_(std::make_unique<Impl>()) {
  impl_->tls.use_certificate_chain_file(cert_dir + "/cert.pem");
  impl_->tls.use_private_key_file(cert_dir + "/key.pem", ssl::context::pem);
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  impl_->accept();
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

TlsServer::~TlsServer() {
  asio::post(impl_->ioc, [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
    impl_->ioc.stop();
  });
  impl_->thread.join();
  for (auto& connection : impl_->connections) connection.join();
}

net::Endpoint TlsServer::endpoint() const {
  return {"127.0.0.1", impl_->acceptor.local_endpoint().port()};
}

std::vector<RecordedRequest> TlsServer::requests() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->requests;
}

}  // namespace latchwatch::testing
