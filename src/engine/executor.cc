#include "engine/executor.h"

#include <fmt/core.h>
#include <unistd.h>

#include <map>
#include <thread>

#include "base/strings.h"
#include "engine/action_environment.h"
#include "engine/action_log.h"
#include "engine/action_outputs.h"
#include "engine/action_workspace.h"
#include "engine/file_cache.h"
#include "engine/plan.h"
#include "engine/run_setup.h"
#include "engine/source_snapshot.h"
#include "engine/step_script.h"
#include "engine/substitute.h"
#include "engine/workflow_graph.h"
#include "exec/secret_masker.h"
#include "exec/subprocess_set.h"
#include "store/sqlite_store.h"

namespace lockstep::engine {
namespace {

namespace fs = std::filesystem;
using store::ActionState;
using store::RunState;

constexpr auto kAdmissionPoll = std::chrono::milliseconds(200);
constexpr auto kLogFlushInterval = std::chrono::milliseconds(250);

store::RunMode ToStoreMode(workflow::RunMode mode) {
  switch (mode) {
    case workflow::RunMode::kParallel: return store::RunMode::kParallel;
    case workflow::RunMode::kSuperseded: return store::RunMode::kSuperseded;
    case workflow::RunMode::kQueued: break;
  }
  return store::RunMode::kQueued;
}

std::chrono::milliseconds Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

// One action's life in this process: where it runs and what it has produced.
struct ActionRun {
  PreparedAction prepared;
  store::ActionRecord record;
  fs::path workspace;    // private folder of this attempt
  fs::path default_dir;  // CATALYST_DEFAULT_DIR, the steps' starting folder
  fs::path script_dir;   // the step program and what it leaves behind
  std::unique_ptr<ActionLog> log;
  std::optional<exec::ProcessId> process;
  std::chrono::steady_clock::time_point started;
  std::optional<std::chrono::milliseconds> duration;
  std::map<std::string, std::string> outputs;  // output variables
  std::optional<store::TestCounts> tests;
  std::vector<std::string> log_tail;
};

class Executor {
 public:
  Executor(const RunRequest& request, RunObserver& observer, PreparedRun prepared,
           std::unique_ptr<store::Store> store)
      : request_(request),
        observer_(observer),
        run_(std::move(prepared)),
        store_(std::move(store)),
        plan_(BuildPlanNodes(run_.workflow), request.keep_going) {
    for (PreparedAction& action : run_.actions) {
      actions_.emplace_back();
      actions_.back().prepared = std::move(action);
    }
  }

  Result<RunSummary> Run(std::optional<store::RunId> resume) {
    auto started = Start(resume);
    if (!started) return std::unexpected(started.error());
    started_ = std::chrono::steady_clock::now();
    observer_.OnRunCreated(Summary());

    if (!resume) {  // a resumed run was reopened as running; it does not queue again
      auto admitted = WaitForTurn();
      if (!admitted) return std::unexpected(admitted.error());
      if (!*admitted) return Summary();  // superseded or interrupted while waiting
    }

    if (auto prepared = PrepareSource(); !prepared) {
      return Finish(RunState::kFailed, "cannot export the sources: " + prepared.error().message());
    }
    Drive();
    return Conclude();
  }

 private:
  Result<void> Start(std::optional<store::RunId> resume) {
    if (resume) {
      run_id_ = *resume;
      if (auto reopened = store_->ReopenRun(run_id_, Self()); !reopened)
        return std::unexpected(reopened.error());
      auto records = store_->ListActions(run_id_);
      if (!records) return std::unexpected(records.error());
      auto variables = store_->ListVariables(run_id_);
      if (!variables) return std::unexpected(variables.error());
      auto artifacts = store_->ListArtifacts(run_id_);
      if (!artifacts) return std::unexpected(artifacts.error());
      for (const store::ActionRecord& record : *records) {
        size_t index = IndexOf(record.name);
        if (index == actions_.size()) continue;
        actions_[index].record = record;
        if (record.state == ActionState::kSucceeded) plan_.MarkSucceeded(index);
      }
      for (const store::VariableRecord& variable : *variables) {
        size_t index = IndexOf(variable.action);
        if (index < actions_.size()) actions_[index].outputs[variable.name] = variable.value;
      }
      for (const store::ArtifactRecord& artifact : *artifacts) artifacts_[artifact.name] = artifact.path;
      return {};
    }
    store::NewRun new_run{.workflow = run_.workflow.name,
                          .workflow_file = run_.workflow_file,
                          .repository = run_.root.string(),
                          .commit = run_.commit,
                          .branch = run_.branch,
                          .mode = ToStoreMode(run_.workflow.run_mode),
                          .owner = Self(),
                          .actions = {}};
    for (const ActionRun& action : actions_) new_run.actions.push_back(action.prepared.action->name);
    auto id = store_->CreateRun(new_run);
    if (!id) return std::unexpected(id.error());
    run_id_ = *id;
    for (ActionRun& action : actions_) {
      action.record.run_id = run_id_;
      action.record.name = action.prepared.action->name;
    }
    return {};
  }

