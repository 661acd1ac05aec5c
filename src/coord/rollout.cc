// Carrying a rollout out: approval, baseline, stages of syncs and runs, integration tests,
// and the end (the last good commits, or a rollback). Rolling back is rollout_rollback.cc's.
#include "coord/rollout.h"

#include <fmt/core.h>
#include <unistd.h>

#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "coord/child_run.h"
#include "coord/rollout_internal.h"
#include "engine/http_check_runner.h"
#include "exec/subprocess_set.h"
#include "git/repository.h"
#include "http/client.h"
#include "sync/sync.h"
#include "sync/sync_commit.h"
#include "workflow/action_configuration.h"
#include "workflow/load.h"

namespace lockstep::coord {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using store::RolloutState;
using store::StepState;

// What went wrong in a step, or nothing.
using StepOutcome = std::optional<std::string>;

class Execution {
 public:
  Execution(const RolloutContext& context, store::RolloutRecord record, Plan plan,
            Workspace workspace)
      : context_(context),
        record_(std::move(record)),
        plan_(std::move(plan)),
        workspace_(std::move(workspace)),
        actor_(fmt::format("rollout {}", record_.id)) {}

  Result<RolloutState> Run() {
    Result<std::vector<store::RolloutStep>> steps = context_.store->ListSteps(record_.id);
    if (!steps) return std::unexpected(steps.error());
    for (const store::RolloutStep& step : *steps) {
      if (step.state == StepState::kSucceeded) done_[StepKey(step.kind, step.subject)] = step;
    }
    const EnvironmentSpec* environment = workspace_.FindEnvironment(record_.environment);
    if (environment == nullptr) {
      return Fail(fmt::format("the environment '{}' is no longer in {}", record_.environment,
                              workspace_.file.string()));
    }
    environment_ = *environment;
    if (environment_.approval_required) {
      Result<bool> approved = Approval(fmt::format("environment {}", environment_.name));
      if (!approved) return std::unexpected(approved.error());
      if (!*approved) return RolloutState::kAwaitingApproval;
    }

    bool resumed = record_.started_at.has_value();
    if (Result<void> running =
            context_.store->SetRolloutState(record_.id, RolloutState::kRunning, SelfOwner());
        !running) {
      return std::unexpected(running.error());
    }
    if (record_.baseline.empty()) {
      Result<std::map<std::string, std::string>> serving = context_.runtime->ServingReleases();
      if (!serving)
        return Fail("cannot read what the runtime serves: " + serving.error().message());
      // An empty map is recorded too, so that a resumed rollout keeps the first baseline.
      if (Result<void> set = context_.store->SetBaseline(record_.id, *serving); !set) {
        return std::unexpected(set.error());
      }
    }
    if (!resumed) {
      Notify("rollout.started", record_.environment,
             {{"strategy", plan_.strategy}, {"requested_by", record_.actor}});
    }

    for (size_t stage = 0; stage < plan_.stages.size(); ++stage) {
      if (Result<bool> approved = ApproveStage(stage); !approved || !*approved) {
        if (!approved) return std::unexpected(approved.error());
        return RolloutState::kAwaitingApproval;
      }
      StepOutcome failed = RunStage(stage);
      if (context_.stopping()) return RolloutState::kRunning;  // RecoverRollout ends it
      if (failed) return FailAndRollBack(*failed);
    }
    if (StepOutcome failed = IntegrationTests()) {
      if (context_.stopping()) return RolloutState::kRunning;
      return FailAndRollBack(*failed);
    }
    // A success that needed a fallback says so: the newest handler did not serve.
    std::string reason;
    for (const std::string& fallback : fallbacks_) {
      reason += reason.empty() ? "with a fallback: " + fallback : "; " + fallback;
    }
    Result<void> finished =
        context_.store->FinishRollout(record_.id, RolloutState::kSucceeded, reason, good_commits_);
    if (!finished) return std::unexpected(finished.error());
    Notify("rollout.finished", record_.environment,
           {{"state", "succeeded"}, {"commits", good_commits_}, {"reason", reason}});
    return RolloutState::kSucceeded;
  }

