// The metrics endpoint and sink on Windows: the real server on 127.0.0.1 (a port the OS picks),
// scraped over a real socket after the sink published a cycle, and the node_exporter textfile.
#include <gtest/gtest.h>

#include "reporting/sinks/metrics_server.h"
#include "reporting/sinks/metrics_sink.h"
#include "tests/support/test_support.h"

namespace latchwatch::reporting {
namespace {

CycleReport fired() {
  CycleReport r;
  auto code = latchwatch::VerdictCode::key_lost;
  r.report.verdict = {code, latchwatch::info(code).severity, latchwatch::info(code).meaning};
  r.has_confirmed = true;
  r.confirmed = code;
  r.transition = Transition::fired;
  r.cycle = 1;
  return r;
}

TEST(MetricsWindows, TheEndpointServesWhatTheSinkPublished) {
  testing::TempDir dir;
  auto text = std::make_shared<MetricsText>();
  MetricsSink sink(text, dir.path());
  ASSERT_TRUE(sink.publish(fired()).ok);
  MetricsServer server({"127.0.0.1", 0}, text);
  net::Request request;
  request.target = "/metrics";
  net::Options options;
  options.budget = std::chrono::milliseconds(5000);
  auto response = net::exchange(server.endpoint(), request, options);
  ASSERT_EQ(response.failure, net::Failure::none) << response.error;
  EXPECT_EQ(response.status, 200);
  EXPECT_NE(response.body.find("latchwatch_key_alert_firing 1"), std::string::npos)
      << response.body;
  EXPECT_NE(response.body.find("latchwatch_verdict{code=\"key_lost\"} 1"), std::string::npos);
  EXPECT_EQ(testing::read_file(dir / "latchwatch.prom"), response.body);
  request.target = "/other";
  EXPECT_EQ(net::exchange(server.endpoint(), request, options).status, 404);
}

}  // namespace
}  // namespace latchwatch::reporting
