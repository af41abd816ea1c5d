// The signed webhook on Windows: plain http through the Beast exchange to a loopback server the
// test runs (Boost.Asio on 127.0.0.1), the signature checked against the HMAC seam (CNG); https
// through WinHTTP against a loopback server that does not speak TLS (the handshake must fail
// before any of the report leaves), and a CA file without a certificate refused up front.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cstdlib>
#include <future>
#include <istream>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "reporting/sinks/webhook_sink.h"
#include "reporting/sinks/winhttp_post.h"
#include "tests/support/test_support.h"
#include "tests/windows/one_shot_server.h"

namespace latchwatch::reporting {
namespace {

using testing::OneShotServer;

std::string header(const std::string& head, const std::string& name) {
  auto at = head.find(name + ": ");
  if (at == std::string::npos) return {};
  auto end = head.find("\r\n", at);
  return head.substr(at + name.size() + 2, end - at - name.size() - 2);
}

CycleReport fired() {
  CycleReport r;
  auto code = latchwatch::VerdictCode::key_lost;
  r.report.verdict = {code, latchwatch::info(code).severity, latchwatch::info(code).meaning};
  r.has_confirmed = true;
  r.confirmed = code;
  r.transition = Transition::fired;
  r.cycle = 4;
  return r;
}

const std::string kSecret = "webhook-secret-for-the-windows-test";

TEST(WebhookWindows, PlainHttpDeliveryIsSignedWithTheSameHmacAsLinux) {
  testing::TempDir dir;
  OneShotServer server(true);
  WebhookOptions options;
  options.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/hook";
  options.secret = kSecret;
  options.spool_dir = dir / "spool";
  WebhookSink sink(options);
  ASSERT_TRUE(sink.accept(fired()).ok);
  auto result = sink.publish(fired());
  ASSERT_TRUE(result.ok) << result.error;
  auto got = server.received();
  EXPECT_EQ(got.head.rfind("POST /hook HTTP/1.1\r\n", 0), 0u) << got.head;
  EXPECT_EQ(header(got.head, "X-Latchwatch-Signature"),
            "sha256=" + hmac_sha256_hex(kSecret, got.body));
  EXPECT_EQ(header(got.head, "X-Latchwatch-Delivery").size(), 36u) << got.head;
  auto body = nlohmann::json::parse(got.body);
  EXPECT_EQ(body["transition"], "fired");
  EXPECT_EQ(got.head.find(kSecret), std::string::npos);
  EXPECT_EQ(got.body.find(kSecret), std::string::npos);
  EXPECT_EQ(sink.health()["spool_entries"], 0) << "delivered, so no longer spooled";
}

TEST(WebhookWindows, HttpsThroughWinHttpFailsTheHandshakeBeforeAnyOfTheReportLeaves) {
  testing::TempDir dir;
  OneShotServer server(false);
  WebhookOptions options;
  options.url = "https://127.0.0.1:" + std::to_string(server.port()) + "/hook";
  options.secret = kSecret;
  options.spool_dir = dir / "spool";
  options.timeout = std::chrono::milliseconds(5000);
  WebhookSink sink(options);
  ASSERT_TRUE(sink.accept(fired()).ok);
  auto result = sink.publish(fired());
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error.find(kSecret), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("tls"), std::string::npos) << result.error;
  auto got = server.received();
  ASSERT_FALSE(got.raw.empty());
  EXPECT_EQ(got.raw[0], '\x16') << "a TLS handshake record (ClientHello) came first";
  EXPECT_EQ(got.raw.find("POST"), std::string::npos) << "plain HTTP sent to an https URL";
  EXPECT_EQ(got.raw.find("transition"), std::string::npos);
  EXPECT_EQ(sink.health()["spool_entries"], 1) << "kept for the next try";
}

TEST(WebhookWindows, HttpsToAServerThatNeverAnswersEndsAtTheDeadline) {
  testing::TempDir dir;
  // Accepts, then says nothing: the TLS handshake never completes.
  testing::asio::io_context io;
  testing::tcp::acceptor acceptor(io, {testing::asio::ip::make_address("127.0.0.1"), 0});
  testing::tcp::socket held(io);
  auto accepted = std::async(std::launch::async, [&] {
    boost::system::error_code ec;
    acceptor.accept(held, ec);
  });
  WebhookOptions options;
  options.url = "https://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/hook";
  options.secret = kSecret;
  options.spool_dir = dir / "spool";
  options.timeout = std::chrono::milliseconds(300);
  WebhookSink sink(options);
  ASSERT_TRUE(sink.accept(fired()).ok);
  auto result = sink.publish(fired());
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("timeout"), std::string::npos) << result.error;
  accepted.wait();
}

