#include "runtime/deployment_plan.h"

#include <gtest/gtest.h>

#include <string>

namespace lockstep::runtime {
namespace {

using Plan = DeploymentPlan;

// The commands as text, for comparing whole sequences.
std::string Show(const std::vector<Plan::Command>& commands) {
  std::string out;
  for (const Plan::Command& command : commands) {
    if (!out.empty()) out += ", ";
    if (const auto* start = std::get_if<Plan::StartCandidate>(&command)) {
      out += "start " + std::to_string(start->candidate);
    } else if (const auto* stop = std::get_if<Plan::StopCandidate>(&command)) {
      out += "stop " + std::to_string(stop->candidate) + " (" + stop->reason + ")";
    } else if (const auto* route = std::get_if<Plan::SwitchRoute>(&command)) {
      out += "route " + std::to_string(route->candidate);
    } else if (std::holds_alternative<Plan::DrainPrevious>(command)) {
      out += "drain previous";
    } else if (const auto* finished = std::get_if<Plan::Finished>(&command)) {
      out += finished->succeeded ? "succeeded" : "failed";
    }
  }
  return out;
}

TEST(DeploymentPlanTest, TheFirstHealthyCandidateTakesTheRouteAndThePreviousDrains) {
  Plan plan({"integrated", "enhanced", "legacy"}, /*has_previous=*/true);
  EXPECT_EQ(Show(plan.Begin()), "start 0");
  EXPECT_EQ(Show(plan.OnHealthy(0)), "route 0, drain previous, succeeded");
  EXPECT_TRUE(plan.succeeded());
  EXPECT_EQ(plan.serving(), 0u);
  EXPECT_EQ(plan.reasons(), (std::vector<std::string>{"", "", ""}));
}

TEST(DeploymentPlanTest, FailuresFallBackAlongTheChainWithTheirReasons) {
  Plan plan({"integrated", "enhanced", "legacy"}, /*has_previous=*/false);
  EXPECT_EQ(Show(plan.Begin()), "start 0");
  EXPECT_EQ(Show(plan.OnDeadline(0)), "stop 0 (not healthy before its deadline), start 1");
  EXPECT_EQ(Show(plan.OnExited(1, "exited with status 1")), "start 2");
  // Late news about earlier candidates changes nothing.
  EXPECT_EQ(Show(plan.OnHealthy(0)), "");
  EXPECT_EQ(Show(plan.OnExited(0, "killed")), "");
  EXPECT_EQ(Show(plan.OnHealthy(2)), "route 2, succeeded");
  EXPECT_EQ(plan.serving(), 2u);
  EXPECT_EQ(plan.reasons(), (std::vector<std::string>{"not healthy before its deadline",
                                                      "exited with status 1", ""}));
}

TEST(DeploymentPlanTest, AnExhaustedChainFailsAndThePreviousReleaseKeepsServing) {
  Plan plan({"only"}, /*has_previous=*/true);
  EXPECT_EQ(Show(plan.Begin()), "start 0");
  EXPECT_EQ(Show(plan.OnExited(0, "port in use")), "failed");
  EXPECT_TRUE(plan.finished());
  EXPECT_FALSE(plan.succeeded());
  EXPECT_EQ(Show(plan.OnHealthy(0)), "");
  EXPECT_EQ(Show(plan.Begin()), "");
  Plan empty({}, false);
  EXPECT_EQ(Show(empty.Begin()), "failed");
}

}  // namespace
}  // namespace lockstep::runtime