 private:
  static std::string StepKey(std::string_view kind, std::string_view subject) {
    return fmt::format("{}\n{}", kind, subject);
  }

  const store::RolloutStep* Done(std::string_view kind, std::string_view subject) const {
    auto it = done_.find(StepKey(kind, subject));
    return it == done_.end() ? nullptr : &it->second;
  }

  store::Owner SelfOwner() const {
    return {.pid = ::getpid(), .start_time = exec::StartTimeOf(::getpid())};
  }

  void Notify(std::string_view action, std::string_view subject, const json& details) {
    if (context_.observer == nullptr) return;
    std::lock_guard lock(notify_mutex_);
    json with_id = details;
    with_id["rollout"] = record_.id;
    context_.observer->OnAction(record_.id, actor_, action, subject, with_id);
  }

  // A rollout ended before its first step (a bad workspace): failed, nothing to roll back.
  Result<RolloutState> Fail(std::string reason) {
    Result<void> finished =
        context_.store->FinishRollout(record_.id, RolloutState::kFailed, reason, std::nullopt);
    if (!finished) return std::unexpected(finished.error());
    Notify("rollout.finished", record_.environment, {{"state", "failed"}, {"reason", reason}});
    return RolloutState::kFailed;
  }

  Result<RolloutState> FailAndRollBack(const std::string& cause) {
    Result<std::string> rolled = RollBackRollout(context_, record_.id, cause);
    if (!rolled) return std::unexpected(rolled.error());
    return RolloutState::kFailed;
  }

  // True when approved (now or before); false when the rollout now waits for a decision.
  Result<bool> Approval(const std::string& subject) {
    if (Done("approval", subject)) return true;
    if (!record_.decided_by.empty()) {
      Result<int64_t> step = context_.store->StartStep(record_.id, "approval", subject, "");
      if (!step) return std::unexpected(step.error());
      std::string detail = fmt::format("approved by {}", record_.decided_by);
      Result<void> finished =
          context_.store->FinishStep(record_.id, *step, StepState::kSucceeded, detail, "");
      if (!finished) return std::unexpected(finished.error());
      return true;
    }
    Result<void> waiting =
        context_.store->SetRolloutState(record_.id, RolloutState::kAwaitingApproval, {});
    if (!waiting) return std::unexpected(waiting.error());
    Notify("approval.requested", subject, json::object());
    return false;
  }

  // A stage whose workflows hold an approval action waits for the rollout's approval first;
  // the runs then get --approve.
  Result<bool> ApproveStage(size_t stage) {
    for (const std::string& name : plan_.stages[stage]) {
      const PlannedRepository* repository = plan_.FindRepository(name);
      if (repository == nullptr) continue;
      for (const PlannedWorkflow& workflow : repository->workflows) {
        if (!HasApprovalAction(*repository, workflow)) continue;
        return Approval(fmt::format("{}/{}", repository->name, workflow.name));
      }
    }
    return true;
  }

  static bool HasApprovalAction(const PlannedRepository& repository,
                                const PlannedWorkflow& workflow) {
    Result<git::Repository> opened = git::Repository::Open(repository.path);
    if (!opened) return false;
    Result<std::string> text = opened->ReadBlob(repository.commit, workflow.file);
    if (!text) return false;
    workflow::LoadResult loaded = workflow::LoadWorkflow(*text, workflow.file);
    if (!loaded.workflow) return false;
    for (const workflow::Action& action : loaded.workflow->actions) {
      if (workflow::ClassifyIdentifier(action.identifier.value) ==
          workflow::ActionKind::kApproval) {
        return true;
      }
    }
    return false;
  }

