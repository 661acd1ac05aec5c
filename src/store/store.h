// The state store: runs, their actions and attempts, log files, artifacts, output variables,
// test report counts and timings. An interface, so that the embedded SQLite implementation
// (sqlite_store.h) can later be joined by a PostgreSQL one; every cross-module access to
// durable state goes through it.
//
// Contract for every implementation: each mutating call is one transaction, committed (and
// durable against a process crash) before it returns; a failed call changes nothing. Several
// processes may use the same store at once. Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace lockstep::store {

using RunId = int64_t;
using TimeMs = int64_t;  // milliseconds since the Unix epoch, UTC

enum class RunState { kQueued, kRunning, kSucceeded, kFailed, kCancelled, kInterrupted };
enum class ActionState {
  kPending,
  kReady,
  kRunning,
  kSucceeded,
  kFailed,
  kSkipped,
  kCancelled,
  kInterrupted,
};
enum class RunMode { kQueued, kSuperseded, kParallel };

// Lower-case names as stored and printed ("running", "succeeded", …), and back.
std::string_view ToString(RunState state);
std::string_view ToString(ActionState state);
std::string_view ToString(RunMode mode);
std::optional<RunState> ParseRunState(std::string_view text);
std::optional<ActionState> ParseActionState(std::string_view text);
bool IsFinal(RunState state);     // succeeded, failed, cancelled, interrupted
bool IsFinal(ActionState state);  // succeeded, failed, skipped, cancelled, interrupted

// The process that owns a run: used to tell a live run from one left by a crash.
struct Owner {
  int pid = 0;
  uint64_t start_time = 0;  // exec::StartTimeOf(pid)
};

struct NewRun {
  std::string workflow;       // the workflow's Name
  std::string workflow_file;  // path relative to the repository root
  std::string repository;     // absolute path of the repository
  std::string commit;         // full object id
  std::string branch;         // may be empty
  RunMode mode = RunMode::kQueued;
  Owner owner;
  std::vector<std::string> actions;  // every action's name; all start pending
};

struct RunRecord {
  RunId id = 0;
  std::string workflow;
  std::string workflow_file;
  std::string repository;
  std::string commit;
  std::string branch;
  RunMode mode = RunMode::kQueued;
  RunState state = RunState::kQueued;
  std::string reason;  // why it ended other than succeeded; empty otherwise
  Owner owner;
  TimeMs created_at = 0;
  std::optional<TimeMs> started_at;
  std::optional<TimeMs> finished_at;
};

struct TestCounts {
  int passed = 0;
  int failed = 0;
  int skipped = 0;
  bool operator==(const TestCounts&) const = default;
};

struct ActionRecord {
  RunId run_id = 0;
  std::string name;
  ActionState state = ActionState::kPending;
  std::string reason;  // failure, skip or cancel reason; empty when succeeded
  int attempt = 0;     // number of the latest attempt; 0 before the first start
  int process_group = 0;
  uint64_t process_start_time = 0;
  std::optional<int> exit_code;
  std::optional<TimeMs> started_at;
  std::optional<TimeMs> finished_at;
  std::string log_path;  // the latest attempt's log file; empty before the first start
  std::optional<TestCounts> tests;
};

struct AttemptRecord {
  std::string action;
  int attempt = 0;
  ActionState state = ActionState::kRunning;
  std::string reason;
  std::string log_path;
  std::optional<int> exit_code;
  TimeMs started_at = 0;
  std::optional<TimeMs> finished_at;
};

struct ArtifactRecord {
  std::string name;
  std::string action;  // the producer
  std::string path;    // absolute path of the stored directory
  int64_t files = 0;
  int64_t bytes = 0;
};

struct VariableRecord {
  std::string action;
  std::string name;
  std::string value;
};

// The outcome of asking to start a queued run under its workflow's RunMode.
enum class Admission {
  kAdmitted,   // the run is now running
  kWait,       // an earlier run of the same workflow holds the turn; ask again later
  kCancelled,  // a newer run superseded this one (RunMode SUPERSEDED); it is now cancelled
};

