#include "reporting/sinks/url.h"

namespace latchwatch::reporting {
namespace {

constexpr const char* kMask = "********";

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

}  // namespace

bool parse_url(const std::string& text, Url& out, std::string& error) {
  // CR LF in a URL would end the request line: whatever follows becomes a header.
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) == 0x7f) {
      error = "URL holds a space or control character (CR, LF...)";
      return false;
    }
  std::string rest;
  if (text.rfind("https://", 0) == 0) {
    out.tls = true;
    rest = text.substr(8);
  } else if (text.rfind("http://", 0) == 0) {
    out.tls = false;
    rest = text.substr(7);
  } else {
    error = "URL must start with http:// or https://";
    return false;
  }
  // The authority ends at the path, the query or the fragment, whichever comes first.
  auto end = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, end);
  out.path = end == std::string::npos ? "/" : rest.substr(end);
  if (!out.path.empty() && out.path.front() != '/') out.path = "/" + out.path;
  if (auto hash = out.path.find('#'); hash != std::string::npos) out.path.resize(hash);
  if (authority.find('@') != std::string::npos) {
    error = "credentials in the URL's userinfo are not supported; use the token or secret options";
    return false;
  }
  bool bracketed = !authority.empty() && authority.front() == '[';
  auto colon = authority.rfind(':');
  bool has_port = colon != std::string::npos && (!bracketed || colon > authority.find(']'));
  std::string with_port = has_port ? authority : authority + (out.tls ? ":443" : ":80");
  return net::parse_endpoint(with_port, out.endpoint, error);
}

std::string mask_url(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) {  // not a URL: mask whatever follows a '@' or '?'
    auto cut = url.find_first_of("?@");
    return cut == std::string::npos ? url : url.substr(0, cut + 1) + kMask;
  }
  const std::size_t start = scheme + 3;
  auto end = url.find_first_of("/?#", start);
  if (end == std::string::npos) end = url.size();
  std::string authority = url.substr(start, end - start);
  if (auto at = authority.rfind('@'); at != std::string::npos)
    authority = std::string(kMask) + authority.substr(at);
  std::string rest = url.substr(end);
  if (auto query = rest.find_first_of("?#"); query != std::string::npos)
    rest = rest.substr(0, query + 1) + kMask;
  return url.substr(0, start) + authority + rest;
}

std::string mask_secrets_in(std::string text, const std::string& url) {
  if (url.empty()) return text;
  replace_all(text, url, mask_url(url));
  auto scheme = url.find("://");
  std::size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  if (auto query = url.find_first_of("?#", start); query != std::string::npos)
    replace_all(text, url.substr(query + 1), kMask);
  auto authority_end = url.find_first_of("/?#", start);
  std::string authority = url.substr(
      start, authority_end == std::string::npos ? std::string::npos : authority_end - start);
  if (auto at = authority.rfind('@'); at != std::string::npos)
    replace_all(text, authority.substr(0, at), kMask);
  return text;
}

}  // namespace latchwatch::reporting