  // The repositories of a stage in parallel; the first failure (in plan order) or nothing.
  StepOutcome RunStage(size_t stage) {
    std::vector<std::future<StepOutcome>> running;
    for (const std::string& name : plan_.stages[stage]) {
      const PlannedRepository* repository = plan_.FindRepository(name);
      if (repository == nullptr) continue;
      running.push_back(std::async(std::launch::async,
                                   [this, repository] { return RunRepository(*repository); }));
    }
    StepOutcome failed;
    for (std::future<StepOutcome>& outcome : running) {
      StepOutcome result = outcome.get();
      if (result && !failed) failed = std::move(result);
    }
    return failed;
  }

  StepOutcome RunRepository(const PlannedRepository& repository) {
    std::string commit = repository.commit;
    for (size_t index : repository.syncs_in) {
      if (context_.stopping()) return "the server is stopping";
      Result<std::string> synced = Sync(plan_.syncs[index]);
      if (!synced) return synced.error().message();
      if (!synced->empty()) commit = *synced;
    }
    if (!repository.syncs_in.empty() && commit == repository.commit) {
      // Nothing new to commit: the synced code is already in the branch (a sync made it, maybe
      // after this plan was made), so the runs take the branch's head.
      Result<git::Repository> opened = git::Repository::Open(repository.path);
      if (!opened) return opened.error().message();
      Result<std::string> head =
          opened->ResolveCommit(repository.branch.empty() ? "HEAD" : repository.branch);
      if (!head) return head.error().message();
      commit = *head;
    }
    {
      std::lock_guard lock(commits_mutex_);
      good_commits_[repository.name] = commit;
    }
    std::vector<std::future<StepOutcome>> runs;
    for (const PlannedWorkflow& workflow : repository.workflows) {
      runs.push_back(std::async(std::launch::async, [this, &repository, &workflow, commit] {
        return RunWorkflow(repository.name, repository.path, workflow.file, workflow.name, commit,
                           "run");
      }));
    }
    StepOutcome failed;
    for (std::future<StepOutcome>& run : runs) {
      StepOutcome result = run.get();
      if (result && !failed) failed = std::move(result);
    }
    return failed;
  }

  // The commit the sync made in its target ("" when none), or the failure.
  Result<std::string> Sync(const PlannedSync& planned) {
    std::string subject = fmt::format("{}:{} -> {}:{}", planned.from_repository, planned.from_path,
                                      planned.to_repository, planned.to_path);
    if (const store::RolloutStep* done = Done("sync", subject)) {
      json data = json::parse(done->data, nullptr, false);
      return data.is_object() ? data.value("commit", "") : "";
    }
    const PlannedRepository* source = plan_.FindRepository(planned.from_repository);
    const PlannedRepository* target = plan_.FindRepository(planned.to_repository);
    if (source == nullptr || target == nullptr) {
      return lockstep::Fail(ErrorCode::kInvalidArgument,
                            fmt::format("sync {}: a repository is not in the plan", subject));
    }
    std::string source_commit;
    {
      std::lock_guard lock(commits_mutex_);
      auto it = good_commits_.find(source->name);
      source_commit = it != good_commits_.end() ? it->second : source->commit;
    }
    Result<int64_t> step = context_.store->StartStep(
        record_.id, "sync", subject, fmt::format("from {}", source_commit.substr(0, 12)));
    if (!step) return std::unexpected(step.error());

    sync::SyncRequest request{.source = {.repository = source->path.string(),
                                         .path = planned.from_path,
                                         .revision = source_commit},
                              .destination = target->path / planned.to_path,
                              .actor = actor_,
                              .force = false,
                              .threads = 0,
                              .mirrors_dir = context_.state_directory / "mirrors"};
    Result<sync::SyncReport> report = sync::SyncTree(request);
    std::string commit;
    if (report && planned.commit) {
      Result<std::string> committed =
          sync::CommitSync(request.destination, *report,
                           fmt::format("Sync {}:{} at {} (rollout {})", planned.from_repository,
                                       planned.from_path, source_commit.substr(0, 12), record_.id));
      if (!committed) {
        report = std::unexpected(committed.error());
      } else {
        commit = *committed;
      }
    }
    if (!report) {
      std::string cause = fmt::format("sync {}: {}", subject, report.error().message());
      (void)context_.store->FinishStep(record_.id, *step, StepState::kFailed,
                                       report.error().message(), "");
      Notify("sync", subject, {{"state", "failed"}, {"reason", report.error().message()}});
      return lockstep::Fail(report.error().code(), cause);
    }
    json data = {{"source_commit", source_commit},
                 {"manifest", report->manifest.digest},
                 {"kind", sync::SyncKindName(report->kind)},
                 {"commit", commit}};
    std::string detail = fmt::format(
        "{}: {} added, {} modified, {} removed; manifest {}{}", sync::SyncKindName(report->kind),
        report->added, report->modified, report->removed, report->manifest.digest.substr(0, 12),
        commit.empty() ? "" : fmt::format("; commit {}", commit.substr(0, 12)));
    (void)context_.store->FinishStep(record_.id, *step, StepState::kSucceeded, detail, data.dump());
    Notify("sync", subject, data);
    return commit;
  }

