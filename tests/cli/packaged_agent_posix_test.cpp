// The agent as packages run it: secrets in files, config checks against the unit's sandbox,
// journal-friendly logging, the monitoring-plugin line, colour rules, the CA bundle search.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "agent/cli/colour.h"
#include "agent/cli/logging.h"
#include "agent/cli/plugin_line.h"
#include "agent/cli/portable_runtime.h"
#include "agent/config/config.h"
#include "agent/config/secret_file.h"
#include "reporting/sinks/log_sink.h"
#include "tests/support/test_support.h"

namespace latchwatch::agent {
namespace {

using testing::TempDir;
using testing::write_file;

TEST(ConfigChecks, AnEnabledSinkWithoutItsUrlIsAnError) {
  TempDir dir;
  for (const char* sink : {"alertmanager", "webhook"}) {
    write_file(dir / "c.json", std::string(R"({"sinks": {")") + sink + R"(": {"enabled": true}}})");
    Config config;
    auto error = load_config_file(dir / "c.json", config);
    EXPECT_NE(error.find(std::string("sinks.") + sink + ".url"), std::string::npos) << error;
  }
}

// `config validate` passed these, then the daemon ran without its metrics endpoint (the
// "agent silent" alert's source), or with a webhook/Alertmanager it can never reach.
TEST(ConfigChecks, AnAddressTheDaemonCannotUseIsAnError) {
  TempDir dir;
  const std::pair<const char*, const char*> bad[] = {
      {R"({"sinks": {"metrics": {"listen": "127.0.0.1:99999"}}})", "sinks.metrics.listen"},
      {R"({"sinks": {"metrics": {"listen": "nohost"}}})", "sinks.metrics.listen"},
      {R"({"sinks": {"webhook": {"enabled": true, "url": "https://[::1"}}})", "sinks.webhook.url"},
      {R"({"sinks": {"alertmanager": {"enabled": true, "url": "http://h:0"}}})",
       "sinks.alertmanager.url"}};
  for (const auto& [body, key] : bad) {
    write_file(dir / "c.json", body);
    Config config;
    auto error = load_config_file(dir / "c.json", config);
    EXPECT_NE(error.find(key), std::string::npos) << body << " -> '" << error << "'";
  }
  // Port 0 (any free port) is a valid listening address; a disabled sink is not checked.
  write_file(dir / "ok.json", R"({"sinks": {"metrics": {"listen": "127.0.0.1:0"},
      "webhook": {"enabled": false, "url": "https://[::1"}}})");
  Config ok;
  EXPECT_EQ(load_config_file(dir / "ok.json", ok), "");
}

// A section given as a scalar was reported as an unknown key, sending the reader to look for a
// typo in a name that is right.
TEST(ConfigChecks, ASectionOfTheWrongTypeIsNamedAsSuch) {
  TempDir dir;
  for (const char* body : {R"({"daemon": 5})", R"({"sinks": {"webhook": "https://x"}})"}) {
    write_file(dir / "c.json", body);
    Config config;
    auto error = load_config_file(dir / "c.json", config);
    EXPECT_NE(error.find("must be an object"), std::string::npos) << body << " -> " << error;
    EXPECT_EQ(error.find("unknown"), std::string::npos) << body << " -> " << error;
  }
}

TEST(ConfigChecks, DefaultsFitTheUnitsSandbox) { EXPECT_TRUE(sandbox_warnings(Config{}).empty()); }

TEST(ConfigChecks, WhatTheSandboxBlocksIsNamedWithTheDropInThatAllowsIt) {
  Config config;
  config.textfile_dir = "/srv/textfiles";
  config.metrics_listen = "0.0.0.0:9464";
  config.webhook.enabled = true;
  config.webhook.url = "https://hooks.example.net:8443/latch";
  config.alertmanager.enabled = true;
  config.alertmanager.url = "http://10.1.2.3:9093";
  // DNS through systemd-resolved (loopback): no DNS server to allow, whatever this host uses.
  TempDir dir;
  write_file(dir / "resolv.conf", "nameserver 127.0.0.53\n");
  auto warnings = sandbox_warnings(config, dir / "resolv.conf");
  ASSERT_EQ(warnings.size(), 4u);
  EXPECT_NE(warnings[0].find("ReadWritePaths=/srv/textfiles"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[1].find("0.0.0.0:9464"), std::string::npos) << warnings[1];
  EXPECT_NE(warnings[2].find("IPAddressAllow=10.1.2.3"), std::string::npos) << warnings[2];
  EXPECT_NE(warnings[3].find("hooks.example.net"), std::string::npos) << warnings[3];

  Config allowed;
  allowed.textfile_dir = "/var/lib/prometheus/node-exporter";
  allowed.webhook.enabled = true;
  allowed.webhook.url = "http://127.0.0.1:8080/x";
  EXPECT_TRUE(sandbox_warnings(allowed).empty());
}

TEST(JournalLogging, TheStreamIsRecognisedOnlyByItsDeviceAndInode) {
  TempDir dir;
  write_file(dir / "log", "");
  int fd = ::open((dir / "log").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  struct stat info {};
  ASSERT_EQ(::fstat(fd, &info), 0);
  auto same = std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino);
  auto other = std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino + 1);
  EXPECT_TRUE(is_journal_stream(same.c_str(), fd));
  EXPECT_FALSE(is_journal_stream(other.c_str(), fd));
  EXPECT_FALSE(is_journal_stream("", fd));
  EXPECT_FALSE(is_journal_stream(nullptr, fd));
  EXPECT_FALSE(is_journal_stream((same + "x").c_str(), fd));
  ::close(fd);
  EXPECT_EQ(log_pattern(true).find("%Y"), std::string::npos) << "the journal stamps lines itself";
  EXPECT_EQ(log_pattern(true).find("latchwatch"), std::string::npos) << "and names them";
}

TEST(Colour, OnlyOnATerminalThatWantsIt) {
  EXPECT_TRUE(colour_allowed(true, nullptr, "xterm-256color"));
  EXPECT_TRUE(colour_allowed(true, "", "xterm"));  // NO_COLOR empty: not set, per no-color.org
  EXPECT_FALSE(colour_allowed(true, "1", "xterm"));
  EXPECT_FALSE(colour_allowed(true, nullptr, "dumb"));
  EXPECT_FALSE(colour_allowed(true, nullptr, nullptr));
  EXPECT_FALSE(colour_allowed(false, nullptr, "xterm"));
}

latchwatch::Report report_with(latchwatch::Severity severity, std::string summary) {
  latchwatch::Report report;
  report.verdict.code = latchwatch::VerdictCode::key_lost;
  report.verdict.severity = severity;
  report.verdict.summary = std::move(summary);
  report.cycle_wall_ms = 42.04;
  probes::ProbeResult status;
  status.target = probes::Target::wireserver_status;
  status.timings.total_ms = 3.14;
  status.summary = {{"keyIncarnationId", 10}};
  probes::ProbeResult imds;
  imds.target = probes::Target::imds_instance;
  imds.timings.total_ms = -1;
  report.probes = {status, imds};
  return report;
}

TEST(PluginLine, StatusWordTextAndPerfdataAsMonitoringPluginsExpect) {
  auto line = plugin_status_line(report_with(latchwatch::Severity::critical, "the key is gone"));
  EXPECT_EQ(line,
            "LATCHWATCH CRITICAL - key_lost: the key is gone | wireserver_status=3.1ms;;;0 "
            "imds_instance=U cycle=42.0ms;;;0 incarnation=10;;;0");
}

TEST(PluginLine, APipeOrNewlineInTheSummaryCannotStartFakePerfdata) {
  auto line = plugin_status_line(report_with(latchwatch::Severity::warning, "a|b\nc"));
  EXPECT_EQ(line.rfind("LATCHWATCH WARNING - key_lost: a/b?c |", 0), 0u) << line;
  EXPECT_EQ(std::count(line.begin(), line.end(), '|'), 1);
}

TEST(TransitionLine, ALongSummaryGivesWayNeverTheResetValue) {
  reporting::CycleReport cycle;
  cycle.report = report_with(latchwatch::Severity::critical, std::string(300, 's'));
  cycle.report.remedy = latchwatch::Remedy{};
  cycle.report.remedy->next_incarnation = 11;
  cycle.transition = reporting::Transition::fired;
  cycle.has_confirmed = true;
  cycle.confirmed = latchwatch::VerdictCode::key_lost;
  for (std::size_t max_len : {80u, 160u, 200u}) {
    auto line = reporting::transition_line(cycle, max_len);
    EXPECT_LE(line.size(), max_len);
    const std::string reset = " reset: keyIncarnationId -> 11";
    ASSERT_GE(line.size(), reset.size());
    EXPECT_EQ(line.substr(line.size() - reset.size()), reset) << line;
    EXPECT_NE(line.find("sss..."), std::string::npos) << line;
  }
}

TEST(CaBundle, EachDistributionsBundleIsFound) {
  TempDir root;
  EXPECT_EQ(find_ca_bundle(root.path()), "");
  std::filesystem::create_directories(root.path() + "/etc/pki/tls/certs");
  write_file(root.path() + "/etc/pki/tls/certs/ca-bundle.crt", "pem");
  EXPECT_EQ(find_ca_bundle(root.path()), "/etc/pki/tls/certs/ca-bundle.crt");
  std::filesystem::create_directories(root.path() + "/etc/ssl/certs");
  write_file(root.path() + "/etc/ssl/certs/ca-certificates.crt", "pem");
  EXPECT_EQ(find_ca_bundle(root.path()), "/etc/ssl/certs/ca-certificates.crt");
}

}  // namespace
}  // namespace latchwatch::agent
