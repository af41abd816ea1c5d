// Operating under systemd (issue 27), the pieces below the packaging tests: withdrawing the KVP
// records on remove, systemd credentials read from their source while the unit is stopped, the
// DNS servers `config validate` names for host-named sinks, and the unit setting a sandbox-caused
// sink error names. Linux only (the pool file, resolv.conf, /run/credentials).

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <string>

#include "agent/config/config.h"
#include "agent/config/secret_file.h"
#include "reporting/sinks/kvp_sink.h"
#include "reporting/sinks/sandbox_hint.h"
#include "tests/sinks/delivery_test_reports.h"
#include "tests/support/test_support.h"

namespace latchwatch {
namespace {

using testing::read_file;
using testing::TempDir;
using testing::write_file;

std::string record(const std::string& key, const std::string& value) {
  std::string out(2560, '\0');
  out.replace(0, key.size(), key);
  out.replace(512, value.size(), value);
  return out;
}

TEST(KvpWithdraw, RemovesOnlyLatchwatchRecordsAndKeepsOthersByteForByte) {
  TempDir dir;
  const std::string pool = dir / ".kvp_pool_1";
  const std::string before = record("CLOUD_INIT|1|boot", "{\"a\":\"b\"}");
  const std::string after = record("WALA|provisioning", "done");
  write_file(pool, before);
  // latchwatch's records as the sink writes them, between two of someone else's.
  reporting::KvpSink sink(pool);
  auto report = testing::delivery::sample_report(VerdictCode::key_lost);
  ASSERT_TRUE(sink.publish(report).ok);
  write_file(pool, read_file(pool) + after);
  ASSERT_NE(read_file(pool).find("LATCHWATCH|"), std::string::npos);

  std::size_t removed = 0;
  EXPECT_EQ(reporting::withdraw_kvp_records(pool, std::chrono::milliseconds(500), removed), "");
  EXPECT_GE(removed, 1u);
  EXPECT_EQ(read_file(pool), before + after) << "others' records stay, in order, byte for byte";

  // Again: nothing left to remove, nothing rewritten.
  EXPECT_EQ(reporting::withdraw_kvp_records(pool, std::chrono::milliseconds(500), removed), "");
  EXPECT_EQ(removed, 0u);
}

TEST(KvpWithdraw, AMissingPoolIsNothingToWithdrawAndIsNotCreated) {
  TempDir dir;
  std::size_t removed = 7;
  EXPECT_EQ(reporting::withdraw_kvp_records(dir / "none", std::chrono::milliseconds(100), removed),
            "");
  EXPECT_EQ(removed, 0u);
  struct stat st {};
  EXPECT_NE(::stat((dir / "none").c_str(), &st), 0);
}

class Credentials : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* saved = std::getenv("CREDENTIALS_DIRECTORY")) saved_ = saved;
    ::unsetenv("CREDENTIALS_DIRECTORY");
  }
  void TearDown() override {
    if (!saved_.empty()) ::setenv("CREDENTIALS_DIRECTORY", saved_.c_str(), 1);
  }
  std::string saved_;
};

TEST_F(Credentials, AStoppedUnitsCredentialIsReadFromItsLoadCredentialSource) {
  TempDir root;
  const std::string dropins = root / "etc/systemd/system/latchwatch-test.service.d";
  ASSERT_EQ(std::system(("mkdir -p '" + dropins + "' '" + (root / "etc/latchwatch") + "'").c_str()),
            0);
  write_file(dropins + "/10-token.conf",
             "[Service]\nLoadCredential=other:/etc/nowhere\nLoadCredential=token:/etc/latchwatch/"
             "token\n");
  std::string error;
  EXPECT_EQ(agent::credential_source("/run/credentials/latchwatch-test.service/token", root.path(),
                                     error),
            root / "etc/latchwatch/token");
  EXPECT_EQ(error, "");
}

TEST_F(Credentials, WithoutALoadCredentialTheErrorSaysWhatToAddWhere) {
  TempDir root;
  std::string error;
  EXPECT_EQ(agent::credential_source("/run/credentials/latchwatch-test.service/token", root.path(),
                                     error),
            "");
  EXPECT_NE(error.find("exists only while latchwatch-test.service runs"), std::string::npos)
      << error;
  EXPECT_NE(error.find("LoadCredential=token:PATH"), std::string::npos) << error;
  EXPECT_NE(error.find("systemctl edit latchwatch-test"), std::string::npos) << error;
}

TEST_F(Credentials, InsideTheUnitOrForAnOrdinaryFileThePathIsKept) {
  TempDir root;
  std::string error;
  EXPECT_EQ(agent::credential_source("/etc/latchwatch/token", root.path(), error),
            "/etc/latchwatch/token");
  ::setenv("CREDENTIALS_DIRECTORY", "/run/credentials/latchwatch-test.service", 1);
  EXPECT_EQ(agent::credential_source("/run/credentials/latchwatch-test.service/token", root.path(),
                                     error),
            "/run/credentials/latchwatch-test.service/token");
  ::unsetenv("CREDENTIALS_DIRECTORY");
}

TEST(ConfigValidate, AHostNamedSinkNamesTheDnsServersTheSandboxDrops) {
  TempDir dir;
  write_file(dir / "resolv.conf",
             "# custom DNS\nnameserver 10.1.0.4\nnameserver 127.0.0.53\n"
             "nameserver 10.1.0.5\nsearch example.internal\n");
  agent::Config config;
  config.webhook.enabled = true;
  config.webhook.url = "https://hooks.example.internal/latchwatch";
  std::string dns;
  for (const auto& w : agent::sandbox_warnings(config, dir / "resolv.conf"))
    if (w.find("DNS") != std::string::npos) dns = w;
  EXPECT_NE(dns.find("10.1.0.4 10.1.0.5"), std::string::npos) << dns;
  EXPECT_EQ(dns.find("127.0.0.53"), std::string::npos) << "loopback is allowed: " << dns;
  EXPECT_NE(dns.find("IPAddressAllow=10.1.0.4 10.1.0.5"), std::string::npos) << dns;

  // An address needs no DNS; nor does a resolver on loopback only.
  config.webhook.url = "https://10.2.0.9/latchwatch";
  for (const auto& w : agent::sandbox_warnings(config, dir / "resolv.conf"))
    EXPECT_EQ(w.find("DNS"), std::string::npos) << w;
  write_file(dir / "resolv.conf", "nameserver 127.0.0.53\n");
  config.webhook.url = "https://hooks.example.internal/latchwatch";
  for (const auto& w : agent::sandbox_warnings(config, dir / "resolv.conf"))
    EXPECT_EQ(w.find("DNS"), std::string::npos) << w;
}

TEST(SandboxHint, ReadOnlyAndDroppedConnectionsNameTheUnitSetting) {
  auto ro = reporting::with_sandbox_hint(
      "/var/lib/prometheus/node-exporter/latchwatch.prom: Read-only file system", true);
  EXPECT_NE(ro.find("ReadWritePaths="), std::string::npos) << ro;
  EXPECT_NE(ro.find("systemctl restart latchwatch"), std::string::npos) << ro;
  auto net = reporting::with_sandbox_hint("connect 10.0.0.9:443: Operation not permitted", true);
  EXPECT_NE(net.find("IPAddressAllow="), std::string::npos) << net;
  EXPECT_EQ(reporting::with_sandbox_hint("x: Read-only file system", false),
            "x: Read-only file system")
      << "outside systemd no unit setting is to blame";
  EXPECT_EQ(reporting::with_sandbox_hint("HTTP 500", true), "HTTP 500");
}

}  // namespace
}  // namespace latchwatch