  static store::Owner Self() {
    int pid = static_cast<int>(::getpid());
    return {pid, exec::StartTimeOf(pid)};
  }

  size_t IndexOf(std::string_view name) const {
    for (size_t i = 0; i < actions_.size(); ++i)
      if (actions_[i].prepared.action->name == name) return i;
    return actions_.size();
  }

  fs::path RunDirectory() const {
    return request_.state_directory / "runs" / std::to_string(run_id_);
  }

  // Waits, interruptibly, until the store admits the run under its RunMode. False when the
  // run was superseded or lockstep was interrupted while it waited (the run is then ended).
  Result<bool> WaitForTurn() {
    bool told = false;
    while (true) {
      auto admission = store_->Admit(run_id_);
      if (!admission) return std::unexpected(admission.error());
      if (*admission == store::Admission::kAdmitted) return true;
      if (*admission == store::Admission::kCancelled) {
        auto record = store_->GetRun(run_id_);
        final_state_ = RunState::kCancelled;
        final_reason_ = record ? record->reason : "superseded";
        MarkAllPending(ActionState::kCancelled, final_reason_);
        observer_.OnRunFinished(Summary());
        return false;
      }
      if (!told) {
        observer_.OnNotice(fmt::format(
            "run {} waits: an earlier run of '{}' holds the turn (RunMode {})", run_id_,
            run_.workflow.name, store::ToString(ToStoreMode(run_.workflow.run_mode))));
        told = true;
      }
      processes_.WaitForEvent(std::chrono::steady_clock::now() + kAdmissionPoll);
      // A queued run whose lockstep died would hold the turn forever: recover it.
      if (auto notices = RecoverAbandonedRuns(*store_)) {
        for (const std::string& notice : *notices) observer_.OnNotice(notice);
      }
      if (processes_.interrupted()) {
        std::string reason = InterruptReason();
        MarkAllPending(ActionState::kCancelled, reason);
        auto finished = Finish(RunState::kCancelled, reason);
        if (!finished) return std::unexpected(finished.error());
        return false;
      }
    }
  }

  void MarkAllPending(ActionState state, const std::string& reason) {
    for (size_t index : plan_.StopPending(state, reason)) Record(index);
  }

  std::string InterruptReason() const {
    const char* name = sigabbrev_np(processes_.interrupt_signal());
    return fmt::format("cancelled: lockstep received SIG{}", name != nullptr ? name : "?");
  }

  Result<void> PrepareSource() {
    if (!run_.needs_source) return {};
    fs::path directory = RunDirectory() / "source";
    // A crashed run may have left one behind; export afresh rather than trust it.
    if (auto removed = SourceSnapshot::Remove(directory); !removed) return removed;
    std::error_code error;
    fs::create_directories(directory.parent_path(), error);
    auto snapshot = SourceSnapshot::Create(run_.repository, run_.commit, directory);
    if (!snapshot) return std::unexpected(snapshot.error());
    snapshot_ = std::move(*snapshot);
    return {};
  }

  int Jobs() const {
    if (request_.jobs > 0) return request_.jobs;
    unsigned cores = std::thread::hardware_concurrency();
    return cores == 0 ? 1 : static_cast<int>(cores);
  }

