// Rolling a rollout back: every service its runs deployed goes back to the release it served
// before the rollout, newest deployment first; and a rollout a dead server left is ended that
// way.
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "base/strings.h"
#include "coord/rollout.h"
#include "coord/rollout_internal.h"
#include "exec/subprocess_set.h"

namespace lockstep::coord {
namespace {

using json = nlohmann::json;
using store::RolloutState;
using store::StepState;

// The services the rollout's runs deployed, in the order of their first deployment. A
// deployment belongs to the rollout when its actor starts with "rollout ID, " (the deploy
// action puts LOCKSTEP_ROLLOUT there).
std::vector<std::string> DeployedServices(const std::vector<ServiceDeployment>& deployments,
                                          store::RolloutId id) {
  std::string prefix = fmt::format("rollout {}, ", id);
  std::vector<std::string> services;
  for (const ServiceDeployment& deployment : deployments) {
    if (!deployment.actor.starts_with(prefix)) continue;
    if (std::find(services.begin(), services.end(), deployment.service) == services.end()) {
      services.push_back(deployment.service);
    }
  }
  return services;
}

void Notify(const RolloutContext& context, store::RolloutId id, std::string_view action,
            std::string_view subject, json details) {
  if (context.observer == nullptr) return;
  details["rollout"] = id;
  context.observer->OnAction(id, fmt::format("rollout {}", id), action, subject, details);
}

}  // namespace

Result<std::string> RollBackRollout(const RolloutContext& context, store::RolloutId id,
                                    const std::string& cause) {
  store::CoordStore& store = *context.store;
  Result<store::RolloutRecord> record = store.GetRollout(id);
  if (!record) return std::unexpected(record.error());
  store::Owner self{.pid = ::getpid(), .start_time = exec::StartTimeOf(::getpid())};
  if (Result<void> set = store.SetRolloutState(id, RolloutState::kRollingBack, self); !set) {
    return std::unexpected(set.error());
  }
  Notify(context, id, "rollout.rolling_back", record->environment, {{"cause", cause}});

  Result<std::vector<store::RolloutStep>> steps = store.ListSteps(id);
  if (!steps) return std::unexpected(steps.error());
  std::set<std::string> already;  // services rolled back before a crash interrupted this
  for (const store::RolloutStep& step : *steps) {
    if (step.kind == "rollback" && step.state != StepState::kFailed) already.insert(step.subject);
  }
  store::TimeMs since = record->started_at.value_or(record->created_at);
  Result<std::vector<ServiceDeployment>> deployments = context.runtime->DeploymentsSince(since);
  if (!deployments) return std::unexpected(deployments.error());
  std::vector<std::string> services = DeployedServices(*deployments, id);

  std::vector<std::string> rolled_back, problems;
  for (auto service = services.rbegin(); service != services.rend(); ++service) {
    if (already.contains(*service)) {
      rolled_back.push_back(*service);
      continue;
    }
    auto baseline = record->baseline.find(*service);
    std::string target = baseline == record->baseline.end() ? "" : baseline->second;
    Result<int64_t> step = store.StartStep(id, "rollback", *service,
                                           target.empty() ? "" : fmt::format("to {}", target));
    if (!step) return std::unexpected(step.error());
    if (target.empty()) {
      std::string detail = "first deployed by this rollout: no earlier release to go back to";
      (void)store.FinishStep(id, *step, StepState::kSkipped, detail, "");
      problems.push_back(fmt::format("{} has no earlier release", *service));
      continue;
    }
    Result<std::map<std::string, std::string>> serving = context.runtime->ServingReleases();
    if (serving && (*serving)[*service] == target) {
      (void)store.FinishStep(id, *step, StepState::kSucceeded,
                             fmt::format("already serving {}", target), "");
      rolled_back.push_back(*service);
      continue;
    }
    Result<void> rollback =
        context.runtime->Rollback(*service, target, fmt::format("rollout {}", id));
    if (!rollback) {
      (void)store.FinishStep(id, *step, StepState::kFailed, rollback.error().message(), "");
      problems.push_back(
          fmt::format("{} could not go back: {}", *service, rollback.error().message()));
      Notify(context, id, "rollback", *service,
             {{"release", target}, {"state", "failed"}, {"reason", rollback.error().message()}});
      continue;
    }
    (void)store.FinishStep(id, *step, StepState::kSucceeded, fmt::format("serving {}", target),
                           json{{"release", target}}.dump());
    Notify(context, id, "rollback", *service, {{"release", target}, {"state", "succeeded"}});
    rolled_back.push_back(*service);
  }

  std::string reason = cause;
  if (!rolled_back.empty()) {
    reason += fmt::format("; rolled back {}", Join(rolled_back, ", "));
  } else if (problems.empty()) {
    reason += "; nothing was deployed, nothing to roll back";
  }
  if (!problems.empty()) reason += "; " + Join(problems, "; ");
  Result<void> finished = store.FinishRollout(id, RolloutState::kFailed, reason, std::nullopt);
  if (!finished) return std::unexpected(finished.error());
  Notify(context, id, "rollout.finished", record->environment,
         {{"state", "failed"}, {"reason", reason}, {"rolled_back", rolled_back}});
  return reason;
}

Result<void> RecoverRollout(const RolloutContext& context, store::RolloutId id) {
  Result<store::RolloutRecord> record = context.store->GetRollout(id);
  if (!record) return std::unexpected(record.error());
  if (record->state != RolloutState::kRunning && record->state != RolloutState::kRollingBack) {
    return {};
  }
  // The runs it started get SIGTERM (each cancels its actions), then SIGKILL.
  exec::KillTaggedProcesses(RolloutProcessTag(context.state_directory, id),
                            std::chrono::seconds(10));
  std::string cause = "interrupted: the server stopped while the rollout ran";
  if (Result<void> failed = context.store->FailRunningSteps(id, cause); !failed) return failed;
  Result<std::string> rolled = RollBackRollout(context, id, cause);
  if (!rolled) return std::unexpected(rolled.error());
  return {};
}

}  // namespace lockstep::coord
