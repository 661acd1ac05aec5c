#include "runtime/deployment_plan.h"

namespace lockstep::runtime {

DeploymentPlan::DeploymentPlan(std::vector<std::string> candidates, bool has_previous)
    : candidates_(std::move(candidates)),
      reasons_(candidates_.size()),
      has_previous_(has_previous) {}

std::vector<DeploymentPlan::Command> DeploymentPlan::Begin() {
  if (started_) return {};
  started_ = true;
  if (candidates_.empty()) {
    finished_ = true;
    return {Finished{false}};
  }
  return {StartCandidate{0}};
}

std::vector<DeploymentPlan::Command> DeploymentPlan::OnHealthy(size_t candidate) {
  // A late report about a candidate already given up on changes nothing.
  if (!IsCurrent(candidate)) return {};
  serving_ = candidate;
  finished_ = true;
  std::vector<Command> commands{SwitchRoute{candidate}};
  if (has_previous_) commands.push_back(DrainPrevious{});
  commands.push_back(Finished{true});
  return commands;
}

std::vector<DeploymentPlan::Command> DeploymentPlan::OnExited(size_t candidate,
                                                              const std::string& reason) {
  if (!IsCurrent(candidate)) return {};
  return Fail(candidate, reason, /*stop=*/false);
}

std::vector<DeploymentPlan::Command> DeploymentPlan::OnDeadline(size_t candidate) {
  if (!IsCurrent(candidate)) return {};
  return Fail(candidate, "not healthy before its deadline", /*stop=*/true);
}

std::vector<DeploymentPlan::Command> DeploymentPlan::Fail(size_t candidate,
                                                          const std::string& reason, bool stop) {
  reasons_[candidate] = reason;
  std::vector<Command> commands;
  if (stop) commands.push_back(StopCandidate{candidate, reason});
  if (candidate + 1 < candidates_.size()) {
    current_ = candidate + 1;
    commands.push_back(StartCandidate{current_});
  } else {
    // The chain is exhausted: the previous release, if any, keeps serving untouched.
    finished_ = true;
    commands.push_back(Finished{false});
  }
  return commands;
}

}  // namespace lockstep::runtime