  // The scheduler loop: start what capacity allows, wait for one event, feed it back.
  void Drive() {
    const size_t jobs = static_cast<size_t>(Jobs());
    while (!plan_.Done()) {
      while (plan_.running() < jobs && !cancelling_) {
        std::optional<size_t> next = plan_.StartNext();
        if (!next) break;
        StartAction(*next);
      }
      if (plan_.Done()) break;
      if (plan_.running() == 0) {
        // Nothing runs and nothing can start: only possible after a stop.
        MarkAllPending(ActionState::kSkipped, "not started");
        break;
      }
      // Bounded so that logs reach their files while actions run (lockstep logs --follow).
      std::optional<exec::ProcessFinished> finished =
          processes_.WaitForEvent(std::chrono::steady_clock::now() + kLogFlushInterval);
      for (auto& [process, index] : running_)
        if (actions_[index].log) actions_[index].log->Flush();
      if (processes_.interrupted() && !cancelling_) {
        cancelling_ = true;
        std::string reason = InterruptReason();
        observer_.OnNotice(fmt::format("{}; stopping the running actions", reason));
        MarkAllPending(ActionState::kCancelled, reason);
        processes_.CancelAll();
      }
      if (finished) FinishProcess(*finished);
    }
  }

  // --- starting an action -------------------------------------------------------------------

  void StartAction(size_t index) {
    ActionRun& action = actions_[index];
    action.started = std::chrono::steady_clock::now();
    switch (action.prepared.mode) {
      case PreparedAction::Mode::kSkip:
        Complete(index, ActionState::kSkipped, action.prepared.skip_reason);
        return;
      case PreparedAction::Mode::kApproval:
        Complete(index, ActionState::kSucceeded, "");
        return;
      case PreparedAction::Mode::kSteps:
        break;
    }
    auto launched = Launch(index);
    if (!launched) {
      if (action.log) {
        action.log->Note(launched.error().message());
        (void)action.log->Close();
        action.log_tail = action.log->tail();
        action.log.reset();
      }
      Complete(index, ActionState::kFailed, launched.error().message());
    }
  }

  Result<void> Launch(size_t index) {
    ActionRun& action = actions_[index];
    const workflow::Action& definition = *action.prepared.action;
    const int attempt = action.record.attempt + 1;
    fs::path logs = RunDirectory() / "logs";
    std::error_code error;
    fs::create_directories(logs, error);
    fs::path log_path = logs / fmt::format("{}.{}.log", definition.name, attempt);

    // Committed before anything of the action exists, so a crash from here on is found.
    if (auto recorded = store_->UpdateAction(run_id_, definition.name,
                                             {.state = ActionState::kRunning,
                                              .reason = {},
                                              .exit_code = {},
                                              .log_path = log_path.string()});
        !recorded) {
      return std::unexpected(recorded.error());
    }
    action.record.state = ActionState::kRunning;
    action.record.attempt = attempt;
    action.record.log_path = log_path.string();
    Notify(index);

    StepScript script{.steps = {}, .output_variables = {}, .limits = request_.limits};
    std::vector<std::string> titles;
    for (const std::string& step : action.prepared.steps) {
      script.steps.push_back(SubstituteReferences(step, [&](std::string_view reference) {
        return Resolve(reference, /*for_shell=*/true);
      }));
      titles.push_back(StepTitle(script.steps.back()));
    }
    for (const auto& variable : definition.output_variables)
      script.output_variables.push_back(variable.value);
    auto log = ActionLog::Create(log_path, std::move(titles));
    if (!log) return std::unexpected(log.error());
    action.log = std::move(*log);

    FileCache cache = Cache();
    auto workspace = PrepareActionWorkspace(definition, RunDirectory() / "actions" / definition.name,
                                            snapshot_ ? &*snapshot_ : nullptr, artifacts_, cache,
                                            *action.log);
    if (!workspace) return std::unexpected(workspace.error());
    action.workspace = workspace->root;
    action.default_dir = workspace->default_dir;
    action.script_dir = workspace->script_dir;
    auto argv = WriteStepScript(script, action.script_dir);
    if (!argv) return std::unexpected(argv.error());

    exec::ProcessSpec spec;
    spec.argv = std::move(*argv);
    spec.environment = Environment(index);
    spec.working_directory = action.default_dir;
    spec.limits.open_files.reset();  // limits are applied by the step program (ulimit)
    if (definition.timeout_minutes)
      spec.timeout = std::chrono::minutes(*definition.timeout_minutes);
    spec.kill_grace = request_.kill_grace;
    spec.max_output_bytes = request_.max_output_bytes;
    for (const std::string& name : action.prepared.secrets)
      spec.secrets.push_back(request_.secrets.at(name));
    spec.sandbox.enabled = request_.sandbox;
    spec.sandbox.writable = {action.workspace};
    auto process = processes_.Start(spec, *action.log);
    if (!process) return std::unexpected(process.error());
    action.process = *process;
    running_[*process] = index;
    int group = processes_.ProcessGroup(*process);
    if (auto recorded = store_->SetActionProcess(run_id_, definition.name, group,
                                                 exec::StartTimeOf(group));
        !recorded) {
      observer_.OnNotice("cannot record the process group: " + recorded.error().message());
    }
    return {};
  }

