// Admission under each RunMode, within one store object, across two store objects on one file,
// and across two real processes.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "store/sqlite_store.h"
#include "store/sqlite_store_test_util.h"

namespace lockstep::store {
namespace {

class SqliteAdmissionTest : public SqliteStoreFixture {
 protected:
  Admission AdmitOk(RunId run) { return AdmitWith(*store_, run); }

  static Admission AdmitWith(Store& store, RunId run) {
    Result<Admission> admission = store.Admit(run);
    EXPECT_TRUE(admission.has_value()) << admission.error().message();
    return admission.value_or(Admission::kWait);
  }

  void Finish(RunId run) {
    ASSERT_TRUE(store_->FinishRun(run, RunState::kSucceeded, "").has_value());
  }
};

TEST_F(SqliteAdmissionTest, ParallelRunsAreAllAdmitted) {
  RunId first = Create(MakeRun("CI", RunMode::kParallel));
  RunId second = Create(MakeRun("CI", RunMode::kParallel));
  RunId third = Create(MakeRun("CI", RunMode::kParallel));
  EXPECT_EQ(AdmitOk(third), Admission::kAdmitted);
  EXPECT_EQ(AdmitOk(first), Admission::kAdmitted);
  EXPECT_EQ(AdmitOk(second), Admission::kAdmitted);
  for (RunId run : {first, second, third}) {
    EXPECT_EQ(StateOf(run), RunState::kRunning);
    EXPECT_TRUE(store_->GetRun(run)->started_at.has_value());
  }
}

TEST_F(SqliteAdmissionTest, QueuedRunWaitsForEveryEarlierRun) {
  RunId first = Create(MakeRun("CI"));
  RunId second = Create(MakeRun("CI"));
  RunId third = Create(MakeRun("CI"));

  EXPECT_EQ(AdmitOk(second), Admission::kWait);  // the first is queued
  EXPECT_EQ(StateOf(second), RunState::kQueued);
  EXPECT_EQ(store_->GetRun(second)->started_at, std::nullopt);
  EXPECT_EQ(AdmitOk(first), Admission::kAdmitted);
  EXPECT_EQ(AdmitOk(second), Admission::kWait);  // the first is running
  Finish(first);
  EXPECT_EQ(AdmitOk(third), Admission::kWait);  // the second is still queued
  EXPECT_EQ(AdmitOk(second), Admission::kAdmitted);
  EXPECT_EQ(AdmitOk(third), Admission::kWait);
  ASSERT_TRUE(store_->FinishRun(second, RunState::kFailed, "Build failed").has_value());
  EXPECT_EQ(AdmitOk(third), Admission::kAdmitted);
}

TEST_F(SqliteAdmissionTest, ResumedRunWaitsForALaterRunThatIsRunning) {
  RunId first = Create(MakeRun("CI"));
  ASSERT_EQ(AdmitOk(first), Admission::kAdmitted);
  ASSERT_TRUE(store_->FinishRun(first, RunState::kFailed, "Build failed").has_value());
  RunId second = Create(MakeRun("CI"));
  ASSERT_EQ(AdmitOk(second), Admission::kAdmitted);
  ASSERT_TRUE(store_->ReopenRun(first, {}).has_value());
  EXPECT_EQ(StateOf(first), RunState::kQueued);
  EXPECT_EQ(AdmitOk(first), Admission::kWait);
  Finish(second);
  EXPECT_EQ(AdmitOk(first), Admission::kAdmitted);
}

TEST_F(SqliteAdmissionTest, FinishingARunEndsTheActionsItLeftUnfinished) {
  RunId run = Create(MakeRun("CI"));
  ASSERT_EQ(AdmitOk(run), Admission::kAdmitted);
  ASSERT_TRUE(store_->FinishRun(run, RunState::kFailed, "cannot export the sources").has_value());
  Result<std::vector<ActionRecord>> actions = store_->ListActions(run);
  ASSERT_TRUE(actions.has_value());
  for (const ActionRecord& action : *actions) {
    EXPECT_EQ(action.state, ActionState::kCancelled);
    EXPECT_EQ(action.reason, "the run ended: cannot export the sources");
  }
}

TEST_F(SqliteAdmissionTest, OtherWorkflowsAndRepositoriesDoNotBlock) {
  RunId ci = Create(MakeRun("CI"));
  RunId docs = Create(MakeRun("Docs"));
  NewRun elsewhere = MakeRun("CI");
  elsewhere.repository = "/src/other";
  RunId other = Create(elsewhere);
  EXPECT_EQ(AdmitOk(other), Admission::kAdmitted);
  EXPECT_EQ(AdmitOk(docs), Admission::kAdmitted);
  EXPECT_EQ(AdmitOk(ci), Admission::kAdmitted);
}

TEST_F(SqliteAdmissionTest, SupersededRunCancelsEarlierQueuedRunsAndWaitsForRunningOne) {
  RunId running = Create(MakeRun("Deploy", RunMode::kSuperseded));
  EXPECT_EQ(AdmitOk(running), Admission::kAdmitted);
  RunId waiting = Create(MakeRun("Deploy", RunMode::kSuperseded));
  EXPECT_EQ(AdmitOk(waiting), Admission::kWait);
  RunId queued = Create(MakeRun("Deploy", RunMode::kSuperseded));
  RunId latest = Create(MakeRun("Deploy", RunMode::kSuperseded));

  EXPECT_EQ(AdmitOk(latest), Admission::kWait);  // `running` still holds the turn

  for (RunId run : {waiting, queued}) {
    Result<RunRecord> record = store_->GetRun(run);
    EXPECT_EQ(record->state, RunState::kCancelled);
    EXPECT_EQ(record->reason, "superseded by run 4");
    EXPECT_TRUE(record->finished_at.has_value());
    Result<std::vector<ActionRecord>> actions = store_->ListActions(run);
    ASSERT_TRUE(actions.has_value());
    for (const ActionRecord& action : *actions) {
      EXPECT_EQ(action.state, ActionState::kCancelled) << action.name;
      EXPECT_EQ(action.reason, "superseded by run 4");
    }
  }
  // The older run learns it was superseded while it waited.
  EXPECT_EQ(AdmitOk(waiting), Admission::kCancelled);
  EXPECT_EQ(StateOf(running), RunState::kRunning);

  Finish(running);
  EXPECT_EQ(AdmitOk(latest), Admission::kAdmitted);
}

TEST_F(SqliteAdmissionTest, AdmitRefusesRunThatIsNotQueued) {
  RunId run = Create(MakeRun("CI"));
  ASSERT_EQ(AdmitOk(run), Admission::kAdmitted);
  Result<Admission> again = store_->Admit(run);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(again.error().message(),
            "state store: cannot admit run 1: the run is running, not queued");
}

TEST_F(SqliteAdmissionTest, TwoStoreObjectsOnOneFileAgree) {
  std::unique_ptr<Store> other = Open();
  ASSERT_NE(other, nullptr);
  Result<RunId> first = store_->CreateRun(MakeRun("Deploy", RunMode::kSuperseded));
  Result<RunId> second = other->CreateRun(MakeRun("Deploy", RunMode::kSuperseded));
  Result<RunId> third = store_->CreateRun(MakeRun("Deploy", RunMode::kSuperseded));
  ASSERT_TRUE(first && second && third);
  EXPECT_EQ(*second, *first + 1);
  EXPECT_EQ(*third, *second + 1);

  EXPECT_EQ(AdmitWith(*other, *first), Admission::kAdmitted);
  EXPECT_EQ(AdmitWith(*store_, *second), Admission::kWait);
  EXPECT_EQ(AdmitWith(*other, *third), Admission::kWait);  // cancels the second
  EXPECT_EQ(AdmitWith(*store_, *second), Admission::kCancelled);
  ASSERT_TRUE(store_->FinishRun(*first, RunState::kSucceeded, "").has_value());
  EXPECT_EQ(AdmitWith(*other, *third), Admission::kAdmitted);
  EXPECT_EQ(other->GetRun(*second)->reason, "superseded by run 3");
}

// Two real processes, each with its own store on the same file.

constexpr auto kDeadline = std::chrono::seconds(20);

// Exit codes of the child process.
constexpr int kChildAdmitted = 10;
constexpr int kChildWaits = 11;
constexpr int kChildFailed = 1;
constexpr int kChildOverlap = 2;

void WriteAll(int fd, const void* data, size_t size) {
  const char* bytes = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t written = ::write(fd, bytes, size);
    if (written <= 0) return;
    bytes += written;
    size -= static_cast<size_t>(written);
  }
}

bool ReadAll(int fd, void* data, size_t size) {
  char* bytes = static_cast<char*>(data);
  while (size > 0) {
    ssize_t got = ::read(fd, bytes, size);
    if (got <= 0) return false;
    bytes += got;
    size -= static_cast<size_t>(got);
  }
  return true;
}

// A forked child that runs `body` (returning its exit code) once the parent says go.
class Child {
 public:
  template <class Body>
  explicit Child(Body&& body) {
    int go[2];
    int result[2];
    EXPECT_EQ(::pipe(go), 0);
    EXPECT_EQ(::pipe(result), 0);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(go[1]);
      ::close(result[0]);
      char byte;
      int code = ReadAll(go[0], &byte, 1) ? body(result[1]) : kChildFailed;
      ::_exit(code);  // no destructors, no atexit handlers: they belong to the parent
    }
    EXPECT_GT(pid_, 0);
    ::close(go[0]);
    ::close(result[1]);
    go_ = go[1];
    result_ = result[0];
  }
  // Reaps the child if the test ended early; closing the go pipe makes a waiting child exit.
  ~Child() {
    if (go_ >= 0) ::close(go_);
    if (result_ >= 0) ::close(result_);
    if (pid_ > 0) Wait();
  }

