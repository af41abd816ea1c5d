#include "reporting/sinks/url.h"

namespace latchwatch::reporting {

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
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  out.path = slash == std::string::npos ? "/" : rest.substr(slash);
  if (authority.find('@') != std::string::npos) {
    error = "credentials in the URL are not supported; use the token or secret options";
    return false;
  }
  bool bracketed = !authority.empty() && authority.front() == '[';
  auto colon = authority.rfind(':');
  bool has_port = colon != std::string::npos && (!bracketed || colon > authority.find(']'));
  std::string with_port = has_port ? authority : authority + (out.tls ? ":443" : ":80");
  return net::parse_endpoint(with_port, out.endpoint, error);
}

}  // namespace latchwatch::reporting