// A run or action found "running" or "queued" whose owner process is gone.
struct Abandoned {
  RunId run_id = 0;
  Owner owner;                      // the dead process that owned it
  std::vector<int> process_groups;  // of its running actions, with their start times below
  std::vector<uint64_t> process_start_times;
};

class Store {
 public:
  virtual ~Store() = default;

  // Creates a run in state queued with every action pending; returns its id.
  virtual Result<RunId> CreateRun(const NewRun& run) = 0;

  // Decides, atomically across processes, whether a queued run may start. Runs are the same
  // workflow when `repository` and `workflow` match. PARALLEL: always admitted. QUEUED:
  // admitted when no earlier run of the workflow is queued and no other run of it is running
  // (a resumed run is earlier than runs that started since). SUPERSEDED: first cancels every
  // earlier run of the workflow still queued (reason "superseded by run N"), then admitted
  // when no other run of it is running. A run already cancelled returns kCancelled.
  virtual Result<Admission> Admit(RunId run) = 0;

  // Marks a run finished (a final state) with a reason (empty for success). Actions it left
  // unfinished (pending, ready, running) end as cancelled with the reason "the run ended:
  // REASON", in the same transaction, so a finished run never holds a running action.
  virtual Result<void> FinishRun(RunId run, RunState state, const std::string& reason) = 0;

  // Takes a run that ended (failed, cancelled, interrupted) back to queued under a new owner,
  // for `--resume` (it then goes through Admit like a new run); every action that did not
  // succeed goes back to pending with its reason cleared. Fails with kInvalidArgument when the run
  // is still running or succeeded.
  virtual Result<void> ReopenRun(RunId run, const Owner& owner) = 0;

  // Sets an action's state and reason (and exit code when given). Moving to running starts a
  // new attempt (attempt + 1) with `log_path`, and records the start time; a final state
  // records the finish time and closes the attempt.
  struct ActionUpdate {
    ActionState state = ActionState::kPending;
    std::string reason;
    std::optional<int> exit_code;
    std::string log_path;  // required when state is running
  };
  virtual Result<void> UpdateAction(RunId run, const std::string& action,
                                    const ActionUpdate& update) = 0;

  // Records the process group of an action's running attempt.
  virtual Result<void> SetActionProcess(RunId run, const std::string& action, int process_group,
                                        uint64_t process_start_time) = 0;

  virtual Result<void> SetActionTests(RunId run, const std::string& action,
                                      const TestCounts& counts) = 0;

  // Replaces the action's output variables / artifacts with these.
  virtual Result<void> SetVariables(RunId run, const std::string& action,
                                    const std::vector<VariableRecord>& variables) = 0;
  virtual Result<void> AddArtifact(RunId run, const ArtifactRecord& artifact) = 0;

  // Reads. kNotFound for an unknown run.
  virtual Result<RunRecord> GetRun(RunId run) = 0;
  // Newest first; at most `limit`.
  virtual Result<std::vector<RunRecord>> ListRuns(int limit) = 0;
  // In the order given to CreateRun.
  virtual Result<std::vector<ActionRecord>> ListActions(RunId run) = 0;
  virtual Result<std::vector<AttemptRecord>> ListAttempts(RunId run) = 0;
  virtual Result<std::vector<VariableRecord>> ListVariables(RunId run) = 0;
  virtual Result<std::vector<ArtifactRecord>> ListArtifacts(RunId run) = 0;

  // Finds runs queued or running whose owner is dead (per `is_alive`), marks their running
  // and pending actions interrupted and the run interrupted (reason "lockstep process N
  // died"), all in one transaction, and returns them with the process groups that were
  // recorded for their running actions, so the caller can kill what is left.
  virtual Result<std::vector<Abandoned>> RecoverAbandoned(
      const std::function<bool(const Owner&)>& is_alive) = 0;
};

// Milliseconds since the epoch, now.
TimeMs NowMs();

}  // namespace lockstep::store
