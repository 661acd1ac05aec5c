// Actions, their attempts, output variables, artifacts and test counts.
#include <set>
#include <utility>

#include "store/sqlite_store_impl.h"

namespace lockstep::store {
namespace {

struct ActionRow {
  ActionState state = ActionState::kPending;
  int attempt = 0;
};

Result<void> RequireRun(SqliteDatabase& db, RunId run) {
  Result<int64_t> found = db.QueryInt("SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?1)", run);
  if (!found) return std::unexpected(found.error());
  if (*found == 0) return Fail(ErrorCode::kNotFound, "no such run");
  return {};
}

Result<ActionRow> LoadAction(SqliteDatabase& db, RunId run, const std::string& action) {
  Result<SqliteStatement> query =
      db.Query("SELECT state, attempt FROM actions WHERE run_id = ?1 AND name = ?2", run, action);
  if (!query) return std::unexpected(query.error());
  Result<bool> row = query->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) {
    if (Result<void> exists = RequireRun(db, run); !exists) return std::unexpected(exists.error());
    return Fail(ErrorCode::kNotFound, fmt::format("run {} has no action '{}'", run, action));
  }
  std::optional<ActionState> state = ParseActionState(query->Text(0));
  if (!state) {
    return Fail(ErrorCode::kCorruption, "unknown action state '" + query->Text(0) + "'");
  }
  return ActionRow{*state, static_cast<int>(query->Int(1))};
}

// The moves UpdateAction allows: pending and ready into each other, into running, or to an
// end; running only to an end (its attempt must be closed with an outcome). Nothing leaves a
// final state except ReopenRun.
Result<void> CheckTransition(ActionState from, ActionState to) {
  if (IsFinal(from)) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("it already ended as {}", ToString(from)));
  }
  if (from == ActionState::kRunning && !IsFinal(to)) {
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("it is running; a running action can only end, not become {}", ToString(to)));
  }
  return {};
}

std::string Describe(RunId run, const std::string& action) {
  return fmt::format("action '{}' of run {}", action, run);
}

}  // namespace

Result<void> SqliteStore::UpdateAction(RunId run, const std::string& action,
                                       const ActionUpdate& update) {
  return Write<void>("cannot record " + Describe(run, action), [&]() -> Result<void> {
    Result<ActionRow> current = LoadAction(db_, run, action);
    if (!current) return std::unexpected(current.error());
    if (Result<void> allowed = CheckTransition(current->state, update.state); !allowed) {
      return allowed;
    }
    TimeMs now = NowMs();
    std::string_view state = ToString(update.state);

    if (update.state == ActionState::kRunning) {
      if (update.log_path.empty()) {
        return Fail(ErrorCode::kInvalidArgument, "a running action needs a log path");
      }
      int attempt = current->attempt + 1;
      Result<int64_t> started = db_.Execute(
          "UPDATE actions SET state = 'running', reason = ?1, attempt = ?2, exit_code = NULL, "
          "process_group = 0, process_start_time = 0, started_at = ?3, finished_at = NULL, "
          "tests_passed = NULL, tests_failed = NULL, tests_skipped = NULL "
          "WHERE run_id = ?4 AND name = ?5",
          update.reason, attempt, now, run, action);
      if (!started) return std::unexpected(started.error());
      Result<int64_t> opened = db_.Execute(
          "INSERT INTO attempts (run_id, action, attempt, state, reason, log_path, started_at) "
          "VALUES (?1, ?2, ?3, 'running', ?4, ?5, ?6)",
          run, action, attempt, update.reason, update.log_path, now);
      if (!opened) return std::unexpected(opened.error());
      return {};
    }

    if (!IsFinal(update.state)) {
      Result<int64_t> changed = db_.Execute(
          "UPDATE actions SET state = ?1, reason = ?2, exit_code = coalesce(?3, exit_code) "
          "WHERE run_id = ?4 AND name = ?5",
          state, update.reason, update.exit_code, run, action);
      if (!changed) return std::unexpected(changed.error());
      return {};
    }

    Result<int64_t> ended = db_.Execute(
        "UPDATE actions SET state = ?1, reason = ?2, exit_code = coalesce(?3, exit_code), "
        "finished_at = ?4 WHERE run_id = ?5 AND name = ?6",
        state, update.reason, update.exit_code, now, run, action);
    if (!ended) return std::unexpected(ended.error());
    if (current->state == ActionState::kRunning) {
      Result<int64_t> closed = db_.Execute(
          "UPDATE attempts SET state = ?1, reason = ?2, exit_code = ?3, finished_at = ?4 "
          "WHERE run_id = ?5 AND action = ?6 AND attempt = ?7",
          state, update.reason, update.exit_code, now, run, action, current->attempt);
      if (!closed) return std::unexpected(closed.error());
    }
    return {};
  });
}

