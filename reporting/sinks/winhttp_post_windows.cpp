#include <windows.h>

#include "reporting/sinks/winhttp_post.h"
// (windows.h first: winhttp.h and wincrypt.h need its types.)
#include <wincrypt.h>
#include <winhttp.h>

#include <cstddef>
#include <fstream>
#include <future>
#include <memory>
#include <sstream>
#include <thread>

#include "reporting/sinks/wide_text_windows.h"

namespace latchwatch::reporting {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kPemLimit = 1024 * 1024;

struct InternetCloser {
  void operator()(HINTERNET handle) const {
    if (handle) WinHttpCloseHandle(handle);
  }
};
using Internet = std::unique_ptr<void, InternetCloser>;

struct StoreCloser {
  void operator()(HCERTSTORE store) const {
    if (store) CertCloseStore(store, 0);
  }
};
using Store = std::unique_ptr<void, StoreCloser>;

net::Response failed(net::Failure failure, std::string error) {
  net::Response response;
  response.failure = failure;
  response.error = std::move(error);
  return response;
}

/// WinHTTP's error codes mapped onto the exchange's failure kinds (the same outcomes the Beast
/// exchange reports on Linux).
net::Response from_error(DWORD code, const std::string& what) {
  net::Failure failure = net::Failure::protocol;
  switch (code) {
    case ERROR_WINHTTP_TIMEOUT:
      failure = net::Failure::timeout;
      break;
    case ERROR_WINHTTP_CANNOT_CONNECT:
      failure = net::Failure::refused;
      break;
    case ERROR_WINHTTP_NAME_NOT_RESOLVED:
      failure = net::Failure::resolve;
      break;
    case ERROR_WINHTTP_CONNECTION_ERROR:
      failure = net::Failure::reset;
      break;
    case ERROR_WINHTTP_SECURE_FAILURE:
    case ERROR_WINHTTP_SECURE_CERT_CN_INVALID:
    case ERROR_WINHTTP_SECURE_CERT_DATE_INVALID:
    case ERROR_WINHTTP_SECURE_INVALID_CA:
    case ERROR_WINHTTP_SECURE_CERT_REV_FAILED:
    case ERROR_WINHTTP_SECURE_CHANNEL_ERROR:
    case ERROR_WINHTTP_SECURE_INVALID_CERT:
    case ERROR_WINHTTP_SECURE_CERT_REVOKED:
    case ERROR_WINHTTP_SECURE_CERT_WRONG_USAGE:
      failure = net::Failure::tls;
      break;
    default:
      break;
  }
  return failed(failure,
                what + ": " + net::to_string(failure) + ", WinHTTP error " + std::to_string(code));
}

/// Sets every WinHTTP timeout of `handle` to what remains until `deadline`; false once it passed.
bool arm(HINTERNET handle, Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) return false;
  int ms = static_cast<int>(std::min<long long>(left.count(), 0x7FFFFFFF));
  return WinHttpSetTimeouts(handle, ms, ms, ms, ms) != 0;
}

/// The server's chain must end at one of `roots` (an exclusive root store), without error.
std::string chain_ends_at(HINTERNET request, HCERTSTORE roots) {
  PCCERT_CONTEXT server = nullptr;
  DWORD size = sizeof server;
  if (!WinHttpQueryOption(request, WINHTTP_OPTION_SERVER_CERT_CONTEXT, &server, &size) || !server)
    return "the server sent no certificate";
  CERT_CHAIN_ENGINE_CONFIG config{};
  config.cbSize = sizeof config;
  config.hExclusiveRoot = roots;
  HCERTCHAINENGINE engine = nullptr;
  std::string error;
  bool created = CertCreateCertificateChainEngine(&config, &engine);
  if (!created && GetLastError() == static_cast<DWORD>(E_INVALIDARG)) {
    // Windows 7's size of the structure (without dwExclusiveFlags), which wine also takes.
    config.cbSize = offsetof(CERT_CHAIN_ENGINE_CONFIG, dwExclusiveFlags);
    created = CertCreateCertificateChainEngine(&config, &engine);
  }
  if (!created) {
    error = "cannot build a chain engine: " + win32_message(GetLastError());
  } else {
    CERT_CHAIN_PARA para{};
    para.cbSize = sizeof para;
    PCCERT_CHAIN_CONTEXT chain = nullptr;
    // The server's own intermediates come with its certificate (server->hCertStore).
    if (!CertGetCertificateChain(engine, server, nullptr, server->hCertStore, &para, 0, nullptr,
                                 &chain)) {
      error = "cannot build the certificate chain: " + win32_message(GetLastError());
    } else {
      DWORD status = chain->TrustStatus.dwErrorStatus;
      if (status != CERT_TRUST_NO_ERROR)
        error = "the certificate does not chain to the configured CA file (trust status 0x" +
                [](DWORD v) {
                  char text[16];
                  std::snprintf(text, sizeof text, "%lx", static_cast<unsigned long>(v));
                  return std::string(text);
                }(status) +
                ")";
      CertFreeCertificateChain(chain);
    }
    CertFreeCertificateChainEngine(engine);
  }
  CertFreeCertificateContext(server);
  return error;
}