  FileCache Cache() const {
    std::string key = run_.workflow.name;
    for (char& c : key)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
    return FileCache(request_.state_directory / "cache" / key);
  }

  // The value of a `${…}` reference. In step text a secret becomes an expansion of the
  // variable that carries it, so its value is never written to disk.
  std::optional<std::string> Resolve(std::string_view reference, bool for_shell) const {
    if (reference == "WorkflowSource.CommitId") return run_.commit;
    if (reference == "WorkflowSource.BranchName") return run_.branch;
    if (std::string_view secret = SecretName(reference); !secret.empty()) {
      if (for_shell) return "${" + SecretVariable(secret) + "}";
      auto it = request_.secrets.find(std::string(secret));
      if (it == request_.secrets.end()) return std::nullopt;
      return it->second;
    }
    const workflow::Action* source = ReferencedAction(run_.workflow, reference);
    if (source == nullptr) return std::nullopt;
    const ActionRun& producer = actions_[IndexOf(source->name)];
    std::string_view variable = reference.substr(reference.rfind('.') + 1);
    auto it = producer.outputs.find(std::string(variable));
    if (it == producer.outputs.end()) return std::string();
    return it->second;
  }

  std::vector<std::string> Environment(size_t index) const {
    const ActionRun& action = actions_[index];
    ActionEnvironmentInput input{
        .action = action.prepared.action,
        .run_id = run_id_,
        .workflow = run_.workflow.name,
        .commit = run_.commit,
        .branch = run_.branch,
        .workspace = action.workspace,
        .default_dir = action.default_dir,
        .temp_dir = action.script_dir,
        .resolve = [this](std::string_view reference) { return Resolve(reference, false); },
        .run_variables = &request_.variables,
        .secrets = {}};
    for (const std::string& name : action.prepared.secrets)
      input.secrets[name] = request_.secrets.at(name);
    return ActionEnvironment(input);
  }

  // --- finishing an action ------------------------------------------------------------------

  void FinishProcess(const exec::ProcessFinished& finished) {
    auto it = running_.find(finished.id);
    if (it == running_.end()) return;
    size_t index = it->second;
    running_.erase(it);
    ActionRun& action = actions_[index];
    action.process.reset();
    const exec::ProcessResult& result = finished.result;

    ActionState state = ActionState::kSucceeded;
    std::string reason;
    auto outcome = ReadStepOutcome(action.script_dir);
    if (!result.cancelled) {
      if (auto reports = RecordTestReports(index); !reports)
        action.log->Note("test reports not recorded: " + reports.error().message());
    }
    if (result.cancelled) {
      state = cancelling_ ? ActionState::kCancelled : ActionState::kFailed;
      reason = cancelling_ ? InterruptReason() : "cancelled";
    } else if (!result.succeeded()) {
      state = ActionState::kFailed;
      reason = DescribeFailure(action, result, outcome ? outcome->last_step : 0);
    } else if (!outcome) {
      state = ActionState::kFailed;
      reason = "cannot read the step results: " + outcome.error().message();
    } else if (auto collected = CollectOutputs(index, *outcome); !collected) {
      state = ActionState::kFailed;
      reason = collected.error().message();
    }
    if (auto damaged = CheckSource(index); !damaged && state == ActionState::kSucceeded) {
      state = ActionState::kFailed;
      reason = damaged.error().message();
    }
    if (action.log) {
      if (!reason.empty()) action.log->Note(reason);
      if (auto closed = action.log->Close(); !closed && state == ActionState::kSucceeded) {
        state = ActionState::kFailed;
        reason = closed.error().message();
      }
      action.log_tail = action.log->tail();
      action.log.reset();
    }
    if (state == ActionState::kSucceeded && !request_.keep_workspaces) RemoveTree(action.workspace);
    if (state == ActionState::kFailed) action.record.exit_code = result.exit_code;
    Complete(index, state, reason);
  }