TEST(WebhookWindows, ACaFileWithoutACertificateIsRefusedBeforeAnyConnection) {
  testing::TempDir dir;
  testing::write_file(dir / "ca.pem", "not a certificate\n");
  WebhookOptions options;
  options.url = "https://127.0.0.1:1/hook";
  options.secret = kSecret;
  options.ca_file = dir / "ca.pem";
  options.spool_dir = dir / "spool";
  WebhookSink sink(options);
  ASSERT_TRUE(sink.accept(fired()).ok);
  auto result = sink.publish(fired());
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("no PEM certificate"), std::string::npos) << result.error;
}

// ---- https through WinHTTP against a real TLS server ------------------------------------------
// tests/windows/winhttp_tls_under_wine.sh makes a CA and a certificate for 127.0.0.1, serves
// HTTPS on the Linux side (tls_server.py) and sets these variables; without them, skipped.
// The URL names "localhost" (127.0.0.1): wine's certificate name check matches DNS names only,
// not IP addresses (Windows' matches both).

struct TlsServer {
  std::string port, ca, other_ca;
  static std::optional<TlsServer> from_environment() {
    const char* port = std::getenv("LATCHWATCH_TLS_PORT");
    const char* ca = std::getenv("LATCHWATCH_TLS_CA");
    const char* other = std::getenv("LATCHWATCH_TLS_OTHER_CA");
    if (!port || !ca || !other) return std::nullopt;
    return TlsServer{port, ca, other};
  }
};

#define NEED_TLS_SERVER(server)                                                               \
  auto server##_found = TlsServer::from_environment();                                        \
  if (!server##_found) GTEST_SKIP() << "run through tests/windows/winhttp_tls_under_wine.sh"; \
  const TlsServer& server = *server##_found

PublishResult deliver_once(const TlsServer& server, const std::string& ca_file, bool verify) {
  testing::TempDir dir;
  WebhookOptions options;
  options.url = "https://localhost:" + server.port + "/hook";
  options.secret = kSecret;
  options.ca_file = ca_file;
  options.verify_tls = verify;
  options.spool_dir = dir / "spool";
  WebhookSink sink(options);
  if (!sink.accept(fired()).ok) return PublishResult::failure("cannot spool");
  return sink.publish(fired());
}

TEST(WinHttpTls, ACaFileVerifiesTheServersChainAndTheSignatureArrives) {
  NEED_TLS_SERVER(server);
  auto result = deliver_once(server, server.ca, true);
  EXPECT_TRUE(result.ok) << result.error;
  Url url;
  std::string error;
  ASSERT_TRUE(parse_url("https://localhost:" + server.port + "/hook", url, error)) << error;
  net::Request request;
  request.method = net::Method::post;
  request.target = url.path;
  request.body = "{\"transition\":\"fired\"}";
  request.headers = {
      {"Content-Type", "application/json"},
      {"X-Latchwatch-Signature", "sha256=" + hmac_sha256_hex(kSecret, request.body)}};
  WinHttpOptions options;
  options.ca_file = server.ca;
  auto response = winhttp_post(url, request, options);
  ASSERT_EQ(response.failure, net::Failure::none) << response.error;
  EXPECT_EQ(response.status, 204);
  EXPECT_EQ(response.header("x-seen-signature"),
            "sha256=" + hmac_sha256_hex(kSecret, request.body));
}

TEST(WinHttpTls, AServerNotChainedToTheCaFileIsRefusedAsTls) {
  NEED_TLS_SERVER(server);
  auto result = deliver_once(server, server.other_ca, true);
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("does not chain to the configured CA file"), std::string::npos)
      << result.error;
}

TEST(WinHttpTls, TheSystemStoreDoesNotTrustATestCa) {
  NEED_TLS_SERVER(server);
  auto result = deliver_once(server, "", true);
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("tls"), std::string::npos) << result.error;
}

TEST(WinHttpTls, VerifyTlsFalseIgnoresCertificateErrors) {
  NEED_TLS_SERVER(server);
  auto result = deliver_once(server, "", false);
  EXPECT_TRUE(result.ok) << result.error;
}

}  // namespace
}  // namespace latchwatch::reporting