std::wstring header_block(const net::Request& request) {
  std::string block;
  for (const auto& [name, value] : request.headers) block += name + ": " + value + "\r\n";
  return widen(block);
}

void read_headers(HINTERNET request, net::Response& response) {
  DWORD size = 0;
  WinHttpQueryHeaders(request, WINHTTP_QUERY_RAW_HEADERS_CRLF, WINHTTP_HEADER_NAME_BY_INDEX,
                      WINHTTP_NO_OUTPUT_BUFFER, &size, WINHTTP_NO_HEADER_INDEX);
  if (size == 0 || size > 64 * 1024) return;
  std::wstring raw(size / sizeof(wchar_t), L'\0');
  if (!WinHttpQueryHeaders(request, WINHTTP_QUERY_RAW_HEADERS_CRLF, WINHTTP_HEADER_NAME_BY_INDEX,
                           raw.data(), &size, WINHTTP_NO_HEADER_INDEX))
    return;
  std::istringstream lines(narrow(raw.substr(0, size / sizeof(wchar_t))));
  std::string line;
  std::getline(lines, line);  // the status line
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    response.headers[name] = value;
  }
}

/// The exchange on an open request handle (the caller's watchdog may close it at the deadline).
net::Response exchange(HINTERNET handle, const Url& url, const net::Request& request,
                       const WinHttpOptions& options, HCERTSTORE roots, Clock::time_point deadline,
                       const std::string& where) {
  const auto started = Clock::now();
  if (url.tls) {
    DWORD flags = 0;
    if (!options.verify_tls)
      flags = SECURITY_FLAG_IGNORE_UNKNOWN_CA | SECURITY_FLAG_IGNORE_CERT_DATE_INVALID |
              SECURITY_FLAG_IGNORE_CERT_CN_INVALID | SECURITY_FLAG_IGNORE_CERT_WRONG_USAGE;
    else if (roots)
      flags = SECURITY_FLAG_IGNORE_UNKNOWN_CA;  // the chain is checked against ca_file below
    if (flags && !WinHttpSetOption(handle, WINHTTP_OPTION_SECURITY_FLAGS, &flags, sizeof flags))
      return from_error(GetLastError(), where);
  }
  const std::wstring headers = header_block(request);
  const DWORD body_size = static_cast<DWORD>(request.body.size());
  // Headers first, without the body: with a CA file the body leaves only after the chain check.
  if (!arm(handle, deadline)) return failed(net::Failure::timeout, where + ": timeout");
  if (!WinHttpSendRequest(handle, headers.c_str(), static_cast<DWORD>(headers.size()),
                          WINHTTP_NO_REQUEST_DATA, 0, body_size, 0))
    return from_error(GetLastError(), where);
  if (roots) {
    if (auto error = chain_ends_at(handle, roots); !error.empty())
      return failed(net::Failure::tls, where + ": " + error);
  }
  net::Response response;
  response.timings.connect_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  for (DWORD written_total = 0; written_total < body_size;) {
    DWORD written = 0;
    if (!arm(handle, deadline)) return failed(net::Failure::timeout, where + ": timeout");
    if (!WinHttpWriteData(handle, request.body.data() + written_total, body_size - written_total,
                          &written) ||
        written == 0)
      return from_error(GetLastError(), where);
    written_total += written;
  }
  if (!arm(handle, deadline)) return failed(net::Failure::timeout, where + ": timeout");
  if (!WinHttpReceiveResponse(handle, nullptr)) return from_error(GetLastError(), where);
  response.timings.first_byte_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  DWORD status = 0, size = sizeof status;
  WinHttpQueryHeaders(handle, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                      WINHTTP_HEADER_NAME_BY_INDEX, &status, &size, WINHTTP_NO_HEADER_INDEX);
  response.status = static_cast<int>(status);
  read_headers(handle, response);
  for (;;) {
    if (!arm(handle, deadline)) return failed(net::Failure::timeout, where + ": timeout");
    char buffer[4096];
    DWORD got = 0;
    if (!WinHttpReadData(handle, buffer, sizeof buffer, &got))
      return from_error(GetLastError(), where);
    if (got == 0) break;
    if (response.body.size() + got > options.body_limit)
      return failed(net::Failure::too_large, where + ": response body over " +
                                                 std::to_string(options.body_limit) + " bytes");
    response.body.append(buffer, got);
  }
  response.timings.total_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  return response;
}

}  // namespace

