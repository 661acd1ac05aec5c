#include "engine/executor.h"

#include <fmt/core.h>
#include <unistd.h>

#include <map>
#include <thread>

#include "base/file.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "engine/action_attempt.h"
#include "engine/action_workspace.h"
#include "engine/plan.h"
#include "engine/run_recovery.h"
#include "engine/run_setup.h"
#include "engine/workflow_graph.h"
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
    case workflow::RunMode::kParallel:
      return store::RunMode::kParallel;
    case workflow::RunMode::kSuperseded:
      return store::RunMode::kSuperseded;
    case workflow::RunMode::kQueued:
      break;
  }
  return store::RunMode::kQueued;
}

std::chrono::milliseconds Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

// The plan's nodes, plus the edges that stand-in steps add through their `${Action.Var}`
// references (the workflow's own references are in the graph already).
std::vector<PlanNode> PlanNodes(const PreparedRun& run) {
  std::vector<PlanNode> nodes = BuildPlanNodes(run.workflow);
  for (size_t i = 0; i < run.actions.size(); ++i) {
    if (!run.actions[i].stand_in) continue;
    for (const std::string& step : run.actions[i].steps) {
      for (const std::string& reference : FindReferences(step)) {
        const workflow::Action* source = ReferencedAction(run.workflow, reference);
        if (source == nullptr || source->name == run.actions[i].action->name) continue;
        for (size_t j = 0; j < run.actions.size(); ++j) {
          auto& dependencies = nodes[i].dependencies;
          if (run.actions[j].action == source &&
              std::find(dependencies.begin(), dependencies.end(), j) == dependencies.end())
            dependencies.push_back(j);
        }
      }
    }
  }
  return nodes;
}

// One action's life in this process.
struct ActionRun {
  const PreparedAction* prepared = nullptr;
  store::ActionRecord record;
  std::unique_ptr<ActionAttempt> attempt;  // while it runs
  std::chrono::steady_clock::time_point started;
  std::optional<std::chrono::milliseconds> duration;
  std::map<std::string, std::string> outputs;  // output variables
  std::optional<store::TestCounts> tests;
  std::vector<std::string> log_tail;
};

// Drives one run: the Plan decides, the store records (before anything is acted on), the
// SubprocessSet runs, the observer is told.
class Executor {
 public:
  Executor(const RunRequest& request, RunObserver& observer, PreparedRun prepared,
           std::unique_ptr<store::Store> store)
      : request_(request),
        observer_(observer),
        run_(std::move(prepared)),
        store_(std::move(store)),
        plan_(PlanNodes(run_), request.keep_going),
        cache_(CacheDirectory()) {
    for (const PreparedAction& action : run_.actions) {
      actions_.emplace_back();
      actions_.back().prepared = &action;
      actions_.back().record.name = action.action->name;
    }
  }

  Result<RunSummary> Run(std::optional<store::RunId> resume) {
    auto started = resume ? Reopen(*resume) : Create();
    if (!started) return std::unexpected(started.error());
    started_ = std::chrono::steady_clock::now();
    observer_.OnRunCreated(Summary());

    auto admitted = WaitForTurn();
    if (!admitted) return std::unexpected(admitted.error());
    if (!*admitted) return Summary();  // superseded or interrupted while waiting

    if (auto prepared = PrepareSource(); !prepared) {
      std::string reason = "cannot export the sources: " + prepared.error().message();
      MarkAllPending(ActionState::kSkipped, "not started: " + reason);
      return Finish(RunState::kFailed, reason);
    }
    Drive();
    return Conclude();
  }

 private:
  Result<void> Create() {
    store::NewRun new_run{.workflow = run_.workflow.name,
                          .workflow_file = run_.workflow_file,
                          .repository = run_.root.string(),
                          .commit = run_.commit,
                          .branch = run_.branch,
                          .mode = ToStoreMode(run_.workflow.run_mode),
                          .owner = Self(),
                          .actions = {}};
    for (const ActionRun& action : actions_) new_run.actions.push_back(action.record.name);
    auto id = store_->CreateRun(new_run);
    if (!id) return std::unexpected(id.error());
    run_id_ = *id;
    return {};
  }

  // Takes a finished run back (it queues again), with what its succeeded actions produced.
  Result<void> Reopen(store::RunId id) {
    run_id_ = id;
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
    for (const store::ArtifactRecord& artifact : *artifacts)
      artifacts_[artifact.name] = artifact.path;
    return {};
  }

  static store::Owner Self() {
    int pid = static_cast<int>(::getpid());
    return {pid, exec::StartTimeOf(pid)};
  }

  size_t IndexOf(std::string_view name) const {
    for (size_t i = 0; i < actions_.size(); ++i)
      if (actions_[i].record.name == name) return i;
    return actions_.size();
  }

