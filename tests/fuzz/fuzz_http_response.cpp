// Raw bytes through Beast's response parser exactly as the probe client drives it: the header
// first without eager parsing (async_read_header), then the body eagerly (async_read), with the
// client's limits, over an in-memory buffer. Never a crash, never an allocation sized by the
// peer's Content-Length, and a parsed body never exceeds the limit.
//
// Driving the header non-eagerly matters: Boost 1.74's response parser, when eager, reports a
// Content-Length over body_limit and then carries on into the body, reserving the declared size.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace {

namespace http = boost::beast::http;

/// Feeds `bytes` to the parser until it stops making progress, as Beast's read loop does.
void feed(http::response_parser<http::string_body>& parser, const unsigned char*& data,
          std::size_t& size, bool until_header, boost::beast::error_code& ec) {
  while (size > 0) {
    if (until_header ? parser.is_header_done() : parser.is_done()) return;
    std::size_t used = parser.put(boost::asio::buffer(data, size), ec);
    data += used;
    size -= used;
    if (ec == http::error::need_more) {
      ec = {};
      return;
    }
    if (ec || used == 0) return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  constexpr std::size_t kBodyLimit = 64 * 1024;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kBodyLimit);
  parser.header_limit(16 * 1024);
  boost::beast::error_code ec;
  parser.eager(false);
  feed(parser, data, size, /*until_header=*/true, ec);
  if (ec || !parser.is_header_done()) return 0;
  parser.eager(true);
  feed(parser, data, size, /*until_header=*/false, ec);
  if (!ec && parser.is_done() && parser.get().body().size() > kBodyLimit) __builtin_trap();
  return 0;
}
