// Issue 26: `config validate` and `run` share one check. For each config that `run` used to
// refuse only later (or misread), validate refuses it and `run`, as a real process, refuses it
// at start with the same words; a SIGHUP reload goes through the same load.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"

namespace latchwatch {
namespace {

using testing::run_latchwatch;
using testing::TempDir;
using testing::write_file;

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

struct BadConfig {
  const char* what;
  nlohmann::json sinks;
  const char* refusal;  ///< a part of the one message both must print
};

void expect_same_refusal(const TempDir& dir, const BadConfig& bad) {
  SCOPED_TRACE(bad.what);
  const std::string file = dir / "config.json";
  write_file(file, nlohmann::json{{"sinks", bad.sinks}}.dump());
  auto validate = run_latchwatch({"config", "validate", file});
  auto run = run_latchwatch({"run", "--config", file, "--state-dir", dir / "state"});
  EXPECT_EQ(validate.exit_code, 3) << validate.out << validate.err;
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  EXPECT_NE(validate.err.find(bad.refusal), std::string::npos) << validate.err;
  EXPECT_EQ(first_line(run.err), first_line(validate.err));
  EXPECT_EQ(validate.out.find("valid"), std::string::npos) << validate.out;
}

TEST(ConfigRefusals, ValidateAndRunRefuseEachBadSinkConfigWithTheSameWords) {
  TempDir dir;
  const std::vector<BadConfig> bad = {
      {"https Alertmanager (the sink speaks plain HTTP only)",
       {{"alertmanager", {{"enabled", true}, {"url", "https://127.0.0.1:9093"}}}},
       "'sinks.alertmanager.url' is https, but the Alertmanager sink speaks plain HTTP only"},
      {"a query in the Alertmanager base URL",
       {{"alertmanager", {{"enabled", true}, {"url", "http://127.0.0.1:9093/?tenant=a"}}}},
       "'sinks.alertmanager.url' has a query or fragment"},
      {"CR LF in the webhook URL (header injection)",
       {{"webhook",
         {{"enabled", true},
          {"url", "http://127.0.0.1:8080/hook\r\nX-Injected: 1"},
          {"secret", "whsec-test"}}}},
       "'sinks.webhook.url' holds a CR or LF: refused"},
      {"LF in a disabled sink's URL is refused too",
       {{"alertmanager", {{"enabled", false}, {"url", "http://127.0.0.1:9093\nX-Injected: 1"}}}},
       "'sinks.alertmanager.url' holds a CR or LF: refused"},
      {"a webhook without a secret",
       {{"webhook", {{"enabled", true}, {"url", "http://127.0.0.1:8080/hook"}}}},
       "neither 'sinks.webhook.secret' nor 'sinks.webhook.secret_file' gives a secret"},
      {"a webhook CA file that is not there",
       {{"webhook",
         {{"enabled", true},
          {"url", "https://127.0.0.1:8443/hook"},
          {"secret", "whsec-test"},
          {"ca_file", dir / "missing-ca.pem"}}}},
       "'sinks.webhook.ca_file': "},
  };
  for (const auto& config : bad) expect_same_refusal(dir, config);

  // A CA file that is no certificate at all.
  write_file(dir / "not-a-ca.pem", "hello\n");
  expect_same_refusal(dir, {"a webhook CA file without a certificate",
                            {{"webhook",
                              {{"enabled", true},
                               {"url", "https://127.0.0.1:8443/hook"},
                               {"secret", "whsec-test"},
                               {"ca_file", dir / "not-a-ca.pem"}}}},
                            "holds no PEM certificate"});
}

TEST(ConfigRefusals, WhatValidateAcceptsStillValidates) {
  // An https webhook with a real PEM CA file and a secret, an http Alertmanager with a path.
  TempDir dir;
  write_file(dir / "ca.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  write_file(
      dir / "c.json",
      nlohmann::json{{"sinks",
                      {{"alertmanager", {{"enabled", true}, {"url", "http://127.0.0.1:9093/am"}}},
                       {"webhook",
                        {{"enabled", true},
                         {"url", "https://127.0.0.1:8443/hook?token=in-query-is-fine"},
                         {"secret", "whsec-test"},
                         {"ca_file", dir / "ca.pem"}}}}}}
          .dump());
  auto validate = run_latchwatch({"config", "validate", dir / "c.json"});
  EXPECT_EQ(validate.exit_code, 0) << validate.err;
}

}  // namespace
}  // namespace latchwatch