  // One workflow run; `kind` is "run" or "integration".
  StepOutcome RunWorkflow(const std::string& repository, const fs::path& path,
                          const std::string& file, const std::string& name,
                          const std::string& commit, std::string_view kind) {
    std::string subject = fmt::format("{}/{}", repository, name);
    if (Done(kind, subject)) return std::nullopt;
    if (context_.stopping()) return "the server is stopping";
    Result<int64_t> step = context_.store->StartStep(record_.id, kind, subject,
                                                     fmt::format("at {}", commit.substr(0, 12)));
    if (!step) return step.error().message();
    Notify("run.started", subject, {{"commit", commit}, {"workflow_file", file}});

    ChildRunRequest request{
        .executable = context_.executable,
        .repository = path,
        .workflow = file,
        .commit = commit,
        .variables = {fmt::format("LOCKSTEP_ROLLOUT={}", record_.id),
                      fmt::format("LOCKSTEP_ENVIRONMENT={}", record_.environment)},
        .approve = !record_.decided_by.empty(),
        .environment = RunEnvironment(context_, record_.id),
        .log_file = context_.state_directory / "logs" / "rollouts" / std::to_string(record_.id) /
                    fmt::format("{}-{}-{}.log", *step, repository, SafeName(name)),
        .timeout = context_.run_timeout,
        .stop = context_.stopping};
    for (const auto& [key, value] : environment_.variables) {
      request.variables.push_back(fmt::format("{}={}", key, value));
    }
    store::TimeMs started = store::NowMs();
    Result<ChildRunResult> result = RunWorkflowProcess(request);
    std::string failure;
    json data = json::object();
    if (!result) {
      failure = result.error().message();
    } else {
      data = {{"run", result->run_id}, {"state", result->state}, {"commit", commit}};
      if (!result->succeeded()) {
        failure = result->run_id != 0
                      ? fmt::format("run {} {}: {}", result->run_id, result->state, result->reason)
                      : result->reason;
      }
    }
    std::string detail =
        failure.empty() ? fmt::format("run {} succeeded", result->run_id) : failure;
    if (result && result->run_id != 0) {
      std::string fallbacks = NoteDeployments(started, result->run_id, data);
      if (failure.empty() && !fallbacks.empty()) detail += "; " + fallbacks;
    }
    (void)context_.store->FinishStep(record_.id, *step,
                                     failure.empty() ? StepState::kSucceeded : StepState::kFailed,
                                     detail, data.dump());
    data["reason"] = failure;
    Notify("run.finished", subject, data);
    if (failure.empty()) return std::nullopt;
    return fmt::format("{}: {}", subject, failure);
  }

