#include <boost/asio/ssl/context.hpp>

#include "reporting/sinks/webhook_transport.h"

namespace latchwatch::reporting {
namespace {

class BeastTransport : public WebhookTransport {
 public:
  explicit BeastTransport(std::unique_ptr<boost::asio::ssl::context> tls) : tls_(std::move(tls)) {}
  net::Response post(const Url& url, net::Request request, std::chrono::milliseconds timeout,
                     std::size_t body_limit) override {
    net::Options options;
    options.budget = timeout;
    options.body_limit = body_limit;
    options.tls = tls_.get();
    return net::exchange(url.endpoint, std::move(request), options);
  }

 private:
  std::unique_ptr<boost::asio::ssl::context> tls_;
};

}  // namespace

std::unique_ptr<WebhookTransport> make_webhook_transport(const Url& url,
                                                         const WebhookTlsOptions& tls,
                                                         std::string& error) {
  namespace ssl = boost::asio::ssl;
  std::unique_ptr<ssl::context> context;
  if (url.tls) {
    context = std::make_unique<ssl::context>(ssl::context::tls_client);
    boost::system::error_code ec;
    if (tls.verify_tls) {
      context->set_verify_mode(ssl::verify_peer);
      if (tls.ca_file.empty())
        context->set_default_verify_paths(ec);
      else
        context->load_verify_file(tls.ca_file, ec);
      if (ec) error = "webhook CA " + tls.ca_file + ": " + ec.message();
    } else {
      context->set_verify_mode(ssl::verify_none);
    }
  }
  return std::make_unique<BeastTransport>(std::move(context));
}

}  // namespace latchwatch::reporting
