#include "server/coordinator.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "coord/workspace.h"

namespace lockstep::server {

Coordinator::Coordinator(CoordinatorOptions options, store::CoordStore& store,
                         coord::RuntimeControl& runtime, coord::RolloutObserver* observer)
    : options_(std::move(options)), store_(store), runtime_(runtime), observer_(observer) {}

Coordinator::~Coordinator() { Stop(); }

coord::RolloutContext Coordinator::Context() {
  return coord::RolloutContext{.workspace_file = options_.workspace_file,
                               .state_directory = options_.state_directory,
                               .executable = options_.executable,
                               .gateway_url = options_.gateway_url,
                               .store = &store_,
                               .runtime = &runtime_,
                               .observer = observer_,
                               .base_environment = options_.base_environment,
                               .stopping = [this] { return stopping_.load(); }};
}

void Coordinator::Start() {
  if (!has_workspace()) return;
  poller_ = std::thread([this] { PollLoop(); });
}

void Coordinator::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_.exchange(true)) return;
  }
  wake_.notify_all();
  if (poller_.joinable()) poller_.join();
  // Rollout threads see stopping_ between steps and stop their runs.
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return running_.empty(); });
}

Result<coord::Plan> Coordinator::MakePlan(const std::string& environment) {
  if (!has_workspace()) {
    return Fail(ErrorCode::kNotFound,
                "this server has no workspace: start it beside a lockstep.yaml (or with "
                "--workspace FILE)");
  }
  Result<coord::Workspace> workspace = coord::ReadWorkspaceFile(options_.workspace_file);
  if (!workspace) return std::unexpected(workspace.error());
  std::string name = environment;
  if (name.empty()) name = workspace->environments.front().name;
  if (workspace->FindEnvironment(name) == nullptr) {
    return Fail(ErrorCode::kNotFound,
                fmt::format("no environment '{}' in {}", name, options_.workspace_file.string()));
  }
  Result<std::map<std::string, std::string>> last_good = store_.LastGoodCommits(name);
  if (!last_good) return std::unexpected(last_good.error());
  return coord::MakePlan({.workspace = &*workspace,
                          .environment = name,
                          .last_good = std::move(*last_good),
                          .mirrors_dir = options_.state_directory / "mirrors"});
}

Result<std::optional<store::RolloutId>> Coordinator::StartRollout(const std::string& environment,
                                                                  const std::string& actor,
                                                                  coord::Plan* plan_out) {
  std::lock_guard plan_lock(plan_mutex_);
  Result<coord::Plan> plan = MakePlan(environment);
  if (!plan) return std::unexpected(plan.error());
  if (plan_out != nullptr) *plan_out = *plan;
  if (plan->empty()) return std::nullopt;
  Result<store::RolloutId> id = coord::CreateRollout(store_, *plan, actor);
  if (!id) return std::unexpected(id.error());
  if (observer_ != nullptr) {
    observer_->OnAction(*id, actor, "rollout.requested", plan->environment,
                        {{"rollout", *id}, {"strategy", plan->strategy}});
  }
  {
    std::lock_guard lock(mutex_);
    pending_.erase(plan->environment);
  }
  Kick();
  return *id;
}

Result<void> Coordinator::Decide(store::RolloutId id, bool approve, const std::string& actor,
                                 const std::string& reason) {
  if (Result<void> decided = store_.Decide(id, approve, actor, reason); !decided) return decided;
  if (!approve) {
    (void)store_.FailRunningSteps(id, fmt::format("rejected by {}", actor));
  }
  if (observer_ != nullptr) {
    observer_->OnAction(id, actor, approve ? "approval.granted" : "approval.rejected",
                        fmt::format("rollout {}", id), {{"rollout", id}, {"reason", reason}});
  }
  Kick();
  return {};
}

std::vector<PendingPlan> Coordinator::Pending() const {
  std::lock_guard lock(mutex_);
  std::vector<PendingPlan> pending;
  for (const auto& [environment, plan] : pending_) pending.push_back(plan);
  return pending;
}