  // Puts the deployments run `run_id` made into `data` ("deployments": service, release,
  // handler, fallback) and returns the fallbacks among them in words ("api is served by
  // enhanced: integrated: not healthy within 10s: …"), which the rollout's end repeats.
  std::string NoteDeployments(store::TimeMs since, int64_t run_id, json& data) {
    Result<std::vector<ServiceDeployment>> deployments = context_.runtime->DeploymentsSince(since);
    if (!deployments) return "";
    std::string prefix = fmt::format("rollout {}, ", record_.id);
    std::string suffix = fmt::format(" run {}", run_id);
    std::string fallbacks;
    json list = json::array();
    for (const ServiceDeployment& deployment : *deployments) {
      if (!deployment.actor.starts_with(prefix) || !deployment.actor.ends_with(suffix)) continue;
      list.push_back({{"service", deployment.service},
                      {"release", deployment.release},
                      {"handler", deployment.handler},
                      {"fallback", deployment.fallback}});
      if (deployment.fallback.empty()) continue;
      std::string note = fmt::format("{} is served by {} ({})", deployment.service,
                                     deployment.handler, deployment.fallback);
      fallbacks += fallbacks.empty() ? note : "; " + note;
      std::lock_guard lock(commits_mutex_);
      fallbacks_.push_back(note);
    }
    if (!list.empty()) data["deployments"] = std::move(list);
    return fallbacks;
  }

  static std::string SafeName(std::string_view name) {
    std::string safe;
    for (char c : name) safe += std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '_';
    return safe;
  }

  StepOutcome IntegrationTests() {
    std::vector<engine::HttpCheck> checks;
    for (const IntegrationTest& test : workspace_.integration_tests) {
      if (test.check) checks.push_back(*test.check);
    }
    if (!checks.empty()) {
      if (StepOutcome failed = IntegrationChecks(checks)) return failed;
    }
    for (const IntegrationTest& test : workspace_.integration_tests) {
      if (test.check) continue;
      const RepositorySpec* repository = workspace_.FindRepository(test.workflow_repository);
      if (repository == nullptr)
        return fmt::format("integration test {}: no repository", test.name);
      std::string commit;
      {
        std::lock_guard lock(commits_mutex_);
        auto it = good_commits_.find(repository->name);
        if (it != good_commits_.end()) commit = it->second;
      }
      if (commit.empty()) {
        Result<git::Repository> opened = git::Repository::Open(repository->path);
        if (!opened) return opened.error().message();
        Result<std::string> head =
            opened->ResolveCommit(repository->branch.empty() ? "HEAD" : repository->branch);
        if (!head) return head.error().message();
        commit = *head;
      }
      if (StepOutcome failed = RunWorkflow(repository->name, repository->path, test.workflow,
                                           test.workflow, commit, "integration")) {
        return failed;
      }
    }
    return std::nullopt;
  }

  StepOutcome IntegrationChecks(const std::vector<engine::HttpCheck>& checks) {
    std::string subject = fmt::format("{} checks through the gateway", checks.size());
    if (Done("integration", subject)) return std::nullopt;
    Result<int64_t> step = context_.store->StartStep(record_.id, "integration", subject, "");
    if (!step) return step.error().message();
    engine::CheckSuite suite{.base_url = context_.gateway_url,
                             .deadline = workspace_.integration_deadline,
                             .interval = std::chrono::milliseconds(500),
                             .checks = checks};
    Result<http::Url> base = http::ParseUrl(context_.gateway_url);
    engine::SuiteResult result;
    if (!base) {
      result.failure = fmt::format("no gateway to test through: {}", base.error().message());
    } else {
      result = engine::RunChecks(suite, *base, {});
    }
    json data = json::array();
    for (const engine::CheckResult& check : result.checks) {
      data.push_back({{"check", check.label},
                      {"passed", check.state == engine::CheckResult::State::kPassed},
                      {"attempts", check.attempts},
                      {"failure", check.failure}});
    }
    std::string detail = result.passed ? fmt::format("{} passed", checks.size()) : result.failure;
    (void)context_.store->FinishStep(record_.id, *step,
                                     result.passed ? StepState::kSucceeded : StepState::kFailed,
                                     detail, data.dump());
    Notify("integration", subject, {{"passed", result.passed}, {"checks", data}});
    if (result.passed) return std::nullopt;
    return fmt::format("integration tests: {}", result.failure);
  }

