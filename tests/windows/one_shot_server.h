#pragma once
// A one-connection HTTP server on 127.0.0.1 (a port the OS picks) for the Windows tests of the
// sinks that POST: reads one request and answers `answer`; or, for a peer expected to speak TLS,
// keeps the first bytes it sent. Boost.Asio, synchronous, on a thread of its own.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <future>
#include <string>

namespace latchwatch::testing {

namespace asio = boost::asio;
using asio::ip::tcp;

struct Received {
  std::string head;  ///< request line and headers
  std::string body;
  std::string raw;  ///< for a peer that does not speak HTTP: the first bytes seen
};

/// Accepts one connection on 127.0.0.1 (a free port the OS picks), reads one request, answers.
class OneShotServer {
 public:
  explicit OneShotServer(bool http, std::string answer =
                                        "HTTP/1.1 204 No Content\r\n"
                                        "Connection: close\r\n\r\n")
      : answer_(std::move(answer)),
        acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    result_ = std::async(std::launch::async, [this, http] { return serve(http); });
  }
  std::uint16_t port() const { return port_; }
  Received received() { return result_.get(); }

 private:
  Received serve(bool http) {
    Received got;
    boost::system::error_code ec;
    tcp::socket socket(io_);
    acceptor_.accept(socket, ec);
    if (ec) return got;
    if (!http) {
      char bytes[4096];
      std::size_t n = socket.read_some(asio::buffer(bytes), ec);
      got.raw.assign(bytes, n);
      asio::write(socket, asio::buffer(std::string("HTTP/1.1 200 OK\r\n\r\n")), ec);
      return got;  // closes: not TLS
    }
    asio::streambuf buffer;
    std::size_t head_size = asio::read_until(socket, buffer, "\r\n\r\n", ec);
    if (ec) return got;
    std::string data{asio::buffers_begin(buffer.data()), asio::buffers_end(buffer.data())};
    got.head = data.substr(0, head_size);
    std::size_t length = 0;
    auto at = got.head.find("Content-Length: ");
    if (at == std::string::npos) at = got.head.find("content-length: ");
    if (at != std::string::npos) length = std::stoul(got.head.substr(at + 16));
    got.body = data.substr(head_size);
    if (got.body.size() < length) {
      std::string rest(length - got.body.size(), '\0');
      asio::read(socket, asio::buffer(rest), ec);
      got.body += rest;
    }
    asio::write(socket, asio::buffer(answer_), ec);
    return got;
  }

  std::string answer_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::future<Received> result_;
};

}  // namespace latchwatch::testing