void Coordinator::Kick() {
  std::lock_guard lock(mutex_);
  StartReadyLocked();
}

void Coordinator::StartReadyLocked() {
  if (stopping_) return;
  Result<std::vector<store::RolloutRecord>> unfinished = store_.UnfinishedRollouts();
  if (!unfinished) {
    spdlog::error("cannot list the rollouts: {}", unfinished.error().message());
    return;
  }
  for (const store::RolloutRecord& rollout : *unfinished) {
    if (rollout.state != store::RolloutState::kQueued || running_.contains(rollout.id)) continue;
    Result<bool> next = store_.IsNextInEnvironment(rollout.id);
    if (!next || !*next) continue;
    store::RolloutId id = rollout.id;
    running_.insert(id);
    std::thread([this, id] { RunRollout(id); }).detach();
  }
}

void Coordinator::RunRollout(store::RolloutId id) {
  Result<store::RolloutState> state = coord::ExecuteRollout(Context(), id);
  if (!state) {
    spdlog::error("rollout {}: {}", id, state.error().message());
  } else {
    spdlog::info("rollout {}: {}", id, store::ToString(*state));
  }
  // The last thing this thread does with the coordinator: once the lock is released, Stop
  // may return and the coordinator be gone.
  std::lock_guard lock(mutex_);
  running_.erase(id);
  StartReadyLocked();
  idle_.notify_all();
}

void Coordinator::PollLoop() {
  // First what a dead server left: its running rollouts go back, then the queue moves on.
  Result<std::vector<store::RolloutRecord>> unfinished = store_.UnfinishedRollouts();
  if (unfinished) {
    for (const store::RolloutRecord& rollout : *unfinished) {
      if (rollout.state != store::RolloutState::kRunning &&
          rollout.state != store::RolloutState::kRollingBack) {
        continue;
      }
      spdlog::warn("rollout {} was left {} by a server that stopped; rolling it back", rollout.id,
                   store::ToString(rollout.state));
      if (Result<void> recovered = coord::RecoverRollout(Context(), rollout.id); !recovered) {
        spdlog::error("rollout {}: {}", rollout.id, recovered.error().message());
      }
    }
  } else {
    spdlog::error("cannot list the rollouts: {}", unfinished.error().message());
  }
  Kick();
  if (options_.poll_interval.count() <= 0) return;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, options_.poll_interval, [this] { return stopping_.load(); });
    if (stopping_) break;
    lock.unlock();
    PollOnce();
    lock.lock();
  }
}

void Coordinator::PollOnce() {
  Result<coord::Workspace> workspace = coord::ReadWorkspaceFile(options_.workspace_file);
  if (!workspace) {
    spdlog::warn("polling: {}", workspace.error().message());
    return;
  }
  for (const coord::EnvironmentSpec& environment : workspace->environments) {
    Result<std::vector<store::RolloutRecord>> rollouts = store_.ListRollouts(environment.name, 1);
    // Changes made while a rollout runs are planned once it has ended.
    if (!rollouts || (!rollouts->empty() && !store::IsFinal(rollouts->front().state))) continue;
    if (environment.auto_rollout) {
      Result<std::optional<store::RolloutId>> started =
          StartRollout(environment.name, "lockstep (poll)");
      if (!started) {
        spdlog::warn("polling {}: {}", environment.name, started.error().message());
      } else if (*started) {
        spdlog::info("polling {}: a change started rollout {}", environment.name, **started);
      }
      continue;
    }
    Result<coord::Plan> plan = MakePlan(environment.name);
    std::lock_guard lock(mutex_);
    if (!plan || plan->empty()) {
      pending_.erase(environment.name);
    } else if (pending_[environment.name].strategy != plan->strategy) {
      pending_[environment.name] = {environment.name, plan->strategy, store::NowMs()};
      spdlog::info("polling {}: a plan is pending: {}", environment.name, plan->strategy);
    }
  }
}

}  // namespace lockstep::server