  const RolloutContext& context_;
  store::RolloutRecord record_;
  Plan plan_;
  Workspace workspace_;
  EnvironmentSpec environment_;
  std::string actor_;
  std::map<std::string, store::RolloutStep> done_;  // succeeded steps by kind and subject
  std::mutex commits_mutex_;
  std::map<std::string, std::string> good_commits_;  // guarded by commits_mutex_
  std::vector<std::string> fallbacks_;               // guarded by commits_mutex_
  std::mutex notify_mutex_;
};

}  // namespace

std::string RolloutProcessTag(const std::filesystem::path& state_directory, store::RolloutId id) {
  return fmt::format("LOCKSTEP_ROLLOUT_TAG={}:{}", state_directory.string(), id);
}

std::vector<std::string> RunEnvironment(const RolloutContext& context, store::RolloutId id) {
  std::vector<std::string> environment = context.base_environment;
  environment.push_back("LOCKSTEP_HOME=" + context.state_directory.string());
  if (!context.gateway_url.empty()) {
    environment.push_back("LOCKSTEP_GATEWAY_URL=" + context.gateway_url);
  }
  environment.push_back(RolloutProcessTag(context.state_directory, id));
  return environment;
}

Result<store::RolloutId> CreateRollout(store::CoordStore& store, const Plan& plan,
                                       std::string_view actor) {
  return store.CreateRollout({.environment = plan.environment,
                              .actor = std::string(actor),
                              .strategy = plan.strategy,
                              .plan_json = PlanToJson(plan)});
}

// The plan for `environment` now, from its last good commits.
static Result<Plan> Replan(const RolloutContext& context, const Workspace& workspace,
                           const std::string& environment) {
  Result<std::map<std::string, std::string>> last_good =
      context.store->LastGoodCommits(environment);
  if (!last_good) return std::unexpected(last_good.error());
  return MakePlan({.workspace = &workspace,
                   .environment = environment,
                   .last_good = std::move(*last_good),
                   .baseline = {},
                   .mirrors_dir = context.state_directory / "mirrors"});
}

Result<RolloutState> ExecuteRollout(const RolloutContext& context, store::RolloutId id) {
  Result<store::RolloutRecord> record = context.store->GetRollout(id);
  if (!record) return std::unexpected(record.error());
  if (store::IsFinal(record->state) || record->state == RolloutState::kAwaitingApproval) {
    return record->state;
  }
  Result<bool> next = context.store->IsNextInEnvironment(id);
  if (!next) return std::unexpected(next.error());
  if (!*next) return record->state;
  Result<Plan> plan = PlanFromJson(record->plan_json);
  Result<Workspace> workspace = ReadWorkspaceFile(context.workspace_file);
  if (plan && workspace && !record->started_at && record->decided_by.empty()) {
    // Planned again when its turn comes: a rollout that waited for another carries out what
    // is left after it, from the commits that one made good. An approved plan stays the one
    // that was approved.
    Result<Plan> fresh = Replan(context, *workspace, record->environment);
    if (!fresh) {
      plan = std::unexpected(fresh.error());
    } else {
      if (Result<void> set = context.store->SetPlan(id, fresh->strategy, PlanToJson(*fresh));
          !set) {
        return std::unexpected(set.error());
      }
      plan = std::move(fresh);
      if (plan->empty()) {
        Result<void> finished = context.store->FinishRollout(id, RolloutState::kSucceeded, "",
                                                             std::map<std::string, std::string>{});
        if (!finished) return std::unexpected(finished.error());
        return RolloutState::kSucceeded;
      }
    }
  }
  std::string refused = !plan        ? "its plan cannot be read: " + plan.error().message()
                        : !workspace ? workspace.error().message()
                                     : "";
  if (!refused.empty()) {
    Result<void> finished =
        context.store->FinishRollout(id, RolloutState::kFailed, refused, std::nullopt);
    if (!finished) return std::unexpected(finished.error());
    return RolloutState::kFailed;
  }
  Execution execution(context, std::move(*record), std::move(*plan), std::move(*workspace));
  return execution.Run();
}

}  // namespace lockstep::coord
