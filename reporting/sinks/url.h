#pragma once
/// A minimal http(s) URL, enough for sink endpoints: scheme, host, port, path.

#include <string>

#include "probes/net/http_exchange.h"

namespace latchwatch::reporting {

struct Url {
  bool tls = false;
  net::Endpoint endpoint;
  std::string path = "/";  ///< origin-form, with query when given
};

/// Parses "http://host[:port][/path]" or "https://...". Returns false and sets `error` otherwise.
bool parse_url(const std::string& text, Url& out, std::string& error);

}  // namespace latchwatch::reporting