  fs::path RunDirectory() const {
    return request_.state_directory / "runs" / std::to_string(run_id_);
  }

  // Caches belong to one workflow of one repository.
  fs::path CacheDirectory() const {
    std::string name = run_.workflow.name;
    for (char& c : name)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
    std::string repository = Sha256Hex(run_.root.string()).substr(0, 12);
    return request_.state_directory / "cache" / fmt::format("{}-{}", name, repository);
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
        // The store ended the run and its actions already; only the views follow.
        auto record = store_->GetRun(run_id_);
        final_state_ = RunState::kCancelled;
        final_reason_ = record ? record->reason : "superseded";
        for (size_t index : plan_.StopPending(ActionState::kCancelled, final_reason_)) {
          actions_[index].record.state = ActionState::kCancelled;
          actions_[index].record.reason = final_reason_;
        }
        observer_.OnRunFinished(Summary());
        return false;
      }
      if (!told) {
        observer_.OnNotice(
            fmt::format("run {} waits: an earlier run of '{}' holds the turn (RunMode {})", run_id_,
                        run_.workflow.name, store::ToString(ToStoreMode(run_.workflow.run_mode))));
        told = true;
      }
      processes_.WaitForEvent(std::chrono::steady_clock::now() + kAdmissionPoll);
      if (processes_.interrupted()) {
        std::string reason = InterruptReason();
        MarkAllPending(ActionState::kCancelled, reason);
        auto finished = Finish(RunState::kCancelled, reason);
        if (!finished) return std::unexpected(finished.error());
        return false;
      }
      // A queued run whose lockstep died would hold the turn forever: recover it.
      if (auto notices = RecoverAbandonedRuns(*store_)) {
        for (const std::string& notice : *notices) observer_.OnNotice(notice);
      }
    }
  }

  void MarkAllPending(ActionState state, const std::string& reason) {
    for (size_t index : plan_.StopPending(state, reason)) Record(index);
  }

  std::string InterruptReason() const {
    return "cancelled: lockstep received " + exec::SignalName(processes_.interrupt_signal());
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

  size_t Jobs() const {
    if (request_.jobs > 0) return static_cast<size_t>(request_.jobs);
    unsigned cores = std::thread::hardware_concurrency();
    return cores == 0 ? 1 : cores;
  }

  // The scheduler loop: start what capacity allows, wait for one event, feed it back.
  void Drive() {
    const size_t jobs = Jobs();
    while (!plan_.Done()) {
      while (plan_.running() < jobs && !cancelling_ && !processes_.interrupted()) {
        std::optional<size_t> next = plan_.StartNext();
        if (!next) break;
        StartAction(*next);
      }
      if (plan_.Done()) break;
      if (processes_.interrupted() && !cancelling_) {
        Cancel();
        continue;
      }
      if (plan_.running() == 0) {
        // Nothing runs and nothing can start: only possible after a stop.
        MarkAllPending(ActionState::kSkipped, "not started");
        break;
      }
      // Bounded so that logs reach their files while actions run (lockstep logs --follow).
      std::optional<exec::ProcessFinished> finished =
          processes_.WaitForEvent(std::chrono::steady_clock::now() + kLogFlushInterval);
      for (auto& [process, index] : running_) actions_[index].attempt->FlushLog();
      if (processes_.interrupted() && !cancelling_) Cancel();
      if (finished) FinishProcess(*finished);
    }
  }

  void Cancel() {
    cancelling_ = true;
    std::string reason = InterruptReason();
    observer_.OnNotice(fmt::format("{}; stopping the running actions", reason));
    MarkAllPending(ActionState::kCancelled, reason);
    processes_.CancelAll();
  }

  void StartAction(size_t index) {
    ActionRun& action = actions_[index];
    action.started = std::chrono::steady_clock::now();
    switch (action.prepared->mode) {
      case PreparedAction::Mode::kSkip:
        Complete(index, ActionState::kSkipped, action.prepared->skip_reason);
        return;
      case PreparedAction::Mode::kApproval:
        Complete(index, ActionState::kSucceeded, "");
        return;
      case PreparedAction::Mode::kSteps:
        break;
    }
    const int attempt = action.record.attempt + 1;
    fs::path logs = RunDirectory() / "logs";
    std::error_code error;
    fs::create_directories(logs, error);
    fs::path log_path = logs / fmt::format("{}.{}.log", action.record.name, attempt);

    // Committed before anything of the attempt exists, so a crash from here on is found.
    if (auto recorded = store_->UpdateAction(run_id_, action.record.name,
                                             {.state = ActionState::kRunning,
                                              .reason = {},
                                              .exit_code = {},
                                              .log_path = log_path.string()});
        !recorded) {
      Complete(index, ActionState::kFailed, recorded.error().message());
      return;
    }
    action.record.state = ActionState::kRunning;
    action.record.attempt = attempt;
    action.record.log_path = log_path.string();
    action.record.exit_code.reset();
    Notify(index);

    action.attempt = std::make_unique<ActionAttempt>(Context(), *action.prepared, log_path,
                                                     TakeSlot(*action.prepared));
    auto process = action.attempt->Start(processes_);
    if (!process) {
      AttemptOutcome outcome{.state = ActionState::kFailed,
                             .reason = action.attempt->Mask(process.error().message()),
                             .exit_code = {},
                             .outputs = {},
                             .tests = {}};
      action.attempt->Close(outcome);
      ReleaseSlot(action.attempt->workspace(), action.record.name, outcome.state);
      action.log_tail = action.attempt->log_tail();
      action.attempt.reset();
      Complete(index, outcome.state, outcome.reason);
      return;
    }
    running_[*process] = index;
    int group = processes_.ProcessGroup(*process);
    if (auto recorded =
            store_->SetActionProcess(run_id_, action.record.name, group, exec::StartTimeOf(group));
        !recorded) {
      observer_.OnNotice("cannot record the process group: " + recorded.error().message());
    }
  }

  // Actions run in slots, folders reused from one action to the next, because creating and
  // deleting folders is the largest cost of a small action on some file systems (0.3 ms a
  // folder on this project's ext4). A failed action's slot becomes actions/NAME, kept for
  // inspection; a succeeded one's is emptied for the next (or removed, --keep-workspaces
  // keeps it as actions/NAME too).
  fs::path TakeSlot(const PreparedAction& action) {
    // Prefer a slot whose source copy matches the need: refreshing a copy is cheap, while
    // making one or removing one touches every file.
    const bool wants_sources =
        std::any_of(action.action->input_sources.begin(), action.action->input_sources.end(),
                    [](const auto& source) { return source.value == "WorkflowSource"; });
    auto best = std::find_if(free_slots_.begin(), free_slots_.end(), [&](const fs::path& slot) {
      std::error_code error;
      return fs::is_directory(slot / "WorkflowSource", error) == wants_sources;
    });
    if (best == free_slots_.end() && !free_slots_.empty()) best = free_slots_.end() - 1;
    if (best != free_slots_.end()) {
      fs::path slot = std::move(*best);
      free_slots_.erase(best);
      return slot;
    }
    return RunDirectory() / "actions" / fmt::format(".slot-{}", ++slots_made_);
  }

  void ReleaseSlot(const fs::path& slot, const std::string& action, ActionState state) {
    std::error_code error;
    if (state == ActionState::kSucceeded && !request_.keep_workspaces) {
      if (RecycleActionWorkspace(slot)) {
        free_slots_.push_back(slot);
      } else {
        (void)RemoveTree(slot);
      }
      return;
    }
    fs::path kept = RunDirectory() / "actions" / action;
    (void)RemoveTree(kept);  // an earlier attempt's
    fs::rename(slot, kept, error);
  }

  const AttemptContext& Context() {
    context_ = AttemptContext{
        .request = &request_,
        .run = &run_,
        .store = store_.get(),
        .run_id = run_id_,
        .run_directory = RunDirectory(),
        .snapshot = snapshot_ ? &*snapshot_ : nullptr,
        .artifacts = &artifacts_,
        .value_of = [this](std::string_view reference) { return ValueOf(reference); },
        .cache = &cache_,
        .owner_tag = OwnerTag(Self())};
    return context_;
  }

  // The value of a `${…}` reference other than a secret.
  std::optional<std::string> ValueOf(std::string_view reference) const {
    if (reference == "WorkflowSource.CommitId") return run_.commit;
    if (reference == "WorkflowSource.BranchName") return run_.branch;
    if (!SecretName(reference).empty()) return std::nullopt;
    const workflow::Action* source = ReferencedAction(run_.workflow, reference);
    if (source == nullptr) return std::nullopt;
    const ActionRun& producer = actions_[IndexOf(source->name)];
    auto it = producer.outputs.find(std::string(reference.substr(reference.rfind('.') + 1)));
    return it == producer.outputs.end() ? std::string() : it->second;
  }

  void FinishProcess(const exec::ProcessFinished& finished) {
    auto it = running_.find(finished.id);
    if (it == running_.end()) return;
    size_t index = it->second;
    running_.erase(it);
    ActionRun& action = actions_[index];
    ActionAttempt& attempt = *action.attempt;
    AttemptOutcome outcome =
        attempt.Collect(finished.result, cancelling_ ? InterruptReason() : std::string());
    if (attempt.has_source()) CheckSource(index, outcome);
    if (outcome.state == ActionState::kSucceeded) attempt.SaveCaches();
    attempt.Close(outcome);
    ReleaseSlot(attempt.workspace(), action.record.name, outcome.state);
    action.log_tail = attempt.log_tail();
    action.outputs = outcome.outputs;
    action.tests = outcome.tests;
    action.record.exit_code = outcome.exit_code;
    action.attempt.reset();
    Complete(index, outcome.state, outcome.reason);
  }

  // Fails the action if a source file shared with other copies was written in place, and
  // restores the file from git. Any action that had a copy at the same time may have done it,
  // so all of them are named.
  void CheckSource(size_t index, AttemptOutcome& outcome) {
    auto modified = snapshot_->FindModified();
    if (modified && modified->empty()) return;
    std::vector<std::string> suspects = {actions_[index].record.name};
    for (const auto& [process, other] : running_)
      if (actions_[other].attempt->has_source()) suspects.push_back(actions_[other].record.name);
    std::string reason =
        !modified
            ? "cannot check the shared sources: " + modified.error().message()
            : fmt::format(
                  "{} wrote to source file{} in place: {} (the source copy shares "
                  "files with other actions; write a new file and rename it, or "
                  "remove the file first)",
                  Join(suspects, " or "), modified->size() == 1 ? "" : "s", Join(*modified, ", "));
    if (outcome.state == ActionState::kSucceeded) {
      outcome.state = ActionState::kFailed;
      outcome.reason = reason;
    }
    if (!modified || !snapshot_->Restore(run_.repository, *modified)) {
      // Later copies would carry the damage: give no more.
      snapshot_.reset();
      observer_.OnNotice(
          "the shared sources could not be restored; actions that need them "
          "will fail");
    }
  }

  // Records an action's final state, then lets the plan decide what it means for the rest.
  void Complete(size_t index, ActionState state, const std::string& reason) {
    actions_[index].duration = Since(actions_[index].started);
    for (size_t changed : plan_.Finish(index, state, reason)) Record(changed);
  }

  void Record(size_t index) {
    ActionRun& action = actions_[index];
    ActionState state = plan_.state(index);
    const std::string& reason = plan_.reason(index);
    if (auto updated = store_->UpdateAction(run_id_, action.record.name,
                                            {.state = state,
                                             .reason = reason,
                                             .exit_code = action.record.exit_code,
                                             .log_path = {}});
        !updated) {
      observer_.OnNotice(fmt::format("cannot record {} {}: {}", action.record.name,
                                     store::ToString(state), updated.error().message()));
    }
    action.record.state = state;
    action.record.reason = reason;
    Notify(index);
  }

  ActionView View(size_t index) const {
    const ActionRun& action = actions_[index];
    return {.name = action.record.name,
            .state = action.record.state,
            .reason = action.record.reason,
            .duration = action.duration,
            .tests = action.tests ? action.tests : action.record.tests,
            .log_path = action.record.log_path,
            .log_tail = action.log_tail};
  }

  void Notify(size_t index) {
    observer_.OnActionChanged(View(index), plan_.finished(), plan_.size());
  }

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
        failed.push_back(actions_[i].record.name);
    }
    if (failed.empty() && !plan_.AnyFailed()) return Finish(RunState::kSucceeded, "");
    return Finish(RunState::kFailed, failed.empty() ? "an action did not succeed"
                                                    : fmt::format("{} failed", Join(failed, ", ")));
  }

  Result<RunSummary> Finish(RunState state, std::string reason) {
    for (const fs::path& slot : free_slots_) (void)RemoveTree(slot);
    free_slots_.clear();
    if (auto removed = SourceSnapshot::Remove(RunDirectory() / "source"); !removed)
      observer_.OnNotice(removed.error().message());  // a resume exports it again
    snapshot_.reset();
    final_state_ = state;
    final_reason_ = std::move(reason);
    if (auto finished = store_->FinishRun(run_id_, state, final_reason_); !finished)
      return std::unexpected(finished.error());
    RunSummary summary = Summary();
    observer_.OnRunFinished(summary);
    return summary;
  }

  const RunRequest& request_;
  RunObserver& observer_;
  PreparedRun run_;
  std::unique_ptr<store::Store> store_;
  Plan plan_;
  FileCache cache_;
  std::vector<ActionRun> actions_;
  std::map<std::string, fs::path> artifacts_;  // artifact name -> stored folder
  std::map<exec::ProcessId, size_t> running_;
  std::optional<SourceSnapshot> snapshot_;
  std::vector<fs::path> free_slots_;  // emptied workspaces, ready for the next action
  int slots_made_ = 0;
  AttemptContext context_;
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
    return Fail(ErrorCode::kIoError,
                fmt::format("cannot create the state directory {}: {}",
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
    if (!store::IsFinal(record->state) || record->state == RunState::kSucceeded) {
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