Result<void> SqliteStore::SetActionProcess(RunId run, const std::string& action, int process_group,
                                           uint64_t process_start_time) {
  return Write<void>(
      "cannot record the process of " + Describe(run, action), [&]() -> Result<void> {
        Result<ActionRow> current = LoadAction(db_, run, action);
        if (!current) return std::unexpected(current.error());
        if (current->state != ActionState::kRunning) {
          return Fail(ErrorCode::kInvalidArgument,
                      fmt::format("it is {}, not running", ToString(current->state)));
        }
        Result<int64_t> changed = db_.Execute(
            "UPDATE actions SET process_group = ?1, process_start_time = ?2 "
            "WHERE run_id = ?3 AND name = ?4",
            process_group, static_cast<int64_t>(process_start_time), run, action);
        if (!changed) return std::unexpected(changed.error());
        return {};
      });
}

Result<void> SqliteStore::SetActionTests(RunId run, const std::string& action,
                                         const TestCounts& counts) {
  return Write<void>("cannot record the test counts of " + Describe(run, action),
                     [&]() -> Result<void> {
                       Result<ActionRow> current = LoadAction(db_, run, action);
                       if (!current) return std::unexpected(current.error());
                       Result<int64_t> changed = db_.Execute(
                           "UPDATE actions SET tests_passed = ?1, tests_failed = ?2, "
                           "tests_skipped = ?3 WHERE run_id = ?4 AND name = ?5",
                           counts.passed, counts.failed, counts.skipped, run, action);
                       if (!changed) return std::unexpected(changed.error());
                       return {};
                     });
}

Result<void> SqliteStore::SetVariables(RunId run, const std::string& action,
                                       const std::vector<VariableRecord>& variables) {
  return Write<void>(
      "cannot record the variables of " + Describe(run, action), [&]() -> Result<void> {
        Result<ActionRow> current = LoadAction(db_, run, action);
        if (!current) return std::unexpected(current.error());
        std::set<std::string_view> names;
        for (const VariableRecord& variable : variables) {
          if (!names.insert(variable.name).second) {
            return Fail(ErrorCode::kInvalidArgument, "duplicate variable '" + variable.name + "'");
          }
        }
        Result<int64_t> removed =
            db_.Execute("DELETE FROM variables WHERE run_id = ?1 AND action = ?2", run, action);
        if (!removed) return std::unexpected(removed.error());
        Result<SqliteStatement> insert = db_.Prepare(
            "INSERT INTO variables (run_id, action, name, position, value) "
            "VALUES (?1, ?2, ?3, ?4, ?5)");
        if (!insert) return std::unexpected(insert.error());
        // The record's own `action` field is ignored: the variables belong to `action`.
        for (size_t i = 0; i < variables.size(); ++i) {
          insert->Reset();
          insert->BindAll(run, action, variables[i].name, static_cast<int64_t>(i),
                          variables[i].value);
          if (Result<void> done = insert->Run(); !done) return std::unexpected(done.error());
        }
        return {};
      });
}

Result<void> SqliteStore::AddArtifact(RunId run, const ArtifactRecord& artifact) {
  return Write<void>(
      fmt::format("cannot record artifact '{}' of run {}", artifact.name, run),
      [&]() -> Result<void> {
        Result<ActionRow> producer = LoadAction(db_, run, artifact.action);
        if (!producer) return std::unexpected(producer.error());
        Result<SqliteStatement> existing = db_.Query(
            "SELECT action FROM artifacts WHERE run_id = ?1 AND name = ?2", run, artifact.name);
        if (!existing) return std::unexpected(existing.error());
        Result<bool> row = existing->Step();
        if (!row) return std::unexpected(row.error());
        // The same action may record its artifact again (a rerun after ReopenRun); two
        // actions cannot share a name, since later actions refer to artifacts by name.
        if (*row && existing->Text(0) != artifact.action) {
          return Fail(ErrorCode::kAlreadyExists,
                      "action '" + existing->Text(0) + "' already produced it");
        }
        Result<int64_t> stored = db_.Execute(
            "INSERT INTO artifacts (run_id, name, action, path, files, bytes) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (run_id, name) DO UPDATE SET "
            "path = excluded.path, files = excluded.files, bytes = excluded.bytes",
            run, artifact.name, artifact.action, artifact.path, artifact.files, artifact.bytes);
        if (!stored) return std::unexpected(stored.error());
        return {};
      });
}

