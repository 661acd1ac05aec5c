#include "cli/since_time.h"

#include <fmt/core.h>
#include <gtest/gtest.h>

namespace lockstep::cli {
namespace {

constexpr int64_t kNow = 1796432523456;  // 2026-12-05T01:02:03.456Z
constexpr int64_t kDay = 1796428800000;  // 2026-12-05T00:00:00Z

int64_t Since(std::string_view text) {
  Result<int64_t> since = ParseSince(text, kNow);
  EXPECT_TRUE(since.has_value()) << text << ": " << since.error().message();
  return since.value_or(-1);
}

TEST(SinceTimeTest, DurationsCountBackFromNow) {
  EXPECT_EQ(Since("500ms"), kNow - 500);
  EXPECT_EQ(Since("90s"), kNow - 90'000);
  EXPECT_EQ(Since("15m"), kNow - 900'000);
  EXPECT_EQ(Since("2h"), kNow - 7'200'000);
  EXPECT_EQ(Since("3d"), kNow - 3 * 86'400'000);
}

TEST(SinceTimeTest, TimesAreUtcUnlessAnOffsetSaysOtherwise) {
  EXPECT_EQ(Since("2026-12-05"), kDay);
  EXPECT_EQ(Since("2026-12-05T01:02"), kDay + 3'720'000);
  EXPECT_EQ(Since("2026-12-05 01:02:03"), kDay + 3'723'000);
  EXPECT_EQ(Since("2026-12-05T01:02:03.456Z"), kNow);
  EXPECT_EQ(Since("2026-12-05T02:02:03.456+01:00"), kNow);
  EXPECT_EQ(Since("2026-12-04T23:32:03.456-01:30"), kNow);
}

TEST(SinceTimeTest, RefusesWhatIsNeither) {
  for (std::string_view text :
       {"", "yesterday", "0s", "-5m", "2026-13-01", "2026-02-30", "2026-12-05T24:00",
        "2026-12-05T01:02:03Zx", "2026-12-05T01:02:03+0100", "2026-12-5", "d"}) {
    Result<int64_t> since = ParseSince(text, kNow);
    ASSERT_FALSE(since.has_value()) << text;
    EXPECT_EQ(since.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(since.error().message(),
              fmt::format("--since {}: expected a duration such as 15m, 2h or 3d, or a UTC time "
                          "such as 2026-12-05 or 2026-12-05T01:02:03Z",
                          text));
  }
}

}  // namespace
}  // namespace lockstep::cli
