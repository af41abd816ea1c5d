// The daemon's KVP pool file on Linux (Hyper-V's guest pool: /var/lib/hyperv/.kvp_pool_1): our
// records fit the host's layout and others' stay byte for byte. Linux only (mkdtemp; Windows'
// KVP is the registry).

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "agent/daemon/debounce.h"
#include "reporting/sinks/kvp_sink.h"
#include "tests/sinks/delivery_test_reports.h"

namespace latchwatch {
namespace {

using agent::Transition;
using latchwatch::VerdictCode;

using testing::delivery::sample_report;

std::vector<std::pair<std::string, std::string>> read_pool(const std::string& bytes) {
  std::vector<std::pair<std::string, std::string>> records;
  for (std::size_t at = 0; at + 2560 <= bytes.size(); at += 2560) {
    std::string key(bytes.data() + at, 512);
    std::string value(bytes.data() + at + 512, 2048);
    records.emplace_back(key.substr(0, key.find('\0')), value.substr(0, value.find('\0')));
  }
  return records;
}

TEST(Kvp, RecordsFitTheHostAndKeepOthersByteForByte) {
  char pattern[] = "/tmp/latchwatch-kvp-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  std::string pool = std::string(pattern) + "/.kvp_pool_1";
  // Someone else's record first (cloud-init style).
  std::string theirs(2560, '\0');
  theirs.replace(0, 17, "CLOUD_INIT|1|boot");
  theirs.replace(512, 9, "{\"a\":\"b\"}");
  FILE* f = std::fopen(pool.c_str(), "wb");
  std::fwrite(theirs.data(), 1, theirs.size(), f);
  std::fclose(f);

  reporting::KvpSink sink(pool);
  auto report = sample_report(VerdictCode::key_lost);
  report.report.remedy = latchwatch::Remedy{};
  report.report.remedy->next_incarnation = 11;
  ASSERT_TRUE(sink.publish(report).ok);
  report.transition = Transition::resolved;
  report.confirmed = VerdictCode::healthy;
  report.report.remedy.reset();
  ASSERT_TRUE(sink.publish(report).ok);  // replaces our record, never appends without bound

  std::ifstream in(pool, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  ASSERT_EQ(bytes.size() % 2560, 0u);
  EXPECT_EQ(bytes.substr(0, 2560), theirs) << "others' records stay byte for byte";
  auto records = read_pool(bytes);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].first, "LATCHWATCH|d0a1b2c3-0000-4000-8000-000000000001|verdict");
  EXPECT_LE(records[1].second.size(), 1022u);
  auto value = nlohmann::json::parse(records[1].second);
  EXPECT_EQ(value["verdict"], "healthy");
  EXPECT_EQ(value["transition"], "resolved");
  std::remove(pool.c_str());
  ::rmdir(pattern);
}

}  // namespace
}  // namespace latchwatch
