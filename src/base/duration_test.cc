#include "base/duration.h"

#include <gtest/gtest.h>

namespace lockstep {
namespace {

using std::chrono::milliseconds;

TEST(DurationTest, ParsesWholeNumbersWithAUnit) {
  EXPECT_EQ(ParseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(ParseDuration("30s"), milliseconds(30'000));
  EXPECT_EQ(ParseDuration("2m"), milliseconds(120'000));
  EXPECT_FALSE(ParseDuration("1.5s").has_value());
}

TEST(DurationTest, DescribesDurationsInTheUnitsUsersWrite) {
  EXPECT_EQ(DescribeDuration(milliseconds(250)), "250ms");
  EXPECT_EQ(DescribeDuration(milliseconds(5'000)), "5s");
  EXPECT_EQ(DescribeDuration(milliseconds(1'500)), "1.5s");
  EXPECT_EQ(DescribeDuration(milliseconds(120'000)), "2m");
  EXPECT_EQ(DescribeDuration(milliseconds(90'000)), "1m30s");
  EXPECT_EQ(DescribeDuration(milliseconds(7'200'000)), "2h");
  EXPECT_EQ(DescribeDuration(milliseconds(-5)), "0ms");
}

}  // namespace
}  // namespace lockstep