  std::string DescribeFailure(const ActionRun& action, const exec::ProcessResult& result,
                              int step) const {
    const auto& steps = action.prepared.steps;
    if (result.timed_out || step <= 0 || step > static_cast<int>(steps.size()))
      return result.Describe();
    return fmt::format("step {} ({}) {}", step, StepTitle(steps[static_cast<size_t>(step - 1)]),
                       result.Describe());
  }

  Result<void> CollectOutputs(size_t index, const StepOutcome& outcome) {
    ActionRun& action = actions_[index];
    const workflow::Action& definition = *action.prepared.action;
    exec::SecretMasker masker(SecretValues(action));
    std::vector<store::VariableRecord> variables;
    for (const auto& declared : definition.output_variables) {
      auto it = outcome.variables.find(declared.value);
      if (it == outcome.variables.end()) {
        action.log->Note(fmt::format("output variable {} was not set", declared.value));
        continue;
      }
      std::string value = masker.Mask(it->second);
      action.outputs[declared.value] = value;
      variables.push_back({definition.name, declared.value, value});
    }
    if (auto stored = store_->SetVariables(run_id_, definition.name, variables); !stored)
      return std::unexpected(stored.error());

    auto artifacts = StoreArtifacts(definition, action.default_dir, RunDirectory() / "artifacts",
                                    *action.log);
    if (!artifacts) return std::unexpected(artifacts.error());
    for (const store::ArtifactRecord& artifact : *artifacts) {
      if (auto stored = store_->AddArtifact(run_id_, artifact); !stored)
        return std::unexpected(stored.error());
      artifacts_[artifact.name] = artifact.path;
    }

    for (const CacheEntry& entry : CacheEntries(definition)) {
      auto saved = Cache().Save(entry, action.default_dir);
      if (!saved) action.log->Note("cache not saved: " + saved.error().message());
    }
    return {};
  }

  // Test reports count whether the action passed or not: a failed test run is when they
  // matter most.
  Result<void> RecordTestReports(size_t index) {
    ActionRun& action = actions_[index];
    const workflow::Action& definition = *action.prepared.action;
    auto tests = CollectTestReports(definition, action.default_dir, *action.log);
    if (!tests) return std::unexpected(tests.error());
    if (!*tests) return {};
    action.tests = *tests;
    return store_->SetActionTests(run_id_, definition.name, **tests);
  }

  std::vector<std::string> SecretValues(const ActionRun& action) const {
    std::vector<std::string> values;
    for (const std::string& name : action.prepared.secrets)
      values.push_back(request_.secrets.at(name));
    return values;
  }

  // Fails the action if it wrote to the shared source snapshot in place, and repairs it.
  Result<void> CheckSource(size_t index) {
    if (!snapshot_) return {};
    auto modified = snapshot_->FindModified();
    if (!modified) return std::unexpected(modified.error());
    if (modified->empty()) return {};
    auto restored = snapshot_->Restore(run_.repository, *modified);
    if (!restored) observer_.OnNotice("cannot restore the sources: " + restored.error().message());
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{} wrote to source file{} in place: {} (the source copy shares "
                            "files with other actions; write a new file and rename it, or "
                            "remove the file first)",
                            actions_[index].prepared.action->name,
                            modified->size() == 1 ? "" : "s", Join(*modified, ", ")));
  }

  // Records an action's final state, then lets the plan decide what it means for the rest.
  void Complete(size_t index, ActionState state, const std::string& reason) {
    ActionRun& action = actions_[index];
    action.duration = Since(action.started);
    for (size_t changed : plan_.Finish(index, state, reason)) Record(changed);
  }

  void Record(size_t index) {
    ActionRun& action = actions_[index];
    ActionState state = plan_.state(index);
    std::string reason = exec::SecretMasker(SecretValues(action)).Mask(plan_.reason(index));
    if (auto updated = store_->UpdateAction(run_id_, action.prepared.action->name,
                                            {.state = state,
                                             .reason = reason,
                                             .exit_code = action.record.exit_code,
                                             .log_path = {}});
        !updated) {
      observer_.OnNotice(fmt::format("cannot record {} {}: {}", action.prepared.action->name,
                                     store::ToString(state), updated.error().message()));
    }
    action.record.state = state;
    action.record.reason = reason;
    Notify(index);
  }

