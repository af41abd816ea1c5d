// The Alertmanager sink on Windows: a fired key verdict POSTed to /api/v2/alerts of a loopback
// server the test runs, through the same Beast exchange as on Linux; the state file written.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "reporting/sinks/alertmanager_sink.h"
#include "tests/support/test_support.h"
#include "tests/windows/one_shot_server.h"

namespace latchwatch::reporting {
namespace {

TEST(AlertmanagerWindows, AFiredKeyVerdictIsPostedAndRemembered) {
  testing::TempDir dir;
  testing::OneShotServer server(true, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  AlertmanagerOptions options;
  options.url = "http://127.0.0.1:" + std::to_string(server.port());
  options.state_file = dir / "alertmanager.json";
  AlertmanagerSink sink(options);
  CycleReport r;
  auto code = latchwatch::VerdictCode::key_lost;
  r.report.verdict = {code, latchwatch::info(code).severity, latchwatch::info(code).meaning};
  r.has_confirmed = true;
  r.confirmed = code;
  r.transition = Transition::fired;
  auto result = sink.publish(r);
  ASSERT_TRUE(result.ok) << result.error;
  auto got = server.received();
  EXPECT_EQ(got.head.rfind("POST /api/v2/alerts HTTP/1.1\r\n", 0), 0u) << got.head;
  auto alerts = nlohmann::json::parse(got.body);
  ASSERT_TRUE(alerts.is_array());
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["labels"]["verdict"], "key_lost");
  auto state = nlohmann::json::parse(testing::read_file(dir / "alertmanager.json"));
  EXPECT_FALSE(state.is_null());
}

}  // namespace
}  // namespace latchwatch::reporting
