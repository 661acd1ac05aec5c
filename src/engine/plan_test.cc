#include "engine/plan.h"

#include <gtest/gtest.h>

namespace lockstep::engine {
namespace {

using store::ActionState;

class PlanTest : public ::testing::Test {
 protected:
  // Starts everything that is ready, in the plan's order, and returns the names.
  static std::vector<std::string> StartAll(Plan& plan) {
    std::vector<std::string> started;
    while (auto next = plan.StartNext()) started.push_back(plan.name(*next));
    return started;
  }
};

TEST_F(PlanTest, IndependentActionsAreReadyInFileOrder) {
  Plan plan({{"A", {}}, {"B", {}}, {"C", {}}}, false);
  EXPECT_EQ(StartAll(plan), (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_EQ(plan.running(), 3u);
}

TEST_F(PlanTest, DependantStartsOnlyAfterItsDependencySucceeds) {
  Plan plan({{"Build", {}}, {"Test", {0}}}, false);
  EXPECT_EQ(StartAll(plan), (std::vector<std::string>{"Build"}));
  plan.Finish(0, ActionState::kSucceeded);
  EXPECT_EQ(StartAll(plan), (std::vector<std::string>{"Test"}));
  plan.Finish(1, ActionState::kSucceeded);
  EXPECT_TRUE(plan.Done());
  EXPECT_FALSE(plan.AnyFailed());
}

TEST_F(PlanTest, SharedDependencyRunsOnceAndUnblocksBoth) {
  Plan plan({{"Build", {}}, {"Unit", {0}}, {"Lint", {0}}, {"Package", {1, 2}}}, false);
  EXPECT_EQ(StartAll(plan), (std::vector<std::string>{"Build"}));
  plan.Finish(0, ActionState::kSucceeded);
  EXPECT_EQ(StartAll(plan), (std::vector<std::string>{"Unit", "Lint"}));
  plan.Finish(1, ActionState::kSucceeded);
  EXPECT_TRUE(StartAll(plan).empty());
  plan.Finish(2, ActionState::kSucceeded);
  EXPECT_EQ(StartAll(plan), (std::vector<std::string>{"Package"}));
}

TEST_F(PlanTest, CriticalPathStartsFirst) {
  // Short has nothing after it; Long heads a chain of two.
  Plan plan({{"Short", {}}, {"Long", {}}, {"After1", {1}}, {"After2", {2}}}, false);
  auto first = plan.StartNext();
  ASSERT_TRUE(first);
  EXPECT_EQ(plan.name(*first), "Long");
}

TEST_F(PlanTest, FailureSkipsDependantsWithTheReasonAndStopsTheRest) {
  Plan plan({{"Build", {}}, {"Lint", {}}, {"Test", {0}}, {"Package", {2}}, {"Docs", {1}}}, false);
  EXPECT_EQ(StartAll(plan), (std::vector<std::string>{"Build", "Lint"}));
  std::vector<size_t> changed = plan.Finish(0, ActionState::kFailed, "exited with code 2");
  EXPECT_EQ(plan.state(0), ActionState::kFailed);
  EXPECT_EQ(plan.state(2), ActionState::kSkipped);
  EXPECT_EQ(plan.reason(2), "skipped: depends on Build, which failed");
  EXPECT_EQ(plan.reason(3), "skipped: depends on Test, which was skipped");
  // Lint is still running; nothing new starts.
  EXPECT_EQ(plan.state(1), ActionState::kRunning);
  plan.Finish(1, ActionState::kSucceeded);
  EXPECT_EQ(plan.state(4), ActionState::kSkipped);
  EXPECT_EQ(plan.reason(4),
            "not started: the run stopped after Build failed (--keep-going runs what does not "
            "depend on it)");
  EXPECT_TRUE(plan.Done());
  EXPECT_EQ(changed.size(), 4u);  // Build, Test, Package, and the stop of Docs
}

TEST_F(PlanTest, KeepGoingRunsWhatDoesNotDependOnTheFailure) {
  Plan plan({{"Build", {}}, {"Lint", {}}, {"Test", {0}}, {"Docs", {1}}}, true);
  StartAll(plan);
  plan.Finish(0, ActionState::kFailed);
  plan.Finish(1, ActionState::kSucceeded);
  EXPECT_EQ(StartAll(plan), (std::vector<std::string>{"Docs"}));
  plan.Finish(3, ActionState::kSucceeded);
  EXPECT_TRUE(plan.Done());
  EXPECT_EQ(plan.state(2), ActionState::kSkipped);
  EXPECT_TRUE(plan.AnyFailed());
}

TEST_F(PlanTest, SkippedActionUnblocksItsDependants) {
  Plan plan({{"CloudDeploy", {}}, {"Verify", {0}}}, false);
  StartAll(plan);
  plan.Finish(0, ActionState::kSkipped, "skipped: runs only in AWS");
  EXPECT_EQ(StartAll(plan), (std::vector<std::string>{"Verify"}));
  EXPECT_FALSE(plan.AnyFailed());
}

TEST_F(PlanTest, ResumedPlanStartsAfterSucceededActions) {
  Plan plan({{"Build", {}}, {"Test", {0}}, {"Package", {1}}}, false);
  plan.MarkSucceeded(0);
  EXPECT_EQ(StartAll(plan), (std::vector<std::string>{"Test"}));
  EXPECT_EQ(plan.finished(), 1u);
}

TEST_F(PlanTest, StopPendingCancelsWhatHasNotStarted) {
  Plan plan({{"A", {}}, {"B", {0}}, {"C", {}}}, false);
  ASSERT_TRUE(plan.StartNext());
  std::vector<size_t> changed = plan.StopPending(ActionState::kCancelled, "cancelled: SIGINT");
  EXPECT_EQ(changed.size(), 2u);
  EXPECT_EQ(plan.state(1), ActionState::kCancelled);
  EXPECT_EQ(plan.reason(2), "cancelled: SIGINT");
  EXPECT_FALSE(plan.StartNext());
  plan.Finish(0, ActionState::kCancelled, "cancelled: SIGINT");
  EXPECT_TRUE(plan.Done());
}

}  // namespace
}  // namespace lockstep::engine
