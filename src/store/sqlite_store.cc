// Runs: creation, admission, finishing, reopening, recovery and reads. The per-action calls
// are in sqlite_store_actions.cc.
#include "store/sqlite_store.h"

#include <map>
#include <set>
#include <utility>

#include "store/sqlite_schema.h"
#include "store/sqlite_store_impl.h"

namespace lockstep::store {
namespace {

constexpr std::string_view kRunColumns =
    "id, workflow, workflow_file, repository, commit_id, branch, mode, state, reason, owner_pid, "
    "owner_start_time, created_at, started_at, finished_at";

std::optional<RunMode> ParseRunMode(std::string_view text) {
  for (RunMode mode : {RunMode::kQueued, RunMode::kSuperseded, RunMode::kParallel}) {
    if (ToString(mode) == text) return mode;
  }
  return std::nullopt;
}

Result<RunRecord> RunFromRow(const SqliteStatement& row) {
  RunRecord run;
  run.id = row.Int(0);
  run.workflow = row.Text(1);
  run.workflow_file = row.Text(2);
  run.repository = row.Text(3);
  run.commit = row.Text(4);
  run.branch = row.Text(5);
  std::optional<RunMode> mode = ParseRunMode(row.Text(6));
  std::optional<RunState> state = ParseRunState(row.Text(7));
  if (!mode || !state) {
    return Fail(ErrorCode::kCorruption,
                fmt::format("run {} has an unknown mode or state ('{}', '{}')", run.id, row.Text(6),
                            row.Text(7)));
  }
  run.mode = *mode;
  run.state = *state;
  run.reason = row.Text(8);
  run.owner.pid = static_cast<int>(row.Int(9));
  run.owner.start_time = static_cast<uint64_t>(row.Int(10));
  run.created_at = row.Int(11);
  run.started_at = row.OptionalInt(12);
  run.finished_at = row.OptionalInt(13);
  return run;
}

}  // namespace

Result<RunRecord> LoadRun(SqliteDatabase& db, RunId id) {
  Result<SqliteStatement> query =
      db.Query(fmt::format("SELECT {} FROM runs WHERE id = ?1", kRunColumns), id);
  if (!query) return std::unexpected(query.error());
  Result<bool> row = query->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return Fail(ErrorCode::kNotFound, "no such run");
  return RunFromRow(*query);
}

namespace {

// Marks the unfinished actions of a run ended with `state` and closes their open attempts,
// for a run that ends without its owner finishing them (superseded, abandoned).
Result<void> EndUnfinishedActions(SqliteDatabase& db, RunId run, ActionState state,
                                  const std::string& reason, TimeMs now) {
  Result<int64_t> closed = db.Execute(
      "UPDATE attempts SET state = ?1, reason = ?2, finished_at = ?3 "
      "WHERE run_id = ?4 AND finished_at IS NULL",
      ToString(state), reason, now, run);
  if (!closed) return std::unexpected(closed.error());
  Result<int64_t> ended = db.Execute(
      "UPDATE actions SET state = ?1, reason = ?2, finished_at = ?3 "
      "WHERE run_id = ?4 AND state IN ('pending', 'ready', 'running')",
      ToString(state), reason, now, run);
  if (!ended) return std::unexpected(ended.error());
  return {};
}

// Cancels every run of the workflow earlier than `run` that is still queued (RunMode
// SUPERSEDED), with its actions.
Result<void> SupersedeEarlierRuns(SqliteDatabase& db, const RunRecord& run, TimeMs now) {
  std::vector<RunId> earlier;
  {
    Result<SqliteStatement> query = db.Query(
        "SELECT id FROM runs WHERE repository = ?1 AND workflow = ?2 AND state = 'queued' "
        "AND id < ?3",
        run.repository, run.workflow, run.id);
    if (!query) return std::unexpected(query.error());
    for (;;) {
      Result<bool> row = query->Step();
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      earlier.push_back(query->Int(0));
    }
  }
  std::string reason = fmt::format("superseded by run {}", run.id);
  for (RunId id : earlier) {
    if (Result<void> ended = EndUnfinishedActions(db, id, ActionState::kCancelled, reason, now);
        !ended) {
      return ended;
    }
    Result<int64_t> cancelled = db.Execute(
        "UPDATE runs SET state = 'cancelled', reason = ?1, finished_at = ?2 WHERE id = ?3", reason,
        now, id);
    if (!cancelled) return std::unexpected(cancelled.error());
  }
  return {};
}

// Whether an earlier run of the same workflow is in one of `states` (an SQL list).
Result<bool> EarlierRunIn(SqliteDatabase& db, const RunRecord& run, std::string_view states) {
  Result<int64_t> found = db.QueryInt(
      fmt::format("SELECT EXISTS (SELECT 1 FROM runs WHERE repository = ?1 AND workflow = ?2 "
                  "AND state IN ({}) AND id < ?3)",
                  states),
      run.repository, run.workflow, run.id);
  if (!found) return std::unexpected(found.error());
  return *found != 0;
}

// Whether another run of the same workflow (earlier or later) is running.
Result<bool> OtherRunRunning(SqliteDatabase& db, const RunRecord& run) {
  Result<int64_t> found = db.QueryInt(
      "SELECT EXISTS (SELECT 1 FROM runs WHERE repository = ?1 AND workflow = ?2 "
      "AND state = 'running' AND id != ?3)",
      run.repository, run.workflow, run.id);
  if (!found) return std::unexpected(found.error());
  return *found != 0;
}

// Decides whether `run` may start (see Store::Admit). With `may_write` false it only reads and
// answers only when the answer changes nothing (the run waits, or was cancelled); nullopt then
// means "decide again under the write lock". A wait read from a slightly old snapshot is
// harmless, since the caller asks again; admitting happens only under the write lock.
Result<std::optional<Admission>> DecideAdmission(SqliteDatabase& db, RunId run, bool may_write) {
  Result<RunRecord> record = LoadRun(db, run);
  if (!record) return std::unexpected(record.error());
  // A later run may have superseded this one while it waited.
  if (record->state == RunState::kCancelled) return Admission::kCancelled;
  if (record->state != RunState::kQueued) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("the run is {}, not queued", ToString(record->state)));
  }
  TimeMs now = NowMs();
  Result<bool> blocked = false;
  switch (record->mode) {
    case RunMode::kParallel:
      break;
    case RunMode::kQueued:
      blocked = EarlierRunIn(db, *record, "'queued'");
      if (blocked && !*blocked) blocked = OtherRunRunning(db, *record);
      break;
    case RunMode::kSuperseded:
      if (!may_write) {
        Result<bool> to_cancel = EarlierRunIn(db, *record, "'queued'");
        if (!to_cancel) return std::unexpected(to_cancel.error());
        if (*to_cancel) return std::nullopt;
      } else if (Result<void> superseded = SupersedeEarlierRuns(db, *record, now); !superseded) {
        return std::unexpected(superseded.error());
      }
      blocked = OtherRunRunning(db, *record);
      break;
  }
  if (!blocked) return std::unexpected(blocked.error());
  // Waiting still commits: the cancellations above stand whatever happens to this run.
  if (*blocked) return Admission::kWait;
  if (!may_write) return std::nullopt;
  Result<int64_t> started =
      db.Execute("UPDATE runs SET state = 'running', started_at = ?1 WHERE id = ?2", now, run);
  if (!started) return std::unexpected(started.error());
  return Admission::kAdmitted;
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::filesystem::path& path) {
  Result<SqliteDatabase> db = OpenStoreDatabase(path);
  if (!db) return std::unexpected(db.error());
  return std::make_unique<SqliteStore>(std::move(*db));
}

