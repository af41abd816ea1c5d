// Secret files on Linux: owner and mode checks, a final symlink refused
// (agent/config/secret_file.h). Moved from packaged_agent_test.cpp for the Windows port: chmod and
// symlink are POSIX's.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "agent/config/config.h"
#include "agent/config/secret_file.h"
#include "tests/support/test_support.h"

namespace latchwatch::agent {
namespace {

using testing::TempDir;
using testing::write_file;

std::string secret_at(const TempDir& dir, const std::string& content, mode_t mode) {
  auto path = dir / "secret";
  write_file(path, content);
  EXPECT_EQ(::chmod(path.c_str(), mode), 0);
  return path;
}

TEST(SecretFile, OneLineIsReadAndItsNewlineDropped) {
  TempDir dir;
  std::string secret;
  EXPECT_EQ(read_secret_file("k", secret_at(dir, "s3cr3t-value\n", 0600), secret), "");
  EXPECT_EQ(secret, "s3cr3t-value");
}

TEST(SecretFile, ReadableByOthersIsRefusedWithoutShowingTheSecret) {
  TempDir dir;
  std::string secret;
  auto error =
      read_secret_file("sinks.webhook.secret_file", secret_at(dir, "topsecret", 0644), secret);
  EXPECT_NE(error.find("mode 0644"), std::string::npos) << error;
  EXPECT_NE(error.find("sinks.webhook.secret_file"), std::string::npos) << error;
  EXPECT_EQ(error.find("topsecret"), std::string::npos) << error;
  EXPECT_TRUE(secret.empty());
}

TEST(SecretFile, GroupReadableIsAllowedGroupWritableIsNot) {
  TempDir dir;
  std::string secret;
  EXPECT_EQ(read_secret_file("k", secret_at(dir, "a", 0640), secret), "");
  EXPECT_NE(read_secret_file("k", secret_at(dir, "a", 0660), secret), "");
}

TEST(SecretFile, SymlinkEmptyFileControlCharactersAndFoldersAreRefused) {
  TempDir dir;
  std::string secret;
  auto real = secret_at(dir, "value", 0600);
  ASSERT_EQ(::symlink(real.c_str(), (dir / "link").c_str()), 0);
  EXPECT_NE(read_secret_file("k", dir / "link", secret), "");
  EXPECT_NE(read_secret_file("k", secret_at(dir, "\n", 0600), secret), "");
  EXPECT_NE(read_secret_file("k", secret_at(dir, "abc\r\nX-Injected: 1", 0600), secret), "");
  EXPECT_NE(read_secret_file("k", dir.path(), secret), "");
  EXPECT_NE(read_secret_file("k", dir / "missing", secret), "");
  EXPECT_NE(read_secret_file("k", secret_at(dir, std::string(5000, 'a'), 0600), secret), "");
  EXPECT_TRUE(secret.empty());
}

TEST(SecretFile, ConfigReadsBothFilesAndRefusesASecretGivenTwice) {
  TempDir dir;
  auto token = dir / "token";
  auto hmac = dir / "hmac";
  write_file(token, "tok\n");
  write_file(hmac, "mac\n");
  ::chmod(token.c_str(), 0600);
  ::chmod(hmac.c_str(), 0600);
  auto config_path = dir / "config.json";
  write_file(config_path,
             R"({"sinks": {"alertmanager": {"enabled": true, "url": "http://127.0.0.1:9093",
    "bearer_token_file": ")" +
                 token + R"("}, "webhook": {"enabled": true, "url": "https://127.0.0.1:8443/h",
    "secret_file": ")" +
                 hmac + R"("}}})");
  Config config;
  ASSERT_EQ(load_config_file(config_path, config), "");
  EXPECT_EQ(config.alertmanager.bearer_token, "tok");
  EXPECT_EQ(config.webhook.secret, "mac");
  auto shown = effective_config(config).dump();
  EXPECT_EQ(shown.find("\"tok\""), std::string::npos) << shown;
  EXPECT_EQ(shown.find("\"mac\""), std::string::npos) << shown;

  write_file(config_path,
             R"({"sinks": {"webhook": {"secret": "inline", "secret_file": ")" + hmac + R"("}}})");
  Config twice;
  EXPECT_NE(load_config_file(config_path, twice).find("not both"), std::string::npos);
}

}  // namespace
}  // namespace latchwatch::agent
