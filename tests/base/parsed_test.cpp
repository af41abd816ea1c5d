// Parsed<T>: the value-or-named-error result every parser of outside data returns.

#include "probes/base/parsed.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <type_traits>

namespace latchwatch {
namespace {

// Only an explicit test of success: a Parsed must never slip into arithmetic or comparisons.
static_assert(!std::is_convertible_v<Parsed<int>, bool>);
static_assert(std::is_constructible_v<bool, Parsed<int>>);

TEST(ParsedTest, OkHoldsTheValueAndNoError) {
  auto p = Parsed<std::string>::ok("value");
  ASSERT_TRUE(p);
  EXPECT_EQ(*p.value, "value");
  EXPECT_TRUE(p.error.empty());
}

TEST(ParsedTest, FailHoldsTheReasonAndNoValue) {
  auto p = Parsed<int>::fail("/keyGuid must be a string or null");
  EXPECT_FALSE(p);
  EXPECT_FALSE(p.value.has_value());
  EXPECT_EQ(p.error, "/keyGuid must be a string or null");
}

TEST(ParsedTest, MoveOnlyValuesAreMovedNotCopied) {
  auto p = Parsed<std::unique_ptr<int>>::ok(std::make_unique<int>(42));
  ASSERT_TRUE(p);
  ASSERT_NE(*p.value, nullptr);
  EXPECT_EQ(**p.value, 42);
}

TEST(ParsedTest, AnOkValueThatIsFalsyIsStillSuccess) {
  // Success is "has a value", never the value's own truthiness.
  auto zero = Parsed<int>::ok(0);
  EXPECT_TRUE(zero);
  auto empty = Parsed<std::string>::ok("");
  EXPECT_TRUE(empty);
}

}  // namespace
}  // namespace latchwatch