  ActionView View(size_t index) const {
    const ActionRun& action = actions_[index];
    return {.name = action.prepared.action->name,
            .state = action.record.state,
            .reason = action.record.reason,
            .duration = action.duration,
            .tests = action.tests ? action.tests : action.record.tests,
            .log_path = action.record.log_path,
            .log_tail = action.log_tail};
  }

  void Notify(size_t index) { observer_.OnActionChanged(View(index), plan_.finished(), plan_.size()); }

  RunSummary Summary() const {
    RunSummary summary{.id = run_id_,
                       .workflow = run_.workflow.name,
                       .commit = run_.commit,
                       .branch = run_.branch,
                       .state = final_state_,
                       .reason = final_reason_,
                       .actions = {},
                       .duration = started_ ? Since(*started_) : std::chrono::milliseconds(0)};
    for (size_t i = 0; i < actions_.size(); ++i) summary.actions.push_back(View(i));
    return summary;
  }

  Result<RunSummary> Conclude() {
    if (cancelling_) return Finish(RunState::kCancelled, InterruptReason());
    std::vector<std::string> failed;
    for (size_t i = 0; i < actions_.size(); ++i) {
      ActionState state = plan_.state(i);
      if (state == ActionState::kFailed || state == ActionState::kInterrupted)
        failed.push_back(actions_[i].prepared.action->name);
    }
    if (failed.empty() && !plan_.AnyFailed()) return Finish(RunState::kSucceeded, "");
    return Finish(RunState::kFailed,
                  failed.empty() ? "an action did not succeed"
                                 : fmt::format("{} failed", Join(failed, ", ")));
  }

  Result<RunSummary> Finish(RunState state, std::string reason) {
    if (snapshot_) {  // its commit can be exported again by a resume
      if (auto removed = SourceSnapshot::Remove(snapshot_->directory()); !removed)
        observer_.OnNotice(removed.error().message());
      snapshot_.reset();
    }
    final_state_ = state;
    final_reason_ = std::move(reason);
    if (auto finished = store_->FinishRun(run_id_, state, final_reason_); !finished)
      return std::unexpected(finished.error());
    RunSummary summary = Summary();
    observer_.OnRunFinished(summary);
    return summary;
  }

  static void RemoveTree(const fs::path& path) {
    std::error_code error;
    // Hard-linked source files are read-only; their folders are ours and writable.
    fs::remove_all(path, error);
  }

  const RunRequest& request_;
  RunObserver& observer_;
  PreparedRun run_;
  std::unique_ptr<store::Store> store_;
  Plan plan_;
  std::vector<ActionRun> actions_;
  std::map<std::string, fs::path> artifacts_;  // artifact name -> stored folder
  std::map<exec::ProcessId, size_t> running_;
  std::optional<SourceSnapshot> snapshot_;
  exec::SubprocessSet processes_;
  store::RunId run_id_ = 0;
  bool cancelling_ = false;
  RunState final_state_ = RunState::kRunning;
  std::string final_reason_;
  std::optional<std::chrono::steady_clock::time_point> started_;
};

}  // namespace

Result<RunSummary> RunWorkflow(const RunRequest& request, RunObserver& observer) {
  std::error_code error;
  fs::create_directories(request.state_directory, error);
  if (error) {
    return Fail(ErrorCode::kIoError, fmt::format("cannot create the state directory {}: {}",
                                                 request.state_directory.string(), error.message()));
  }
  auto store = store::OpenSqliteStore(request.state_directory / "state.db");
  if (!store) return std::unexpected(store.error());
  auto notices = RecoverAbandonedRuns(**store);
  if (!notices) return std::unexpected(notices.error());
  for (const std::string& notice : *notices) observer.OnNotice(notice);

  std::optional<store::RunRecord> resumed;
  if (request.resume) {
    auto record = (*store)->GetRun(*request.resume);
    if (!record) return std::unexpected(record.error());
    if (record->state == RunState::kSucceeded || record->state == RunState::kRunning ||
        record->state == RunState::kQueued) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("run {} is {}; only a failed, cancelled or interrupted run can be "
                              "resumed",
                              record->id, store::ToString(record->state)));
    }
    resumed = std::move(*record);
  }
  auto prepared = PrepareRun(request, resumed);
  if (!prepared) return std::unexpected(prepared.error());
  Executor executor(request, observer, std::move(*prepared), std::move(*store));
  return executor.Run(request.resume);
}

}  // namespace lockstep::engine
