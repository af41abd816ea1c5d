// The closed list of finding ids (reporting/report/finding_id.h): unique, in the report's
// snake_case, and each one documented for receivers (docs/report-and-verdicts.md).
#include "reporting/report/finding_id.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "tests/support/test_support.h"

namespace latchwatch {
namespace {

TEST(FindingId, EveryIdIsUniqueSnakeCaseAndDocumented) {
  const auto doc =
      testing::read_file(std::string(LATCHWATCH_SOURCE_DIR) + "/docs/report-and-verdicts.md");
  std::set<std::string> seen;
  for (auto id : all_finding_ids()) {
    const std::string text = to_string(id);
    EXPECT_TRUE(seen.insert(text).second) << text << " twice";
    EXPECT_TRUE(std::all_of(text.begin(), text.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    })) << text;
    EXPECT_NE(doc.find("`" + text + "`"), std::string::npos) << text << " is not documented";
  }
  EXPECT_GE(seen.size(), 38u);
}

}  // namespace
}  // namespace latchwatch
