#include "runtime/health_state.h"

#include <gtest/gtest.h>

namespace lockstep::runtime {
namespace {

using State = HealthTracker::State;
using namespace std::chrono_literals;

TEST(HealthTrackerTest, ThresholdsCountResultsInARow) {
  HealthTracker tracker(2, 3);
  EXPECT_EQ(tracker.Record(true), std::nullopt);
  EXPECT_EQ(tracker.Record(false), std::nullopt);  // the run of passes starts again
  EXPECT_EQ(tracker.Record(true), std::nullopt);
  EXPECT_EQ(tracker.Record(true), State::kHealthy);
  EXPECT_EQ(tracker.Record(true), std::nullopt);
  EXPECT_EQ(tracker.Record(false), std::nullopt);
  EXPECT_EQ(tracker.Record(false), std::nullopt);
  EXPECT_EQ(tracker.state(), State::kHealthy);
  EXPECT_EQ(tracker.Record(false), State::kUnhealthy);
  EXPECT_EQ(tracker.Record(true), std::nullopt);
  EXPECT_EQ(tracker.Record(true), State::kHealthy);
}

TEST(HealthTrackerTest, ANeverHealthyHandlerBecomesUnhealthyAfterTheThreshold) {
  HealthTracker tracker(1, 2);
  EXPECT_EQ(tracker.state(), State::kUnknown);
  EXPECT_EQ(tracker.Record(false), std::nullopt);
  EXPECT_EQ(tracker.Record(false), State::kUnhealthy);
}

TEST(CrashLoopDetectorTest, CountsOnlyFailuresInsideTheWindow) {
  CrashLoopDetector detector(3, 60s);
  CrashLoopDetector::Clock::time_point start{};
  EXPECT_FALSE(detector.RecordFailure(start));
  EXPECT_FALSE(detector.RecordFailure(start + 30s));
  EXPECT_FALSE(detector.RecordFailure(start + 61s));  // the first one has left the window
  EXPECT_TRUE(detector.RecordFailure(start + 62s));
  detector.Reset();
  EXPECT_FALSE(detector.RecordFailure(start + 63s));
}

TEST(RestartBackoffTest, DoublesUpToACap) {
  EXPECT_EQ(RestartBackoff(1), 250ms);
  EXPECT_EQ(RestartBackoff(2), 500ms);
  EXPECT_EQ(RestartBackoff(3), 1000ms);
  EXPECT_EQ(RestartBackoff(6), 8000ms);
  EXPECT_EQ(RestartBackoff(100), 8000ms);
}

}  // namespace
}  // namespace lockstep::runtime
