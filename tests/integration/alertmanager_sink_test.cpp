// The Alertmanager sink's re-send is driven by the injected clock: a firing alert is sent once,
// held while the clock stands still, and re-sent once the interval has passed on the clock. A
// plain loopback server counts the POSTs; no test waits for real time to pass.

#include "reporting/sinks/alertmanager_sink.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "tests/support/manual_clock.h"
#include "tests/support/raw_server.h"
#include "tests/support/test_support.h"

namespace latchwatch::reporting {
namespace {

using namespace std::chrono_literals;

/// Reads one whole request (head and Content-Length body), answers 200, counts it.
void answer_ok(int& fd, std::atomic<int>& posts) {
  std::string request = testing::read_request_head(fd);
  auto at = request.find("\r\n\r\n");
  std::size_t have = at == std::string::npos ? 0 : request.size() - at - 4;
  std::size_t length = 0;
  for (const char* name : {"Content-Length: ", "content-length: "})
    if (auto p = request.find(name); p != std::string::npos)
      length = std::strtoul(request.c_str() + p + std::strlen(name), nullptr, 10);
  char buffer[4096];
  while (have < length) {
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    have += static_cast<std::size_t>(n);
  }
  ++posts;
  testing::write_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

CycleReport firing(std::uint64_t cycle) {
  CycleReport r;
  const auto code = latchwatch::VerdictCode::key_lost;
  r.report.verdict = {code, latchwatch::info(code).severity, latchwatch::info(code).meaning};
  r.has_confirmed = true;
  r.confirmed = code;
  r.transition = cycle == 1 ? Transition::fired : Transition::unchanged;
  r.cycle = cycle;
  r.host = "host1";
  r.finished = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000 + cycle));
  return r;
}

TEST(AlertmanagerSinkResend, AFiringAlertIsResentWhenTheInjectedClockSaysSo) {
  std::atomic<int> posts{0};
  testing::RawServer server([&](int& fd) { answer_ok(fd, posts); });
  testing::TempDir dir;
  testing::ManualClock clock;
  AlertmanagerOptions options;
  options.url = "http://127.0.0.1:" + std::to_string(server.endpoint().port);
  options.resend_interval = 60s;
  options.timeout = 5s;
  options.state_file = dir / "alertmanager.json";
  options.clock = &clock;
  AlertmanagerSink sink(options);
  ASSERT_TRUE(sink.publish(firing(1)).ok);
  EXPECT_EQ(posts.load(), 1);
  clock.advance(59s);
  ASSERT_TRUE(sink.publish(firing(2)).ok);
  EXPECT_EQ(posts.load(), 1) << "not yet due";
  clock.advance(1s);
  ASSERT_TRUE(sink.publish(firing(3)).ok);
  EXPECT_EQ(posts.load(), 2) << "re-sent once the interval passed on the clock";
  ASSERT_TRUE(sink.publish(firing(4)).ok);
  EXPECT_EQ(posts.load(), 2);
}

}  // namespace
}  // namespace latchwatch::reporting
