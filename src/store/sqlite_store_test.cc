#include "store/sqlite_store.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "store/sqlite_store_impl.h"
#include "store/sqlite_store_test_util.h"

namespace lockstep::store {
namespace {

class SqliteStoreTest : public SqliteStoreFixture {
 protected:
  void Update(RunId run, const std::string& action, ActionState state, std::string log_path = {},
              std::optional<int> exit_code = {}, std::string reason = {}) {
    Result<void> updated = store_->UpdateAction(
        run, action,
        {.state = state, .reason = reason, .exit_code = exit_code, .log_path = log_path});
    ASSERT_TRUE(updated.has_value()) << updated.error().message();
  }

  std::vector<ActionRecord> Actions(RunId run) {
    Result<std::vector<ActionRecord>> actions = store_->ListActions(run);
    EXPECT_TRUE(actions.has_value()) << actions.error().message();
    return actions.value_or(std::vector<ActionRecord>{});
  }

  std::vector<AttemptRecord> Attempts(RunId run) {
    Result<std::vector<AttemptRecord>> attempts = store_->ListAttempts(run);
    EXPECT_TRUE(attempts.has_value()) << attempts.error().message();
    return attempts.value_or(std::vector<AttemptRecord>{});
  }
};

// An update without the designated-initializer warnings about omitted fields.
Store::ActionUpdate Change(ActionState state, std::string log_path = {}) {
  Store::ActionUpdate update;
  update.state = state;
  update.log_path = std::move(log_path);
  return update;
}

std::vector<std::string> NamesAndStates(const std::vector<ActionRecord>& actions) {
  std::vector<std::string> out;
  for (const ActionRecord& action : actions) {
    out.push_back(action.name + "=" + std::string(ToString(action.state)));
  }
  return out;
}

TEST_F(SqliteStoreTest, NamesRoundTrip) {
  for (RunState state : {RunState::kQueued, RunState::kRunning, RunState::kSucceeded,
                         RunState::kFailed, RunState::kCancelled, RunState::kInterrupted}) {
    EXPECT_EQ(ParseRunState(ToString(state)), state);
  }
  EXPECT_EQ(ToString(ActionState::kSkipped), "skipped");
  EXPECT_EQ(ParseActionState("ready"), ActionState::kReady);
  EXPECT_EQ(ParseActionState("Ready"), std::nullopt);
  EXPECT_EQ(ToString(RunMode::kSuperseded), "superseded");
  EXPECT_TRUE(IsFinal(ActionState::kSkipped));
  EXPECT_FALSE(IsFinal(ActionState::kReady));
  EXPECT_TRUE(IsFinal(RunState::kInterrupted));
  EXPECT_FALSE(IsFinal(RunState::kQueued));
}

TEST_F(SqliteStoreTest, CreatesQueuedRunWithPendingActionsInOrder) {
  TimeMs before = NowMs();
  RunId id = Create(MakeRun("Deploy", RunMode::kSuperseded, {"Zeta", "Alpha", "Mid"},
                            {.pid = 17, .start_time = 123456789012}));
  TimeMs after = NowMs();

  Result<RunRecord> run = store_->GetRun(id);
  ASSERT_TRUE(run.has_value()) << run.error().message();
  EXPECT_EQ(run->id, id);
  EXPECT_EQ(run->workflow, "Deploy");
  EXPECT_EQ(run->workflow_file, ".codecatalyst/workflows/main.yaml");
  EXPECT_EQ(run->repository, "/src/app");
  EXPECT_EQ(run->commit, "0123456789abcdef0123456789abcdef01234567");
  EXPECT_EQ(run->branch, "main");
  EXPECT_EQ(run->mode, RunMode::kSuperseded);
  EXPECT_EQ(run->state, RunState::kQueued);
  EXPECT_EQ(run->reason, "");
  EXPECT_EQ(run->owner.pid, 17);
  EXPECT_EQ(run->owner.start_time, 123456789012u);
  EXPECT_GE(run->created_at, before);
  EXPECT_LE(run->created_at, after);
  EXPECT_EQ(run->started_at, std::nullopt);
  EXPECT_EQ(run->finished_at, std::nullopt);

  std::vector<ActionRecord> actions = Actions(id);
  EXPECT_EQ(NamesAndStates(actions),
            (std::vector<std::string>{"Zeta=pending", "Alpha=pending", "Mid=pending"}));
  for (const ActionRecord& action : actions) {
    EXPECT_EQ(action.run_id, id);
    EXPECT_EQ(action.attempt, 0);
    EXPECT_EQ(action.log_path, "");
    EXPECT_EQ(action.started_at, std::nullopt);
    EXPECT_EQ(action.tests, std::nullopt);
  }
}

TEST_F(SqliteStoreTest, CreateRunRefusesDuplicateActionNames) {
  Result<RunId> id = store_->CreateRun(MakeRun("CI", RunMode::kQueued, {"Build", "Build"}));
  ASSERT_FALSE(id.has_value());
  EXPECT_EQ(id.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(id.error().message(),
            "state store: cannot create a run of workflow 'CI': duplicate action 'Build'");
  EXPECT_EQ(store_->ListRuns(10)->size(), 0u);
}

TEST_F(SqliteStoreTest, ListRunsNewestFirstUpToLimit) {
  RunId first = Create(MakeRun("A"));
  RunId second = Create(MakeRun("B"));
  RunId third = Create(MakeRun("C"));
  Result<std::vector<RunRecord>> runs = store_->ListRuns(2);
  ASSERT_TRUE(runs.has_value()) << runs.error().message();
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].id, third);
  EXPECT_EQ((*runs)[0].workflow, "C");
  EXPECT_EQ((*runs)[1].id, second);
  EXPECT_EQ(store_->ListRuns(10)->back().id, first);
  EXPECT_TRUE(store_->ListRuns(0)->empty());
}

TEST_F(SqliteStoreTest, ActionLifecycleRecordsAttemptAndTimings) {
  RunId run = Create(MakeRun("CI"));
  Update(run, "Build", ActionState::kReady);
  EXPECT_EQ(Actions(run)[0].state, ActionState::kReady);

  TimeMs before_start = NowMs();
  Update(run, "Build", ActionState::kRunning, "/logs/1/Build.1.log");
  TimeMs after_start = NowMs();
  ASSERT_TRUE(store_->SetActionProcess(run, "Build", 5150, 987654321).has_value());

  ActionRecord build = Actions(run)[0];
  EXPECT_EQ(build.state, ActionState::kRunning);
  EXPECT_EQ(build.attempt, 1);
  EXPECT_EQ(build.log_path, "/logs/1/Build.1.log");
  EXPECT_EQ(build.process_group, 5150);
  EXPECT_EQ(build.process_start_time, 987654321u);
  ASSERT_TRUE(build.started_at.has_value());
  EXPECT_GE(*build.started_at, before_start);
  EXPECT_LE(*build.started_at, after_start);
  EXPECT_EQ(build.finished_at, std::nullopt);

  Update(run, "Build", ActionState::kFailed, {}, 2, "exit status 2");
  TimeMs after_finish = NowMs();

  build = Actions(run)[0];
  EXPECT_EQ(build.state, ActionState::kFailed);
  EXPECT_EQ(build.reason, "exit status 2");
  EXPECT_EQ(build.exit_code, 2);
  EXPECT_EQ(build.log_path, "/logs/1/Build.1.log");
  ASSERT_TRUE(build.finished_at.has_value());
  EXPECT_GE(*build.finished_at, *build.started_at);
  EXPECT_LE(*build.finished_at, after_finish);

  std::vector<AttemptRecord> attempts = Attempts(run);
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].action, "Build");
  EXPECT_EQ(attempts[0].attempt, 1);
  EXPECT_EQ(attempts[0].state, ActionState::kFailed);
  EXPECT_EQ(attempts[0].reason, "exit status 2");
  EXPECT_EQ(attempts[0].log_path, "/logs/1/Build.1.log");
  EXPECT_EQ(attempts[0].exit_code, 2);
  EXPECT_EQ(attempts[0].started_at, *build.started_at);
  EXPECT_EQ(attempts[0].finished_at, build.finished_at);

  // Skipping a pending action ends it without an attempt.
  Update(run, "Deploy", ActionState::kSkipped, {}, {}, "Build failed");
  ActionRecord deploy = Actions(run)[2];
  EXPECT_EQ(deploy.state, ActionState::kSkipped);
  EXPECT_EQ(deploy.reason, "Build failed");
  EXPECT_EQ(deploy.attempt, 0);
  EXPECT_EQ(deploy.started_at, std::nullopt);
  EXPECT_TRUE(deploy.finished_at.has_value());
  EXPECT_EQ(Attempts(run).size(), 1u);
}

