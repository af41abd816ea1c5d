// Issue 26: the daemon's resource budget, attacked from outside the process. A local user holds
// more connections to the metrics endpoint than the daemon has descriptors for; SIGHUPs come
// while the webhook and Alertmanager hang. The daemon keeps cycling and reporting, and its
// threads stay within the budget the unit file sets.

#include <arpa/inet.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "reporting/sinks/dispatcher.h"
#include "reporting/sinks/metrics_server.h"
#include "tests/fabric_sim/fabric_simulator.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/daemon_state.h"
#include "tests/support/raw_server.h"
#include "tests/support/test_support.h"

namespace latchwatch {
namespace {

using namespace std::chrono_literals;
using testing::BackgroundProcess;
using testing::TempDir;
using testing::wait_for;

int threads_of(pid_t pid) {
  int n = 0;
  if (DIR* d = ::opendir(("/proc/" + std::to_string(pid) + "/task").c_str())) {
    while (auto* e = ::readdir(d))
      if (e->d_name[0] != '.') ++n;
    ::closedir(d);
  }
  return n;
}

int connect_to(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

class DaemonBudget : public testing::DaemonFixture {
 protected:
  void TearDown() override {
    for (int fd : held_) ::close(fd);
  }

  nlohmann::json base_config() const {
    auto config = DaemonFixture::base_config();
    config["daemon"]["debounce_cycles"] = 1;
    config["sinks"].erase("serial");
    return config;
  }

  /// The daemon with `nofile` descriptors at most (as LimitNOFILE would give it).
  std::unique_ptr<BackgroundProcess> start(const nlohmann::json& config, int nofile) {
    return DaemonFixture::start(config, "daemon",
                                {"/usr/bin/prlimit", "--nofile=" + std::to_string(nofile)});
  }

  std::vector<int> held_;
};

TEST_F(DaemonBudget, MoreMetricsConnectionsThanDescriptorsLeaveCyclingAndReportingIntact) {
  constexpr int kNoFile = 96;  // fewer descriptors than the connections held below
  auto daemon = start(base_config(), kNoFile);
  ASSERT_TRUE(wait_for([&] { return cycles() >= 1; }, 10s)) << daemon->err();
  // A local user opens and holds connections, never sending a byte.
  for (int i = 0; i < 3 * kNoFile; ++i) {
    int fd = connect_to(metrics_port());
    if (fd >= 0) held_.push_back(fd);
  }
  ASSERT_GT(held_.size(), static_cast<std::size_t>(kNoFile));
  // Probing and reporting go on: new cycles, a key loss fires and is written.
  auto before = cycles();
  sim_->set_scenario("key_lost");
  EXPECT_TRUE(wait_for(
      [&] {
        auto history = testing::read_history(state_dir_);
        for (std::size_t i = before; i < history.size(); ++i)
          if (history[i]["transition"] == "fired") return true;
        return false;
      },
      20s))
      << daemon->err();
  EXPECT_TRUE(wait_for([&] { return cycles() >= before + 2; }, 10s)) << "still cycling";
  EXPECT_FALSE(daemon->wait_exit(0ms)) << "the daemon is still running\n" << daemon->err();
  // The held connections end by the listener's deadlines; then /metrics answers again.
  for (int fd : held_) ::close(fd);
  held_.clear();
  EXPECT_TRUE(wait_for(
      [&] {
        net::Request request;
        request.target = "/metrics";
        net::Options options;
        options.budget = 2s;
        return net::exchange({"127.0.0.1", metrics_port()}, request, options).status == 200;
      },
      20s));
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait_exit(5s), 0) << daemon->err();
}

TEST_F(DaemonBudget, ManySighupsWhileWebhookAndAlertmanagerHangDoNotGrowThreads) {
  std::atomic<bool> release{false};
  auto hang = [&release](int& fd) {
    testing::read_request_head(fd);
    // Never answers: waits (bounded by the test) until released or the peer gives up.
    while (!release.load()) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) != 0) {
        char buffer[256];
        if (::recv(fd, buffer, sizeof buffer, 0) <= 0) return;
      }
    }
  };
  testing::RawServer webhook(hang);
  testing::RawServer alertmanager(hang);
  auto config = base_config();
  config["sinks"]["alertmanager"] = {
      {"enabled", true},
      {"url", "http://127.0.0.1:" + std::to_string(alertmanager.endpoint().port)},
      {"timeout_ms", 60000},
      {"resend_interval_s", 1}};
  config["sinks"]["webhook"] = {
      {"enabled", true},
      {"url", "http://127.0.0.1:" + std::to_string(webhook.endpoint().port) + "/hook"},
      {"secret", "whsec-3f9a1c77e2b04d5c8a6e1b2c3d4e5f60"},
      {"timeout_ms", 60000}};
  sim_->set_scenario("key_lost");
  auto daemon = start(config, 1024);
  ASSERT_TRUE(wait_for([&] { return webhook.connections() >= 1; }, 20s)) << daemon->err();
  ASSERT_TRUE(wait_for([&] { return alertmanager.connections() >= 1; }, 20s)) << daemon->err();

  constexpr int kBudget =
      reporting::kMaxSinkThreads + reporting::kDaemonOtherThreads + reporting::kTransientThreads;
  auto reloads = [&] {
    std::size_t n = 0, at = 0;
    const std::string err = daemon->err();
    while ((at = err.find("config reloaded", at)) != std::string::npos) ++n, ++at;
    return n;
  };
  int most = 0;
  for (std::size_t i = 1; i <= 30; ++i) {
    daemon->signal(SIGHUP);
    ASSERT_TRUE(wait_for([&] { return reloads() >= i; }, 10s)) << daemon->err();
    most = std::max(most, threads_of(daemon->pid()));
  }
  EXPECT_LE(most, kBudget) << "threads after 30 reloads with hanging receivers";
  auto before = cycles();
  EXPECT_TRUE(wait_for([&] { return cycles() >= before + 2; }, 15s)) << "still cycling";
  EXPECT_FALSE(daemon->wait_exit(0ms)) << daemon->err();
  release = true;
  daemon->signal(SIGTERM);
  EXPECT_TRUE(daemon->wait_exit(5s)) << daemon->err();
}

}  // namespace
}  // namespace latchwatch