int SqliteSchemaVersion() { return static_cast<int>(SqliteMigrations().size()); }

Result<void> SqliteStore::ExecuteForTesting(std::string_view sql) {
  std::lock_guard lock(mutex_);
  return db_.ExecuteScript(sql);
}

Result<RunId> SqliteStore::CreateRun(const NewRun& run) {
  return Write<RunId>(
      fmt::format("cannot create a run of workflow '{}'", run.workflow), [&]() -> Result<RunId> {
        std::set<std::string_view> names;
        for (const std::string& action : run.actions) {
          if (action.empty()) return Fail(ErrorCode::kInvalidArgument, "an action has no name");
          if (!names.insert(action).second) {
            return Fail(ErrorCode::kInvalidArgument, "duplicate action '" + action + "'");
          }
        }
        Result<int64_t> inserted = db_.Execute(
            "INSERT INTO runs (workflow, workflow_file, repository, commit_id, branch, mode, "
            "state, owner_pid, owner_start_time, created_at) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'queued', ?7, ?8, ?9)",
            run.workflow, run.workflow_file, run.repository, run.commit, run.branch,
            ToString(run.mode), run.owner.pid, static_cast<int64_t>(run.owner.start_time), NowMs());
        if (!inserted) return std::unexpected(inserted.error());
        RunId id = db_.LastInsertRowId();

        Result<SqliteStatement> insert = db_.Prepare(
            "INSERT INTO actions (run_id, name, position, state) VALUES (?1, ?2, ?3, 'pending')");
        if (!insert) return std::unexpected(insert.error());
        for (size_t i = 0; i < run.actions.size(); ++i) {
          insert->Reset();
          insert->BindAll(id, run.actions[i], static_cast<int64_t>(i));
          if (Result<void> done = insert->Run(); !done) return std::unexpected(done.error());
        }
        return id;
      });
}

