#pragma once
/// A minimal http(s) URL, enough for sink endpoints: scheme, host, port, path (with its query).
///
/// A URL's query string and userinfo are credentials (a Logic App's `sig=`, a storage SAS), so
/// every text that shows a URL goes through `mask_url`, and every error that might quote one
/// through `mask_secrets_in`.

#include <string>

#include "probes/net/http_exchange.h"

namespace latchwatch::reporting {

struct Url {
  bool tls = false;
  net::Endpoint endpoint;
  std::string path = "/";  ///< origin-form, with query when given
};

/// Parses "http://host[:port][/path][?query]" or "https://...". Returns false and sets `error`
/// otherwise; the error never quotes the query or userinfo.
bool parse_url(const std::string& text, Url& out, std::string& error);

/// The URL with its userinfo and query string (and fragment) replaced by "********":
/// "https://h/p?sig=x" -> "https://h/p?********". Text that is not a URL is masked whole after
/// its first '?' or '@'.
std::string mask_url(const std::string& url);

/// `text` with every occurrence of the secret parts of `url` (its query, userinfo, and the URL
/// itself) replaced by their masked form; for errors from below that might quote a request.
std::string mask_secrets_in(std::string text, const std::string& url);

}  // namespace latchwatch::reporting