TEST_F(SqliteStoreTest, FinishedActionCannotChange) {
  RunId run = Create(MakeRun("CI"));
  Update(run, "Build", ActionState::kRunning, "/logs/b.log");
  Update(run, "Build", ActionState::kSucceeded, {}, 0);

  Result<void> again =
      store_->UpdateAction(run, "Build", Change(ActionState::kRunning, "/logs/b2.log"));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(again.error().message(),
            "state store: cannot record action 'Build' of run 1: it already ended as succeeded");
  Result<void> fail = store_->UpdateAction(run, "Build", Change(ActionState::kFailed));
  ASSERT_FALSE(fail.has_value());
  EXPECT_EQ(fail.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Actions(run)[0].state, ActionState::kSucceeded);
  EXPECT_EQ(Attempts(run).size(), 1u);
}

TEST_F(SqliteStoreTest, RunningActionNeedsLogPathAndCanOnlyEnd) {
  RunId run = Create(MakeRun("CI"));
  Result<void> no_log = store_->UpdateAction(run, "Build", Change(ActionState::kRunning));
  ASSERT_FALSE(no_log.has_value());
  EXPECT_EQ(no_log.error().message(),
            "state store: cannot record action 'Build' of run 1: a running action needs a log "
            "path");

  Update(run, "Build", ActionState::kRunning, "/logs/b.log");
  Result<void> back = store_->UpdateAction(run, "Build", Change(ActionState::kPending));
  ASSERT_FALSE(back.has_value());
  EXPECT_EQ(back.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(back.error().message(),
            "state store: cannot record action 'Build' of run 1: it is running; a running "
            "action can only end, not become pending");

  Result<void> process = store_->SetActionProcess(run, "Test", 10, 20);
  ASSERT_FALSE(process.has_value());
  EXPECT_EQ(process.error().message(),
            "state store: cannot record the process of action 'Test' of run 1: it is pending, "
            "not running");
}

TEST_F(SqliteStoreTest, UnknownRunOrActionIsNotFound) {
  RunId run = Create(MakeRun("CI"));
  Result<RunRecord> missing = store_->GetRun(run + 7);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message(), "state store: cannot read run 8: no such run");

  Result<void> update = store_->UpdateAction(99, "Build", Change(ActionState::kReady));
  ASSERT_FALSE(update.has_value());
  EXPECT_EQ(update.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(update.error().message(),
            "state store: cannot record action 'Build' of run 99: no such run");

  Result<void> action = store_->UpdateAction(run, "Lint", Change(ActionState::kReady));
  ASSERT_FALSE(action.has_value());
  EXPECT_EQ(action.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(action.error().message(),
            "state store: cannot record action 'Lint' of run 1: run 1 has no action 'Lint'");

  for (Error error : {store_->ListActions(5).error(), store_->ListAttempts(5).error(),
                      store_->ListVariables(5).error(), store_->ListArtifacts(5).error()}) {
    EXPECT_EQ(error.code(), ErrorCode::kNotFound) << error.message();
  }
  EXPECT_EQ(store_->ListAttempts(5).error().message(),
            "state store: cannot list the attempts of run 5: no such run");
  EXPECT_EQ(store_->FinishRun(5, RunState::kFailed, "x").error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store_->Admit(5).error().code(), ErrorCode::kNotFound);
}

TEST_F(SqliteStoreTest, SetVariablesReplacesTheActionsVariables) {
  RunId run = Create(MakeRun("CI"));
  ASSERT_TRUE(
      store_
          ->SetVariables(run, "Test", {{"Test", "COVERAGE", "81"}, {"Test", "REPORT", "junit.xml"}})
          .has_value());
  ASSERT_TRUE(store_->SetVariables(run, "Build", {{"Build", "VERSION", "1.0"}}).has_value());
  ASSERT_TRUE(
      store_
          ->SetVariables(run, "Build", {{"Build", "IMAGE", "app:1.1"}, {"Build", "VERSION", "1.1"}})
          .has_value());

  Result<std::vector<VariableRecord>> variables = store_->ListVariables(run);
  ASSERT_TRUE(variables.has_value()) << variables.error().message();
  std::vector<std::string> flat;
  for (const VariableRecord& variable : *variables) {
    flat.push_back(variable.action + "." + variable.name + "=" + variable.value);
  }
  // In action order, then in the order given.
  EXPECT_EQ(flat, (std::vector<std::string>{"Build.IMAGE=app:1.1", "Build.VERSION=1.1",
                                            "Test.COVERAGE=81", "Test.REPORT=junit.xml"}));

  Result<void> duplicate =
      store_->SetVariables(run, "Test", {{"Test", "A", "1"}, {"Test", "A", "2"}});
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_EQ(duplicate.error().message(),
            "state store: cannot record the variables of action 'Test' of run 1: duplicate "
            "variable 'A'");
  EXPECT_EQ(store_->ListVariables(run)->size(), 4u);
}

TEST_F(SqliteStoreTest, ArtifactsListInOrderAndBelongToOneAction) {
  RunId run = Create(MakeRun("CI"));
  ASSERT_TRUE(
      store_->AddArtifact(run, {"binaries", "Build", "/a/1/binaries", 3, 4096}).has_value());
  ASSERT_TRUE(store_->AddArtifact(run, {"coverage", "Test", "/a/1/coverage", 1, 10}).has_value());
  // The producer records it again, e.g. after a resume.
  ASSERT_TRUE(
      store_->AddArtifact(run, {"binaries", "Build", "/a/1/binaries.2", 4, 5000}).has_value());

  Result<std::vector<ArtifactRecord>> artifacts = store_->ListArtifacts(run);
  ASSERT_TRUE(artifacts.has_value()) << artifacts.error().message();
  ASSERT_EQ(artifacts->size(), 2u);
  EXPECT_EQ((*artifacts)[0].name, "binaries");
  EXPECT_EQ((*artifacts)[0].action, "Build");
  EXPECT_EQ((*artifacts)[0].path, "/a/1/binaries.2");
  EXPECT_EQ((*artifacts)[0].files, 4);
  EXPECT_EQ((*artifacts)[0].bytes, 5000);
  EXPECT_EQ((*artifacts)[1].name, "coverage");
  EXPECT_EQ((*artifacts)[1].action, "Test");

  Result<void> clash = store_->AddArtifact(run, {"binaries", "Deploy", "/x", 1, 1});
  ASSERT_FALSE(clash.has_value());
  EXPECT_EQ(clash.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(clash.error().message(),
            "state store: cannot record artifact 'binaries' of run 1: action 'Build' already "
            "produced it");
  Result<void> orphan = store_->AddArtifact(run, {"logs", "Lint", "/x", 1, 1});
  ASSERT_FALSE(orphan.has_value());
  EXPECT_EQ(orphan.error().message(),
            "state store: cannot record artifact 'logs' of run 1: run 1 has no action 'Lint'");
}

TEST_F(SqliteStoreTest, RecordsTestCounts) {
  RunId run = Create(MakeRun("CI"));
  ASSERT_TRUE(
      store_->SetActionTests(run, "Test", {.passed = 40, .failed = 2, .skipped = 1}).has_value());
  std::vector<ActionRecord> actions = Actions(run);
  EXPECT_EQ(actions[0].tests, std::nullopt);
  EXPECT_EQ(actions[1].tests, (TestCounts{.passed = 40, .failed = 2, .skipped = 1}));
}

TEST_F(SqliteStoreTest, FinishRunRecordsStateOnce) {
  RunId run = Create(MakeRun("CI"));
  ASSERT_EQ(store_->Admit(run), Admission::kAdmitted);
  Result<void> not_final = store_->FinishRun(run, RunState::kRunning, "");
  ASSERT_FALSE(not_final.has_value());
  EXPECT_EQ(not_final.error().message(),
            "state store: cannot finish run 1: 'running' is not a final state");

  ASSERT_TRUE(store_->FinishRun(run, RunState::kFailed, "action 'Build' failed").has_value());
  RunRecord record = *store_->GetRun(run);
  EXPECT_EQ(record.state, RunState::kFailed);
  EXPECT_EQ(record.reason, "action 'Build' failed");
  ASSERT_TRUE(record.finished_at.has_value());
  EXPECT_GE(*record.finished_at, *record.started_at);

  Result<void> twice = store_->FinishRun(run, RunState::kSucceeded, "");
  ASSERT_FALSE(twice.has_value());
  EXPECT_EQ(twice.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(twice.error().message(),
            "state store: cannot finish run 1: it already ended as failed");
}

TEST_F(SqliteStoreTest, ReopenRunKeepsSucceededActionsAndContinuesAttempts) {
  RunId run = Create(MakeRun("CI"));
  ASSERT_EQ(store_->Admit(run), Admission::kAdmitted);
  TimeMs started = *store_->GetRun(run)->started_at;
  Update(run, "Build", ActionState::kRunning, "/logs/Build.1.log");
  Update(run, "Build", ActionState::kSucceeded, {}, 0);
  Update(run, "Test", ActionState::kRunning, "/logs/Test.1.log");
  ASSERT_TRUE(store_->SetActionTests(run, "Test", {.passed = 1, .failed = 1}).has_value());
  Update(run, "Test", ActionState::kFailed, {}, 1, "exit status 1");
  Update(run, "Deploy", ActionState::kSkipped, {}, {}, "Test failed");
  ASSERT_TRUE(store_->FinishRun(run, RunState::kFailed, "action 'Test' failed").has_value());

  ASSERT_TRUE(store_->ReopenRun(run, {.pid = 777, .start_time = 555}).has_value());

  RunRecord record = *store_->GetRun(run);
  EXPECT_EQ(record.state, RunState::kQueued);
  EXPECT_EQ(record.reason, "");
  EXPECT_EQ(record.owner.pid, 777);
  EXPECT_EQ(record.owner.start_time, 555u);
  EXPECT_EQ(record.started_at, started);
  EXPECT_EQ(record.finished_at, std::nullopt);

  std::vector<ActionRecord> actions = Actions(run);
  EXPECT_EQ(NamesAndStates(actions),
            (std::vector<std::string>{"Build=succeeded", "Test=pending", "Deploy=pending"}));
  EXPECT_EQ(actions[0].exit_code, 0);
  EXPECT_EQ(actions[1].reason, "");
  EXPECT_EQ(actions[1].attempt, 1);
  EXPECT_EQ(actions[1].exit_code, std::nullopt);
  EXPECT_EQ(actions[1].finished_at, std::nullopt);
  EXPECT_EQ(actions[1].tests, std::nullopt);
  EXPECT_EQ(actions[1].log_path, "/logs/Test.1.log");
  EXPECT_EQ(actions[2].reason, "");

  Update(run, "Test", ActionState::kRunning, "/logs/Test.2.log");
  EXPECT_EQ(Actions(run)[1].attempt, 2);
  EXPECT_EQ(Actions(run)[1].log_path, "/logs/Test.2.log");
  std::vector<std::string> attempts;
  for (const AttemptRecord& attempt : Attempts(run)) {
    attempts.push_back(fmt::format("{}#{} {} {}", attempt.action, attempt.attempt,
                                   ToString(attempt.state), attempt.log_path));
  }
  EXPECT_EQ(attempts, (std::vector<std::string>{"Build#1 succeeded /logs/Build.1.log",
                                                "Test#1 failed /logs/Test.1.log",
                                                "Test#2 running /logs/Test.2.log"}));
}

TEST_F(SqliteStoreTest, ReopenRunRefusesLiveOrSucceededRuns) {
  RunId run = Create(MakeRun("CI"));
  Result<void> queued = store_->ReopenRun(run, {});
  ASSERT_FALSE(queued.has_value());
  EXPECT_EQ(queued.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(queued.error().message(),
            "state store: cannot reopen run 1: it is queued; only a failed, cancelled or "
            "interrupted run can be reopened");
  ASSERT_EQ(store_->Admit(run), Admission::kAdmitted);
  EXPECT_EQ(store_->ReopenRun(run, {}).error().code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(store_->FinishRun(run, RunState::kSucceeded, "").has_value());
  EXPECT_EQ(store_->ReopenRun(run, {}).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->ReopenRun(42, {}).error().code(), ErrorCode::kNotFound);
}

TEST_F(SqliteStoreTest, RecoverAbandonedInterruptsRunsOfDeadOwners) {
  const Owner dead{.pid = 100, .start_time = 1};
  const Owner alive{.pid = 200, .start_time = 2};
  RunId crashed = Create(MakeRun("CI", RunMode::kParallel, {"Build", "Test", "Lint"}, dead));
  RunId other = Create(MakeRun("CI", RunMode::kParallel, {"Build"}, alive));
  RunId waiting = Create(MakeRun("Deploy", RunMode::kQueued, {"Deploy"}, dead));
  RunId done = Create(MakeRun("Docs", RunMode::kParallel, {"Docs"}, dead));
  ASSERT_EQ(store_->Admit(crashed), Admission::kAdmitted);
  ASSERT_EQ(store_->Admit(other), Admission::kAdmitted);
  ASSERT_EQ(store_->Admit(done), Admission::kAdmitted);
  ASSERT_TRUE(store_->FinishRun(done, RunState::kFailed, "broken").has_value());
  Update(crashed, "Lint", ActionState::kRunning, "/logs/Lint.1.log");
  Update(crashed, "Lint", ActionState::kSucceeded, {}, 0);
  Update(crashed, "Build", ActionState::kRunning, "/logs/Build.1.log");
  ASSERT_TRUE(store_->SetActionProcess(crashed, "Build", 31337, 8080).has_value());
  Update(crashed, "Test", ActionState::kReady);

  std::vector<int> asked;
  Result<std::vector<Abandoned>> abandoned = store_->RecoverAbandoned([&](const Owner& owner) {
    asked.push_back(owner.pid);
    return owner.pid != dead.pid;
  });
  ASSERT_TRUE(abandoned.has_value()) << abandoned.error().message();

  EXPECT_EQ(asked, (std::vector<int>{100, 200}));  // once per owner
  ASSERT_EQ(abandoned->size(), 2u);
  EXPECT_EQ((*abandoned)[0].run_id, crashed);
  EXPECT_EQ((*abandoned)[0].process_groups, std::vector<int>{31337});
  EXPECT_EQ((*abandoned)[0].process_start_times, std::vector<uint64_t>{8080});
  EXPECT_EQ((*abandoned)[1].run_id, waiting);
  EXPECT_TRUE((*abandoned)[1].process_groups.empty());

  RunRecord record = *store_->GetRun(crashed);
  EXPECT_EQ(record.state, RunState::kInterrupted);
  EXPECT_EQ(record.reason, "lockstep process 100 died");
  EXPECT_TRUE(record.finished_at.has_value());
  std::vector<ActionRecord> actions = Actions(crashed);
  EXPECT_EQ(NamesAndStates(actions),
            (std::vector<std::string>{"Build=interrupted", "Test=interrupted", "Lint=succeeded"}));
  EXPECT_EQ(actions[0].reason, "lockstep process 100 died");
  EXPECT_EQ(actions[2].reason, "");
  std::vector<AttemptRecord> attempts = Attempts(crashed);
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[0].action, "Build");
  EXPECT_EQ(attempts[0].state, ActionState::kInterrupted);
  EXPECT_EQ(attempts[0].reason, "lockstep process 100 died");
  EXPECT_TRUE(attempts[0].finished_at.has_value());
  EXPECT_EQ(attempts[1].state, ActionState::kSucceeded);

  EXPECT_EQ(StateOf(waiting), RunState::kInterrupted);
  EXPECT_EQ(Actions(waiting)[0].state, ActionState::kInterrupted);
  EXPECT_EQ(StateOf(other), RunState::kRunning);
  EXPECT_EQ(store_->GetRun(done)->reason, "broken");

  // Nothing is left to recover.
  EXPECT_TRUE(
      store_->RecoverAbandoned([&](const Owner& owner) { return owner.pid != dead.pid; })->empty());
}

TEST_F(SqliteStoreTest, DataPersistsAcrossReopen) {
  RunId run = Create(MakeRun("CI"));
  Update(run, "Build", ActionState::kRunning, "/logs/Build.1.log");
  ASSERT_TRUE(store_->SetVariables(run, "Build", {{"Build", "V", "1"}}).has_value());
  store_.reset();

  store_ = Open();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->GetRun(run)->workflow, "CI");
  EXPECT_EQ(Actions(run)[0].state, ActionState::kRunning);
  EXPECT_EQ(Actions(run)[0].log_path, "/logs/Build.1.log");
  EXPECT_EQ(store_->ListVariables(run)->at(0).value, "1");
  EXPECT_EQ(Create(MakeRun("CI")), run + 1);
}

// SQLite reports a full disk as SQLITE_FULL; capping the file at its current size makes any
// growth fail the same way. The failed call must change nothing and leave the store usable.
TEST_F(SqliteStoreTest, FullDiskLeavesStoreUnchanged) {
  RunId run = Create(MakeRun("CI"));
  ASSERT_TRUE(store_->SetVariables(run, "Build", {{"Build", "V", "small"}}).has_value());
  auto& sqlite = dynamic_cast<SqliteStore&>(*store_);
  ASSERT_TRUE(sqlite.ExecuteForTesting("PRAGMA max_page_count = 1").has_value());

  Result<void> big = store_->SetVariables(
      run, "Build", {{"Build", "A", "x"}, {"Build", "B", std::string(256 * 1024, 'b')}});
  ASSERT_FALSE(big.has_value());
  EXPECT_EQ(big.error().code(), ErrorCode::kIoError);
  EXPECT_EQ(big.error().message(),
            "state store: cannot record the variables of action 'Build' of run 1: database or "
            "disk is full");

  std::vector<std::string> many(5000);
  for (size_t i = 0; i < many.size(); ++i) many[i] = "Action number " + std::to_string(i);
  Result<RunId> huge = store_->CreateRun(MakeRun("Huge", RunMode::kQueued, many));
  ASSERT_FALSE(huge.has_value());
  EXPECT_EQ(huge.error().code(), ErrorCode::kIoError);

  Result<std::vector<VariableRecord>> variables = store_->ListVariables(run);
  ASSERT_TRUE(variables.has_value()) << variables.error().message();
  ASSERT_EQ(variables->size(), 1u);
  EXPECT_EQ((*variables)[0].value, "small");
  EXPECT_EQ(store_->ListRuns(10)->size(), 1u);

  ASSERT_TRUE(sqlite.ExecuteForTesting("PRAGMA max_page_count = 1000000").has_value());
  EXPECT_TRUE(store_->SetVariables(run, "Build", {{"Build", "V", "again"}}).has_value());
  EXPECT_EQ(Create(MakeRun("Next")), run + 1);
}

TEST_F(SqliteStoreTest, ThreadsShareOneStore) {
  constexpr int kThreads = 4;
  constexpr int kRuns = 10;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &failures] {
      for (int i = 0; i < kRuns; ++i) {
        Result<RunId> run = store_->CreateRun(MakeRun(fmt::format("W{}", t), RunMode::kQueued));
        bool ok =
            run && store_->Admit(*run) == Admission::kAdmitted &&
            store_->UpdateAction(*run, "Build", Change(ActionState::kRunning, "/l")).has_value() &&
            store_->FinishRun(*run, RunState::kSucceeded, "").has_value();
        if (!ok) ++failures[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, std::vector<int>(kThreads, 0));
  Result<std::vector<RunRecord>> runs = store_->ListRuns(100);
  ASSERT_TRUE(runs.has_value());
  EXPECT_EQ(runs->size(), size_t{kThreads * kRuns});
  for (const RunRecord& run : *runs) EXPECT_EQ(run.state, RunState::kSucceeded);
}

}  // namespace
}  // namespace lockstep::store
