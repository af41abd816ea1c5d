// Issue 26: `plan resets` reads its inputs as streams. Memory is measured in bench/RESULTS.md;
// here the structure: records still come out right from inputs far larger than any buffer, a
// line too long to hold is skipped with an error naming it, and pieces cut anywhere (inside a
// UTF-16 code unit, inside a line) change nothing.

#include "agent/plan/input_stream.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>

#include "agent/plan/boot_log_records.h"
#include "agent/plan/reset_plan.h"
#include "reporting/report/report.h"
#include "reporting/report/serial_line.h"
#include "reporting/report/verdict.h"

namespace latchwatch::plan {
namespace {

const std::string kSub = "6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f";

std::string signed_line(const std::string& body) {
  char crc[9];
  std::snprintf(crc, sizeof crc, "%08x", reporting::crc32_ieee(body));
  return body + " crc=" + crc + "\r\n";
}

std::string serial(const std::string& code, const std::string& at, const std::string& name) {
  return signed_line("latchwatch: v1 fired " + code + " " + at +
                     " inc=4>5 vm=aaaaaaaa-0000-4000-8000-00000000000a id=" + kSub + "/rg-web/" +
                     name);
}

/// A source that makes its bytes as they are read: `count` copies of `unit`, then `last`, handed
/// out in pieces of `piece` bytes. Its size costs no memory, so "very large" is real here.
class RepeatSource final : public ByteSource {
 public:
  RepeatSource(std::string unit, std::size_t count, std::string last, std::size_t piece)
      : unit_(std::move(unit)), count_(count), last_(std::move(last)), piece_(piece) {}
  std::size_t served = 0;
  long long read(char* buffer, std::size_t size, std::string&) override {
    size = std::min(size, piece_);
    std::size_t n = 0;
    while (n < size) {
      const std::string& current = done_ < count_ ? unit_ : last_;
      if (done_ > count_ || (done_ == count_ && at_ == last_.size())) break;
      std::size_t take = std::min(size - n, current.size() - at_);
      std::copy_n(current.data() + at_, take, buffer + n);
      n += take;
      at_ += take;
      if (at_ == current.size()) ++done_, at_ = 0;
    }
    served += n;
    return static_cast<long long>(n);
  }

