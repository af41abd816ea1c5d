// Output of untrusted bytes never aborts: `check --json`, `config show` and report.json escape a
// path holding a byte that is not UTF-8. And a host name that does not resolve is a resolver
// failure, not a "reset".

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "probes/net/http_exchange.h"
#include "tests/fabric_sim/fabric_simulator.h"
#include "tests/support/raw_server.h"
#include "tests/support/test_support.h"

namespace latchwatch {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

TEST(OutputEscaping, CheckJsonWithANonUtf8PathIsEscapedNeverAborted) {
  TempDir vm_dir;
  sim::SimulatorOptions options;
  options.gpa_dir = vm_dir / "vm";
  sim::FabricSimulator simulator(options);
  simulator.start();
  TempDir state;
  const std::string odd = vm_dir / "keys-\xff\xfe-latin1-\xe9";  // not UTF-8
  std::vector<std::string> args{"check",      "--json",       "--state-dir",
                                state.path(), "--timeout-ms", "1000"};
  for (auto& flag : simulator.check_flags()) args.push_back(flag);
  args.push_back("--gpa-key-dir");  // the last one wins
  args.push_back(odd);
  auto result = testing::run_latchwatch(args);
  EXPECT_EQ(result.signal, 0) << "aborted: " << result.err;
  EXPECT_NE(result.exit_code, 134);
  auto doc = nlohmann::json::parse(result.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << result.out << result.err;
  EXPECT_NE(doc.dump().find("keys-\xef\xbf\xbd"), std::string::npos)
      << "the odd byte is shown as U+FFFD";

  auto shown = testing::run_latchwatch({"config", "show", "--gpa-key-dir", odd});
  EXPECT_EQ(shown.signal, 0) << shown.err;
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_FALSE(nlohmann::json::parse(shown.out, nullptr, false).is_discarded()) << shown.out;
}

// A peer that accepts the connection and answers bytes that are not HTTP was reported as a
// "reset", so the verdict said WireServer cannot be reached ("network/firewall/route"): it was
// reached, and answered something that is not WireServer.
TEST(OutputEscaping, AnAnswerThatIsNotHttpIsABadPayloadNotUnreachable) {
  TempDir vm_dir;
  sim::SimulatorOptions options;
  options.gpa_dir = vm_dir / "vm";
  sim::FabricSimulator simulator(options);
  simulator.start();
  testing::RawServer garbage([](int& fd) {
    (void)testing::read_request_head(fd);
    testing::write_all(fd, std::string("\xff\xfe\x00GARBAGE\r\n\r\n", 14));
  });
  TempDir state;
  std::vector<std::string> args{"check",      "--json",       "--state-dir",
                                state.path(), "--timeout-ms", "2000"};
  for (auto& flag : simulator.check_flags()) args.push_back(flag);
  args.push_back("--wireserver");  // the last one wins
  args.push_back(garbage.endpoint().to_string());
  auto result = testing::run_latchwatch(args);
  auto doc = nlohmann::json::parse(result.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << result.out << result.err;
  EXPECT_NE(doc["verdict"]["code"], "wireserver_unreachable") << doc["verdict"].dump();
  for (const auto& probe : doc["probes"]) {
    if (probe["target"] == "wireserver_status") {
      EXPECT_EQ(probe["outcome"], "bad_payload") << probe.dump();
    }
  }
}

TEST(OutputEscaping, AHostNameThatCannotResolveIsAResolverFailureNotAReset) {
  // A label longer than DNS allows (63 bytes) fails inside the resolver library itself: no query
  // leaves the machine.
  const std::string host = std::string(70, 'a') + ".invalid";
  net::Request request;
  request.target = "/";
  net::Options options;
  options.budget = 5s;
  auto response = net::exchange({host, 80}, request, options);
  EXPECT_EQ(response.failure, net::Failure::resolve)
      << net::to_string(response.failure) << ": " << response.error;
  EXPECT_NE(response.error.find("resolving"), std::string::npos) << response.error;
}

}  // namespace
}  // namespace latchwatch