std::string load_pem_store(const std::string& path, void*& store_out) {
  std::ifstream in(widen(path).c_str(), std::ios::binary);
  std::string text;
  char chunk[4096];
  while (in && text.size() <= kPemLimit) {
    in.read(chunk, sizeof chunk);
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
  }
  if (!in.eof())
    return path + (text.size() > kPemLimit ? ": larger than 1 MiB" : ": cannot be read");
  Store store(CertOpenStore(CERT_STORE_PROV_MEMORY, 0, 0, 0, nullptr));
  if (!store) return "cannot open a certificate store: " + win32_message(GetLastError());
  const std::string begin = "-----BEGIN CERTIFICATE-----", end = "-----END CERTIFICATE-----";
  int added = 0;
  for (std::size_t at = text.find(begin); at != std::string::npos; at = text.find(begin, at)) {
    std::size_t stop = text.find(end, at);
    if (stop == std::string::npos) break;
    std::string block = text.substr(at, stop + end.size() - at);
    DWORD size = 0;
    if (CryptStringToBinaryA(block.c_str(), static_cast<DWORD>(block.size()),
                             CRYPT_STRING_BASE64HEADER, nullptr, &size, nullptr, nullptr)) {
      std::string der(size, '\0');
      if (CryptStringToBinaryA(block.c_str(), static_cast<DWORD>(block.size()),
                               CRYPT_STRING_BASE64HEADER, reinterpret_cast<BYTE*>(der.data()),
                               &size, nullptr, nullptr) &&
          CertAddEncodedCertificateToStore(store.get(), X509_ASN_ENCODING,
                                           reinterpret_cast<const BYTE*>(der.data()), size,
                                           CERT_STORE_ADD_REPLACE_EXISTING, nullptr))
        ++added;
    }
    at = stop + end.size();
  }
  if (added == 0) return path + ": no PEM certificate in it";
  store_out = store.release();
  return {};
}

void free_pem_store(void* store) { StoreCloser()(store); }

namespace {

/// The whole exchange, on the calling thread; WinHTTP's own timeouts re-armed per phase.
net::Response post_now(const Url& url, const net::Request& request, const WinHttpOptions& options,
                       Clock::time_point deadline) {
  Store roots;
  if (url.tls && options.verify_tls && !options.ca_file.empty()) {
    void* store = nullptr;
    if (auto error = load_pem_store(options.ca_file, store); !error.empty())
      return failed(net::Failure::tls, "webhook CA " + error);
    roots.reset(store);
  }
  const std::string where = url.endpoint.to_string();
  Internet session(WinHttpOpen(L"latchwatch", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                               WINHTTP_NO_PROXY_BYPASS, 0));
  if (!session) return from_error(GetLastError(), where);
  Internet connection(
      WinHttpConnect(session.get(), widen(url.endpoint.host).c_str(), url.endpoint.port, 0));
  if (!connection) return from_error(GetLastError(), where);
  Internet handle(WinHttpOpenRequest(
      connection.get(),
      request.method == net::Method::post  ? L"POST"
      : request.method == net::Method::put ? L"PUT"
                                           : L"GET",
      widen(request.target.empty() ? url.path : request.target).c_str(), nullptr,
      WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, url.tls ? WINHTTP_FLAG_SECURE : 0));
  if (!handle) return from_error(GetLastError(), where);
  return exchange(handle.get(), url, request, options, roots.get(), deadline, where);
}

}  // namespace

net::Response winhttp_post(const Url& url, const net::Request& request,
                           const WinHttpOptions& options) {
  const auto deadline = Clock::now() + options.timeout;
  // WinHTTP's timeouts are per phase, and under wine a TLS handshake with a silent peer is not
  // bounded by them at all: the exchange runs on a worker of its own and the caller waits for it
  // until the deadline, never longer. A worker still blocked then finishes (or fails) on its own,
  // owning everything it uses; its late answer is dropped.
  auto answer = std::make_shared<std::promise<net::Response>>();
  std::future<net::Response> result = answer->get_future();
  std::thread([answer, url, request, options, deadline] {
    answer->set_value(post_now(url, request, options, deadline));
  }).detach();
  if (result.wait_until(deadline + std::chrono::milliseconds(50)) == std::future_status::ready)
    return result.get();
  return failed(net::Failure::timeout, url.endpoint.to_string() + ": timeout after " +
                                           std::to_string(options.timeout.count()) + " ms");
}

}  // namespace latchwatch::reporting