 private:
  std::string unit_;
  std::size_t count_;
  std::string last_;
  std::size_t piece_;
  std::size_t done_ = 0;
  std::size_t at_ = 0;
};

TEST(PlanStreaming, ABootLogOfTwoHundredMegabytesGivesItsNewestLineReadAsAStream) {
  // Console noise and a latchwatch line every 2,000 lines; the newest line comes last.
  std::string noise;
  for (int i = 0; i < 2000; ++i)
    noise += "[   12.345678] systemd[1]: Started Session " + std::to_string(i) + " of user.\r\n";
  std::string unit = noise + serial("key_lost", "2026-12-01T03:00:00.000Z", "vm-a");
  const std::size_t count = (200u << 20) / unit.size();
  RepeatSource source(unit, count, serial("key_lost", "2026-12-01T04:00:00.000Z", "vm-a"),
                      64 * 1024);
  std::vector<std::string> errors;
  auto read = read_boot_log("bootlogs/vm-a.log", source, errors);
  EXPECT_EQ(source.served,
            count * unit.size() + serial("key_lost", "2026-12-01T04:00:00.000Z", "vm-a").size());
  EXPECT_TRUE(errors.empty()) << errors.front();
  ASSERT_EQ(read.records.size(), 1u);
  EXPECT_EQ(read.lines_found, static_cast<int>(count) + 1);
  EXPECT_EQ(read.records[0].generated_at, "2026-12-01T04:00:00.000Z");
  EXPECT_EQ(read.records[0].origin, "bootlogs/vm-a.log:" + std::to_string(count * 2001 + 1));
}

TEST(PlanStreaming, AConsoleLineLongerThanAMebibyteIsSkippedAndNamedWhenItHidesLatchwatchText) {
  std::string log = serial("key_lost", "2026-12-01T03:00:00.000Z", "vm-a") +
                    std::string(3u << 20, 'x') + "latchwatch: v1 fired\r\n" +  // line 2
                    std::string(2u << 20, 'y') + "\r\n" +                      // line 3: noise
                    serial("key_lost", "2026-12-01T04:00:00.000Z", "vm-a");
  std::vector<std::string> errors;
  auto read = read_boot_log_records("vm-a.log", log, errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "vm-a.log:2: a line of more than 1 MiB holds latchwatch text: not read");
  ASSERT_EQ(read.records.size(), 1u);
  EXPECT_EQ(read.records[0].origin, "vm-a.log:4");
}

TEST(PlanStreaming, AUtf16LogReadInOddPiecesGivesTheSameRecords) {
  std::string utf8 = "kernel: boot\r\n" + serial("key_lost", "2026-12-01T03:00:00.000Z", "vm-a");
  std::string utf16 = "\xff\xfe";
  for (char c : utf8) utf16 += std::string{c, '\0'};
  RepeatSource source(utf16, 1, "", 7);  // every other piece ends inside a code unit
  std::vector<std::string> errors;
  auto read = read_boot_log("vm-a.log", source, errors);
  EXPECT_TRUE(errors.empty()) << errors.front();
  ASSERT_EQ(read.records.size(), 1u);
  EXPECT_EQ(read.records[0].origin, "vm-a.log:2");
}

std::string report_json(const std::string& code, const std::string& name, int i) {
  latchwatch::Report r;
  r.generated_at = "2026-11-20T10:00:00Z";
  r.verdict.code = *latchwatch::verdict_from_string(code);
  r.identity.source = "imds";
  r.identity.resource_id = "/subscriptions/" + kSub +
                           "/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/" +
                           name + std::to_string(i);
  return latchwatch::report_document(r).dump();
}

TEST(PlanStreaming, AnArrayOfManyReportsIsReadOneReportAtATime) {
  std::string element = report_json("healthy", "vm-", 0);
  const std::size_t count = 20000;
  std::string text = "[" + element;
  for (std::size_t i = 1; i < count; ++i) text += ",\n" + element;
  text += "]";
  std::vector<std::string> errors;
  auto read = read_report_input("fleet.json", text_input(text), errors);
  EXPECT_TRUE(errors.empty()) << errors.front();
  ASSERT_EQ(read.records.size(), count);
  EXPECT_EQ(read.records.back().origin, "fleet.json[19999]");
  EXPECT_TRUE(read.conflicts.empty());
}

TEST(PlanStreaming, AJsonLineLongerThanTheLimitIsAnErrorNamingItAndTheRestIsRead) {
  std::string text = report_json("healthy", "vm-", 1) + "\n" + "{\"pad\":\"" +
                     std::string(kMaxReportLine, 'x') + "\"}\n" +
                     report_json("key_lost", "vm-", 2) + "\n";
  std::vector<std::string> errors;
  auto read = read_report_input("history.jsonl", text_input(text), errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0],
            "history.jsonl:2: a line of more than 16 MiB: not read (a report is tens of KiB)");
  ASSERT_EQ(read.records.size(), 2u);
  EXPECT_EQ(read.records[1].origin, "history.jsonl:3");
}

TEST(PlanStreaming, ADepthBombInOneDocumentIsRefusedWithoutRecursing) {
  std::string text = std::string(100000, '[') + std::string(100000, ']');
  std::vector<std::string> errors;
  auto read = read_report_input("deep.json", text_input(text), errors);
  EXPECT_TRUE(read.records.empty());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("nested deeper than 64 levels"), std::string::npos) << errors[0];
}

TEST(PlanStreaming, TheJsonPlanWrittenEntryByEntryIsTheDocumentByteForByte) {
  // plan resets --json writes its document one entry at a time; it must be the very document
  // reset_plan_document gives, dumped with indent 2 (resets, skipped, conflicts, empty lists,
  // input errors with characters to escape, an extra member).
  std::vector<std::string> errors;
  std::string text;
  for (int i = 0; i < 5; ++i) text += report_json(i % 2 ? "key_lost" : "healthy", "vm-", i) + "\n";
  auto records = read_report_input("fleet.jsonl", text_input(text), errors).records;
  ASSERT_EQ(records.size(), 5u);
  ResetPlan plan = build_reset_plan(records, {});
  plan.input_errors.push_back("bad\nline \x01 \"quoted\"");
  Conflict c;
  c.resource_id = "/x";
  c.message = "m";
  c.claims.push_back({"a.json", "h", "", "imds", "key_lost"});
  plan.conflicts.push_back(c);
  ASSERT_GT(plan.reset_count(), 0u);
  nlohmann::json extra = {{"resource_graph", {{"rows", 3}, {"list", {1, 2}}}}};
  nlohmann::json doc = reset_plan_document(plan);
  doc["resource_graph"] = extra["resource_graph"];
  std::ostringstream streamed;
  write_reset_plan_json(plan, extra, streamed);
  EXPECT_EQ(streamed.str(), doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  ResetPlan empty;
  std::ostringstream none;
  write_reset_plan_json(empty, nlohmann::json::object(), none);
  EXPECT_EQ(none.str(), reset_plan_document(empty).dump(2));
}

}  // namespace
}  // namespace latchwatch::plan