Result<Admission> SqliteStore::Admit(RunId run) {
  // Most calls find the run still waiting; answering those from a read keeps the polling
  // processes off the write lock that the running ones need.
  std::string what = fmt::format("cannot admit run {}", run);
  using Decision = std::optional<Admission>;
  Result<Decision> quick =
      Read<Decision>(what, [&]() -> Result<Decision> { return DecideAdmission(db_, run, false); });
  if (!quick) return std::unexpected(quick.error());
  if (*quick) return **quick;
  Result<Decision> decided =
      Write<Decision>(what, [&]() -> Result<Decision> { return DecideAdmission(db_, run, true); });
  if (!decided) return std::unexpected(decided.error());
  return decided->value();
}

Result<void> SqliteStore::FinishRun(RunId run, RunState state, const std::string& reason) {
  return Write<void>(fmt::format("cannot finish run {}", run), [&]() -> Result<void> {
    if (!IsFinal(state)) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("'{}' is not a final state", ToString(state)));
    }
    Result<RunRecord> record = LoadRun(db_, run);
    if (!record) return std::unexpected(record.error());
    if (IsFinal(record->state)) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("it already ended as {}", ToString(record->state)));
    }
    TimeMs now = NowMs();
    if (Result<void> ended = EndUnfinishedActions(db_, run, ActionState::kCancelled,
                                                  "the run ended: " + reason, now);
        !ended) {
      return ended;
    }
    Result<int64_t> finished =
        db_.Execute("UPDATE runs SET state = ?1, reason = ?2, finished_at = ?3 WHERE id = ?4",
                    ToString(state), reason, now, run);
    if (!finished) return std::unexpected(finished.error());
    return {};
  });
}

Result<void> SqliteStore::ReopenRun(RunId run, const Owner& owner) {
  return Write<void>(fmt::format("cannot reopen run {}", run), [&]() -> Result<void> {
    Result<RunRecord> record = LoadRun(db_, run);
    if (!record) return std::unexpected(record.error());
    if (!IsFinal(record->state) || record->state == RunState::kSucceeded) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("it is {}; only a failed, cancelled or interrupted run can be "
                              "reopened",
                              ToString(record->state)));
    }
    TimeMs now = NowMs();
    // An attempt left open by an owner that ended the run without ending its actions.
    Result<int64_t> closed = db_.Execute(
        "UPDATE attempts SET state = 'interrupted', reason = 'the run was reopened', "
        "finished_at = ?1 WHERE run_id = ?2 AND finished_at IS NULL",
        now, run);
    if (!closed) return std::unexpected(closed.error());
    // The attempt counter stays: the next start is a new attempt number, so the logs of
    // earlier attempts stay reachable through ListAttempts.
    Result<int64_t> reset = db_.Execute(
        "UPDATE actions SET state = 'pending', reason = '', exit_code = NULL, "
        "process_group = 0, process_start_time = 0, started_at = NULL, finished_at = NULL, "
        "tests_passed = NULL, tests_failed = NULL, tests_skipped = NULL "
        "WHERE run_id = ?1 AND state != 'succeeded'",
        run);
    if (!reset) return std::unexpected(reset.error());
    Result<int64_t> reopened = db_.Execute(
        "UPDATE runs SET state = 'queued', reason = '', finished_at = NULL, owner_pid = ?1, "
        "owner_start_time = ?2, started_at = coalesce(started_at, ?3) WHERE id = ?4",
        owner.pid, static_cast<int64_t>(owner.start_time), now, run);
    if (!reopened) return std::unexpected(reopened.error());
    return {};
  });
}

Result<RunRecord> SqliteStore::GetRun(RunId run) {
  return Read<RunRecord>(fmt::format("cannot read run {}", run),
                         [&]() -> Result<RunRecord> { return LoadRun(db_, run); });
}

