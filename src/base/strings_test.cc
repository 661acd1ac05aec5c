#include "base/strings.h"

#include <gtest/gtest.h>

namespace lockstep {
namespace {

TEST(StringsTest, EditDistanceCountsEditsIgnoringCase) {
  EXPECT_EQ(EditDistance("DependsOn", "DependOn"), 1u);
  EXPECT_EQ(EditDistance("push", "PUSH"), 0u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("Biuld", "Build"), 1u);
}

TEST(StringsTest, ClosestMatchSuggestsOnlyPlausibleTypos) {
  std::vector<std::string> keys = {"Identifier", "DependsOn", "Configuration"};
  EXPECT_EQ(ClosestMatch("DependOn", keys), "DependsOn");
  EXPECT_EQ(ClosestMatch("configuration", keys), "Configuration");
  EXPECT_EQ(ClosestMatch("Banana", keys), std::nullopt);
}

}  // namespace
}  // namespace lockstep