  void Go() { WriteAll(go_, "g", 1); }
  int64_t ReadResult() {
    int64_t value = -1;
    EXPECT_TRUE(ReadAll(result_, &value, sizeof value));
    return value;
  }
  // Waits for the child to exit; returns its exit status, or -1 when it did not exit normally.
  int Wait() {
    int status = 0;
    pid_t waited = ::waitpid(pid_, &status, 0);
    pid_ = -1;
    if (waited <= 0) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  int go_ = -1;
  int result_ = -1;
};

// Both processes create a run of one QUEUED workflow and ask to start it at the same time:
// exactly one is admitted, the one created first.
TEST_F(SqliteAdmissionTest, TwoProcessesAdmitExactlyOneQueuedRun) {
  // SQLite's POSIX locks are per process and must not be inherited through fork(): the parent
  // holds no connection while forking and opens its own afterwards.
  store_.reset();
  std::filesystem::path path = path_;
  Child child([path](int out) {
    Result<std::unique_ptr<Store>> store = OpenSqliteStore(path);
    if (!store) return kChildFailed;
    Result<RunId> run = (*store)->CreateRun(MakeRun("Deploy"));
    if (!run) return kChildFailed;
    Result<Admission> admission = (*store)->Admit(*run);
    if (!admission) return kChildFailed;
    WriteAll(out, &*run, sizeof *run);
    return *admission == Admission::kAdmitted ? kChildAdmitted : kChildWaits;
  });
  store_ = Open();
  ASSERT_NE(store_, nullptr);
  child.Go();
  Result<RunId> run = store_->CreateRun(MakeRun("Deploy"));
  ASSERT_TRUE(run.has_value()) << run.error().message();
  Result<Admission> admission = store_->Admit(*run);
  ASSERT_TRUE(admission.has_value()) << admission.error().message();
  RunId child_run = child.ReadResult();
  int child_status = child.Wait();

  ASSERT_TRUE(child_status == kChildAdmitted || child_status == kChildWaits) << child_status;
  bool child_admitted = child_status == kChildAdmitted;
  bool parent_admitted = *admission == Admission::kAdmitted;
  EXPECT_NE(child_admitted, parent_admitted);
  EXPECT_EQ(child_admitted, child_run < *run);
  EXPECT_EQ(StateOf(std::min(*run, child_run)), RunState::kRunning);
  EXPECT_EQ(StateOf(std::max(*run, child_run)), RunState::kQueued);
}

// Takes `rounds` turns at a QUEUED workflow: create a run, ask until admitted, check that no
// other run of the workflow is running, finish. Returns 0, kChildOverlap or kChildFailed.
int TakeTurns(Store& store, int rounds) {
  auto deadline = std::chrono::steady_clock::now() + kDeadline;
  for (int round = 0; round < rounds; ++round) {
    Result<RunId> run = store.CreateRun(MakeRun("Deploy", RunMode::kQueued, {"Deploy"}));
    if (!run) return kChildFailed;
    for (;;) {
      Result<Admission> admission = store.Admit(*run);
      if (!admission) return kChildFailed;
      if (*admission == Admission::kAdmitted) break;
      if (std::chrono::steady_clock::now() > deadline) return kChildFailed;
      sched_yield();
    }
    Result<std::vector<RunRecord>> runs = store.ListRuns(1000);
    if (!runs) return kChildFailed;
    for (const RunRecord& other : *runs) {
      if (other.id != *run && other.state == RunState::kRunning) return kChildOverlap;
    }
    if (!store.FinishRun(*run, RunState::kSucceeded, "")) return kChildFailed;
  }
  return 0;
}

TEST_F(SqliteAdmissionTest, TwoProcessesTakeTurnsAtQueuedWorkflow) {
  constexpr int kRounds = 15;
  store_.reset();
  std::filesystem::path path = path_;
  Child child([path](int) {
    Result<std::unique_ptr<Store>> store = OpenSqliteStore(path);
    return store ? TakeTurns(**store, kRounds) : kChildFailed;
  });
  store_ = Open();
  ASSERT_NE(store_, nullptr);
  child.Go();
  EXPECT_EQ(TakeTurns(*store_, kRounds), 0);
  EXPECT_EQ(child.Wait(), 0);

  Result<std::vector<RunRecord>> runs = store_->ListRuns(1000);
  ASSERT_TRUE(runs.has_value());
  EXPECT_EQ(runs->size(), 2u * kRounds);
  // Turns follow run ids: each run started after the previous one finished.
  for (size_t i = 0; i + 1 < runs->size(); ++i) {
    const RunRecord& later = (*runs)[i];
    const RunRecord& earlier = (*runs)[i + 1];
    EXPECT_EQ(later.state, RunState::kSucceeded);
    EXPECT_GE(*later.started_at, *earlier.finished_at) << later.id;
  }
}

}  // namespace
}  // namespace lockstep::store