Result<std::vector<RunRecord>> SqliteStore::ListRuns(int limit) {
  return Read<std::vector<RunRecord>>("cannot list runs", [&]() -> Result<std::vector<RunRecord>> {
    if (limit < 0) return Fail(ErrorCode::kInvalidArgument, "the limit is negative");
    Result<SqliteStatement> query =
        db_.Query(fmt::format("SELECT {} FROM runs ORDER BY id DESC LIMIT ?1", kRunColumns), limit);
    if (!query) return std::unexpected(query.error());
    std::vector<RunRecord> runs;
    for (;;) {
      Result<bool> row = query->Step();
      if (!row) return std::unexpected(row.error());
      if (!*row) return runs;
      Result<RunRecord> record = RunFromRow(*query);
      if (!record) return std::unexpected(record.error());
      runs.push_back(std::move(*record));
    }
  });
}

// Recovery reads the live runs and asks `is_alive` about their owners outside any lock (the
// callback may be slow, and must not be called with the store locked in case it uses the
// store), then ends the dead ones in one transaction. A run whose state or owner changed in
// between (finished, or reopened by a new process) is left alone.
Result<std::vector<Abandoned>> SqliteStore::RecoverAbandoned(
    const std::function<bool(const Owner&)>& is_alive) {
  constexpr std::string_view kWhat = "cannot recover abandoned runs";
  struct Candidate {
    RunId id;
    Owner owner;
  };
  Result<std::vector<Candidate>> live =
      Read<std::vector<Candidate>>(kWhat, [&]() -> Result<std::vector<Candidate>> {
        Result<SqliteStatement> query = db_.Query(
            "SELECT id, owner_pid, owner_start_time FROM runs "
            "WHERE state IN ('queued', 'running') ORDER BY id");
        if (!query) return std::unexpected(query.error());
        std::vector<Candidate> candidates;
        for (;;) {
          Result<bool> row = query->Step();
          if (!row) return std::unexpected(row.error());
          if (!*row) return candidates;
          candidates.push_back(
              {query->Int(0),
               {static_cast<int>(query->Int(1)), static_cast<uint64_t>(query->Int(2))}});
        }
      });
  if (!live) return std::unexpected(live.error());

  std::map<std::pair<int, uint64_t>, bool> alive;  // one question per owner
  std::vector<Candidate> dead;
  for (const Candidate& candidate : *live) {
    auto key = std::pair(candidate.owner.pid, candidate.owner.start_time);
    auto known = alive.find(key);
    if (known == alive.end()) known = alive.emplace(key, is_alive(candidate.owner)).first;
    if (!known->second) dead.push_back(candidate);
  }
  if (dead.empty()) return std::vector<Abandoned>{};

  return Write<std::vector<Abandoned>>(kWhat, [&]() -> Result<std::vector<Abandoned>> {
    std::vector<Abandoned> abandoned;
    TimeMs now = NowMs();
    for (const Candidate& candidate : dead) {
      Result<int64_t> unchanged = db_.QueryInt(
          "SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?1 AND state IN ('queued', 'running') "
          "AND owner_pid = ?2 AND owner_start_time = ?3)",
          candidate.id, candidate.owner.pid, static_cast<int64_t>(candidate.owner.start_time));
      if (!unchanged) return std::unexpected(unchanged.error());
      if (*unchanged == 0) continue;

      Abandoned run{.run_id = candidate.id,
                    .owner = candidate.owner,
                    .process_groups = {},
                    .process_start_times = {}};
      {
        Result<SqliteStatement> query = db_.Query(
            "SELECT process_group, process_start_time FROM actions "
            "WHERE run_id = ?1 AND state = 'running' AND process_group != 0 ORDER BY position",
            candidate.id);
        if (!query) return std::unexpected(query.error());
        for (;;) {
          Result<bool> row = query->Step();
          if (!row) return std::unexpected(row.error());
          if (!*row) break;
          run.process_groups.push_back(static_cast<int>(query->Int(0)));
          run.process_start_times.push_back(static_cast<uint64_t>(query->Int(1)));
        }
      }
      std::string reason = fmt::format("lockstep process {} died", candidate.owner.pid);
      if (Result<void> ended =
              EndUnfinishedActions(db_, candidate.id, ActionState::kInterrupted, reason, now);
          !ended) {
        return std::unexpected(ended.error());
      }
      Result<int64_t> interrupted = db_.Execute(
          "UPDATE runs SET state = 'interrupted', reason = ?1, finished_at = ?2 WHERE id = ?3",
          reason, now, candidate.id);
      if (!interrupted) return std::unexpected(interrupted.error());
      abandoned.push_back(std::move(run));
    }
    return abandoned;
  });
}

}  // namespace lockstep::store