Result<std::vector<ActionRecord>> SqliteStore::ListActions(RunId run) {
  using Records = std::vector<ActionRecord>;
  return Read<Records>(
      fmt::format("cannot list the actions of run {}", run), [&]() -> Result<Records> {
        if (Result<void> exists = RequireRun(db_, run); !exists) {
          return std::unexpected(exists.error());
        }
        Result<SqliteStatement> query = db_.Query(
            "SELECT a.name, a.state, a.reason, a.attempt, a.process_group, a.process_start_time, "
            "a.exit_code, a.started_at, a.finished_at, t.log_path, a.tests_passed, a.tests_failed, "
            "a.tests_skipped FROM actions a LEFT JOIN attempts t "
            "ON t.run_id = a.run_id AND t.action = a.name AND t.attempt = a.attempt "
            "WHERE a.run_id = ?1 ORDER BY a.position",
            run);
        if (!query) return std::unexpected(query.error());
        return CollectRows<ActionRecord>(
            *query, [&](const SqliteStatement& row) -> Result<ActionRecord> {
              ActionRecord action;
              action.run_id = run;
              action.name = row.Text(0);
              std::optional<ActionState> state = ParseActionState(row.Text(1));
              if (!state) {
                return Fail(ErrorCode::kCorruption, "unknown action state '" + row.Text(1) + "'");
              }
              action.state = *state;
              action.reason = row.Text(2);
              action.attempt = static_cast<int>(row.Int(3));
              action.process_group = static_cast<int>(row.Int(4));
              action.process_start_time = static_cast<uint64_t>(row.Int(5));
              if (!row.IsNull(6)) action.exit_code = static_cast<int>(row.Int(6));
              action.started_at = row.OptionalInt(7);
              action.finished_at = row.OptionalInt(8);
              action.log_path = row.Text(9);
              if (!row.IsNull(10)) {
                action.tests =
                    TestCounts{static_cast<int>(row.Int(10)), static_cast<int>(row.Int(11)),
                               static_cast<int>(row.Int(12))};
              }
              return action;
            });
      });
}

Result<std::vector<AttemptRecord>> SqliteStore::ListAttempts(RunId run) {
  using Records = std::vector<AttemptRecord>;
  return Read<
      Records>(fmt::format("cannot list the attempts of run {}", run), [&]() -> Result<Records> {
    if (Result<void> exists = RequireRun(db_, run); !exists) {
      return std::unexpected(exists.error());
    }
    Result<SqliteStatement> query = db_.Query(
        "SELECT t.action, t.attempt, t.state, t.reason, t.log_path, t.exit_code, t.started_at, "
        "t.finished_at FROM attempts t JOIN actions a ON a.run_id = t.run_id AND a.name = t.action "
        "WHERE t.run_id = ?1 ORDER BY a.position, t.attempt",
        run);
    if (!query) return std::unexpected(query.error());
    return CollectRows<AttemptRecord>(
        *query, [](const SqliteStatement& row) -> Result<AttemptRecord> {
          AttemptRecord attempt;
          attempt.action = row.Text(0);
          attempt.attempt = static_cast<int>(row.Int(1));
          std::optional<ActionState> state = ParseActionState(row.Text(2));
          if (!state) {
            return Fail(ErrorCode::kCorruption, "unknown attempt state '" + row.Text(2) + "'");
          }
          attempt.state = *state;
          attempt.reason = row.Text(3);
          attempt.log_path = row.Text(4);
          if (!row.IsNull(5)) attempt.exit_code = static_cast<int>(row.Int(5));
          attempt.started_at = row.Int(6);
          attempt.finished_at = row.OptionalInt(7);
          return attempt;
        });
  });
}

Result<std::vector<VariableRecord>> SqliteStore::ListVariables(RunId run) {
  using Records = std::vector<VariableRecord>;
  return Read<Records>(fmt::format("cannot list the variables of run {}", run),
                       [&]() -> Result<Records> {
                         if (Result<void> exists = RequireRun(db_, run); !exists) {
                           return std::unexpected(exists.error());
                         }
                         Result<SqliteStatement> query = db_.Query(
                             "SELECT v.action, v.name, v.value FROM variables v "
                             "JOIN actions a ON a.run_id = v.run_id AND a.name = v.action "
                             "WHERE v.run_id = ?1 ORDER BY a.position, v.position",
                             run);
                         if (!query) return std::unexpected(query.error());
                         return CollectRows<VariableRecord>(
                             *query, [](const SqliteStatement& row) -> Result<VariableRecord> {
                               return VariableRecord{row.Text(0), row.Text(1), row.Text(2)};
                             });
                       });
}

Result<std::vector<ArtifactRecord>> SqliteStore::ListArtifacts(RunId run) {
  using Records = std::vector<ArtifactRecord>;
  return Read<Records>(
      fmt::format("cannot list the artifacts of run {}", run), [&]() -> Result<Records> {
        if (Result<void> exists = RequireRun(db_, run); !exists) {
          return std::unexpected(exists.error());
        }
        Result<SqliteStatement> query = db_.Query(
            "SELECT name, action, path, files, bytes FROM artifacts WHERE run_id = ?1 ORDER BY id",
            run);
        if (!query) return std::unexpected(query.error());
        return CollectRows<ArtifactRecord>(
            *query, [](const SqliteStatement& row) -> Result<ArtifactRecord> {
              return ArtifactRecord{row.Text(0), row.Text(1), row.Text(2), row.Int(3), row.Int(4)};
            });
      });
}

}  // namespace lockstep::store
