// STATE/report.json and STATE/history.jsonl (reporting/sinks/report_file_sink.h), on both
// platforms: the latest report whole, one history line per cycle, one rotated generation.

#include "reporting/sinks/report_file_sink.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/sinks/delivery_test_reports.h"
#include "tests/support/test_support.h"

namespace latchwatch::reporting {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

using testing::delivery::fired;

TEST(ReportFileSink, HistoryRotatesAndTheLatestReportIsWhole) {
  TempDir dir;
  ReportFileSink sink(dir.path(), 4096);
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(sink.publish(fired(latchwatch::VerdictCode::healthy)).ok);
  EXPECT_LT(fs::file_size(dir / "history.jsonl"), 4096u + 8192u);
  EXPECT_TRUE(fs::exists(dir / "history.jsonl.1"));
  auto latest = nlohmann::json::parse(testing::read_file(dir / "report.json"));
  EXPECT_EQ(latest["schema_version"], 1);
  EXPECT_EQ(latest["transition"], "fired");
}

TEST(ReportFileSink, AppendsWholeLinesAndKeepsOneGeneration) {
  TempDir dir;
  const std::string history = dir / "history.jsonl";
  ASSERT_EQ(append_history_line(history, "one\n", 8), "");
  ASSERT_EQ(append_history_line(history, "two\n", 8), "");
  EXPECT_EQ(testing::read_file(history), "one\ntwo\n");
  EXPECT_FALSE(fs::exists(history + ".1")) << "not rotated below the size";
  ASSERT_EQ(append_history_line(history, "three\n", 8), "");
  EXPECT_EQ(testing::read_file(history + ".1"), "one\ntwo\n");
  EXPECT_EQ(testing::read_file(history), "three\n");
  ASSERT_EQ(append_history_line(history, "four\n", 8), "");
  ASSERT_EQ(append_history_line(history, "five\n", 8), "");
  EXPECT_EQ(testing::read_file(history + ".1"), "three\nfour\n") << "the older one is gone";
  EXPECT_EQ(testing::read_file(history), "five\n");
}

TEST(ReportFileSink, AFolderInPlaceOfTheHistoryIsAnErrorNotACrash) {
  TempDir dir;
  ASSERT_TRUE(fs::create_directory(dir / "history.jsonl"));
  auto error = append_history_line(dir / "history.jsonl", "line\n", 1 << 20);
  EXPECT_NE(error.find("history.jsonl"), std::string::npos) << error;
}

}  // namespace
}  // namespace latchwatch::reporting
