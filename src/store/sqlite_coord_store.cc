// The coordination store on SQLite: rollouts, their steps and baselines, and the last good
// commits of each environment.
#include <fmt/core.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <utility>

#include "store/coord_store.h"
#include "store/enum_names.h"
#include "store/sqlite_access.h"
#include "store/sqlite_database.h"
#include "store/sqlite_schema.h"

namespace lockstep::store {
namespace {

constexpr std::array<std::string_view, 7> kRolloutStateNames = {
    "queued", "awaiting_approval", "running", "rolling_back", "succeeded", "failed", "rejected"};
constexpr std::array<std::string_view, 4> kStepStateNames = {"running", "succeeded", "failed",
                                                             "skipped"};

constexpr std::string_view kRolloutColumns =
    "id, environment, state, actor, strategy, plan_json, reason, decided_by, owner_pid, "
    "owner_start_time, baseline_json, created_at, started_at, finished_at";

Result<RolloutRecord> RolloutFromRow(const SqliteStatement& row) {
  std::optional<RolloutState> state = ParseRolloutState(row.Text(2));
  if (!state) return Fail(ErrorCode::kCorruption, "unknown rollout state " + row.Text(2));
  RolloutRecord record{.id = row.Int(0),
                       .environment = row.Text(1),
                       .state = *state,
                       .actor = row.Text(3),
                       .strategy = row.Text(4),
                       .plan_json = row.Text(5),
                       .reason = row.Text(6),
                       .decided_by = row.Text(7),
                       .owner = {.pid = static_cast<int>(row.Int(8)),
                                 .start_time = static_cast<uint64_t>(row.Int(9))},
                       .baseline = {},
                       .created_at = row.Int(11),
                       .started_at = row.OptionalInt(12),
                       .finished_at = row.OptionalInt(13)};
  if (!row.IsNull(10)) {
    nlohmann::json baseline = nlohmann::json::parse(row.Text(10), nullptr, false);
    if (!baseline.is_object()) return Fail(ErrorCode::kCorruption, "unreadable rollout baseline");
    for (const auto& [service, release] : baseline.items()) {
      if (!release.is_string()) return Fail(ErrorCode::kCorruption, "unreadable rollout baseline");
      record.baseline[service] = release.get<std::string>();
    }
  }
  return record;
}

constexpr std::string_view kStepColumns =
    "rollout_id, number, kind, subject, state, detail, data, started_at, finished_at";

Result<RolloutStep> StepFromRow(const SqliteStatement& row) {
  std::optional<StepState> state = ParseStepState(row.Text(4));
  if (!state) return Fail(ErrorCode::kCorruption, "unknown step state " + row.Text(4));
  return RolloutStep{.rollout = row.Int(0),
                     .number = row.Int(1),
                     .kind = row.Text(2),
                     .subject = row.Text(3),
                     .state = *state,
                     .detail = row.Text(5),
                     .data = row.Text(6),
                     .started_at = row.Int(7),
                     .finished_at = row.OptionalInt(8)};
}

Result<RolloutRecord> LoadRollout(SqliteDatabase& db, RolloutId id) {
  Result<SqliteStatement> query =
      db.Query(fmt::format("SELECT {} FROM rollouts WHERE id = ?1", kRolloutColumns), id);
  if (!query) return std::unexpected(query.error());
  Result<bool> row = query->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return Fail(ErrorCode::kNotFound, fmt::format("no rollout {}", id));
  return RolloutFromRow(*query);
}

class SqliteCoordStore final : public CoordStore, private SqliteConnection {
 public:
  explicit SqliteCoordStore(SqliteDatabase db) : SqliteConnection(std::move(db)) {}

  Result<RolloutId> CreateRollout(const NewRollout& rollout) override {
    return Write<RolloutId>("create a rollout", [&]() -> Result<RolloutId> {
      Result<int64_t> inserted = db_.Execute(
          "INSERT INTO rollouts (environment, state, actor, strategy, plan_json, created_at) "
          "VALUES (?1, 'queued', ?2, ?3, ?4, ?5)",
          rollout.environment, rollout.actor, rollout.strategy, rollout.plan_json, NowMs());
      if (!inserted) return std::unexpected(inserted.error());
      return db_.LastInsertRowId();
    });
  }

  Result<RolloutRecord> GetRollout(RolloutId id) override {
    return Read<RolloutRecord>("read a rollout", [&] { return LoadRollout(db_, id); });
  }

  Result<std::vector<RolloutRecord>> ListRollouts(std::string_view environment,
                                                  size_t limit) override {
    return Read<std::vector<RolloutRecord>>(
        "list rollouts", [&]() -> Result<std::vector<RolloutRecord>> {
          Result<SqliteStatement> query =
              db_.Query(fmt::format("SELECT {} FROM rollouts WHERE ?1 = '' OR environment = ?1 "
                                    "ORDER BY id DESC LIMIT ?2",
                                    kRolloutColumns),
                        environment, static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
          if (!query) return std::unexpected(query.error());
          return CollectRows<RolloutRecord>(*query, RolloutFromRow);
        });
  }

  Result<std::vector<RolloutRecord>> UnfinishedRollouts() override {
    return Read<std::vector<RolloutRecord>>(
        "list unfinished rollouts", [&]() -> Result<std::vector<RolloutRecord>> {
          Result<SqliteStatement> query = db_.Query(
              fmt::format("SELECT {} FROM rollouts WHERE state NOT IN ('succeeded', 'failed', "
                          "'rejected') ORDER BY id",
                          kRolloutColumns));
          if (!query) return std::unexpected(query.error());
          return CollectRows<RolloutRecord>(*query, RolloutFromRow);
        });
  }

  Result<bool> IsNextInEnvironment(RolloutId id) override {
    return Read<bool>("check a rollout's turn", [&]() -> Result<bool> {
      Result<int64_t> earlier = db_.QueryInt(
          "SELECT count(*) FROM rollouts WHERE id < ?1 AND environment = "
          "(SELECT environment FROM rollouts WHERE id = ?1) "
          "AND state NOT IN ('succeeded', 'failed', 'rejected')",
          id);
      if (!earlier) return std::unexpected(earlier.error());
      return *earlier == 0;
    });
  }

  Result<void> SetRolloutState(RolloutId id, RolloutState state, const Owner& owner) override {
    return Write<void>("update a rollout", [&]() -> Result<void> {
      Result<RolloutRecord> rollout = LoadRollout(db_, id);
      if (!rollout) return std::unexpected(rollout.error());
      if (IsFinal(rollout->state) || IsFinal(state)) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("rollout {} is {}", id, ToString(rollout->state)));
      }
      Result<int64_t> updated = db_.Execute(
          "UPDATE rollouts SET state = ?2, owner_pid = ?3, owner_start_time = ?4, "
          "started_at = CASE WHEN ?2 = 'running' THEN coalesce(started_at, ?5) "
          "ELSE started_at END WHERE id = ?1",
          id, ToString(state), owner.pid, static_cast<int64_t>(owner.start_time), NowMs());
      if (!updated) return std::unexpected(updated.error());
      return {};
    });
  }

  Result<void> SetPlan(RolloutId id, std::string_view strategy,
                       std::string_view plan_json) override {
    return Write<void>("replace a rollout's plan", [&]() -> Result<void> {
      Result<int64_t> updated = db_.Execute(
          "UPDATE rollouts SET strategy = ?2, plan_json = ?3 WHERE id = ?1 AND started_at IS NULL",
          id, strategy, plan_json);
      if (!updated) return std::unexpected(updated.error());
      if (*updated == 0) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("rollout {} has started; its plan stays", id));
      }
      return {};
    });
  }

  Result<void> SetBaseline(RolloutId id,
                           const std::map<std::string, std::string>& baseline) override {
    return Write<void>("record a rollout's baseline", [&]() -> Result<void> {
      Result<int64_t> updated = db_.Execute(
          "UPDATE rollouts SET baseline_json = ?2 WHERE id = ?1 AND baseline_json IS "
          "NULL",
          id, nlohmann::json(baseline).dump());
      if (!updated) return std::unexpected(updated.error());
      return {};
    });
  }

  Result<void> FinishRollout(
      RolloutId id, RolloutState state, std::string_view reason,
      const std::optional<std::map<std::string, std::string>>& good_commits) override {
    return Write<void>("finish a rollout", [&]() -> Result<void> {
      Result<RolloutRecord> rollout = LoadRollout(db_, id);
      if (!rollout) return std::unexpected(rollout.error());
      if (IsFinal(rollout->state) || !IsFinal(state)) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("rollout {} is {}", id, ToString(rollout->state)));
      }
      Result<int64_t> updated = db_.Execute(
          "UPDATE rollouts SET state = ?2, reason = ?3, finished_at = ?4, owner_pid = 0, "
          "owner_start_time = 0 WHERE id = ?1",
          id, ToString(state), reason, NowMs());
      if (!updated) return std::unexpected(updated.error());
      for (const auto& [repository, commit] :
           good_commits.value_or(std::map<std::string, std::string>{})) {
        Result<int64_t> marked = db_.Execute(
            "INSERT INTO last_good_commits (environment, repository, commit_id, rollout_id) "
            "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (environment, repository) DO UPDATE SET "
            "commit_id = excluded.commit_id, rollout_id = excluded.rollout_id",
            rollout->environment, repository, commit, id);
        if (!marked) return std::unexpected(marked.error());
      }
      return {};
    });
  }

  Result<void> Decide(RolloutId id, bool approve, std::string_view actor,
                      std::string_view reason) override {
    return Write<void>("record a decision", [&]() -> Result<void> {
      Result<RolloutRecord> rollout = LoadRollout(db_, id);
      if (!rollout) return std::unexpected(rollout.error());
      if (rollout->state != RolloutState::kAwaitingApproval) {
        return Fail(
            ErrorCode::kInvalidArgument,
            fmt::format("rollout {} is {}, not awaiting approval", id, ToString(rollout->state)));
      }
      Result<int64_t> updated =
          approve
              ? db_.Execute("UPDATE rollouts SET state = 'queued', decided_by = ?2 WHERE id = ?1",
                            id, actor)
              : db_.Execute(
                    "UPDATE rollouts SET state = 'rejected', decided_by = ?2, reason = ?3, "
                    "finished_at = ?4, owner_pid = 0, owner_start_time = 0 WHERE id = ?1",
                    id, actor,
                    reason.empty() ? fmt::format("rejected by {}", actor)
                                   : fmt::format("rejected by {}: {}", actor, reason),
                    NowMs());
      if (!updated) return std::unexpected(updated.error());
      return {};
    });
  }

  Result<int64_t> StartStep(RolloutId id, std::string_view kind, std::string_view subject,
                            std::string_view detail) override {
    return Write<int64_t>("record a rollout step", [&]() -> Result<int64_t> {
      Result<int64_t> number = db_.QueryInt(
          "SELECT coalesce(max(number), 0) + 1 FROM rollout_steps WHERE rollout_id = ?1", id);
      if (!number) return std::unexpected(number.error());
      Result<int64_t> inserted = db_.Execute(
          "INSERT INTO rollout_steps (rollout_id, number, kind, subject, state, detail, "
          "started_at) VALUES (?1, ?2, ?3, ?4, 'running', ?5, ?6)",
          id, *number, kind, subject, detail, NowMs());
      if (!inserted) return std::unexpected(inserted.error());
      return *number;
    });
  }

  Result<void> FinishStep(RolloutId id, int64_t number, StepState state, std::string_view detail,
                          std::string_view data) override {
    return Write<void>("finish a rollout step", [&]() -> Result<void> {
      Result<int64_t> updated = db_.Execute(
          "UPDATE rollout_steps SET state = ?3, detail = ?4, data = ?5, finished_at = ?6 "
          "WHERE rollout_id = ?1 AND number = ?2",
          id, number, ToString(state), detail, data, NowMs());
      if (!updated) return std::unexpected(updated.error());
      if (db_.Changes() == 0) {
        return Fail(ErrorCode::kNotFound, fmt::format("no step {} in rollout {}", number, id));
      }
      return {};
    });
  }

  Result<std::vector<RolloutStep>> ListSteps(RolloutId id) override {
    return Read<std::vector<RolloutStep>>(
        "list rollout steps", [&]() -> Result<std::vector<RolloutStep>> {
          Result<SqliteStatement> query = db_.Query(
              fmt::format("SELECT {} FROM rollout_steps WHERE rollout_id = ?1 ORDER BY number",
                          kStepColumns),
              id);
          if (!query) return std::unexpected(query.error());
          return CollectRows<RolloutStep>(*query, StepFromRow);
        });
  }

  Result<void> FailRunningSteps(RolloutId id, std::string_view reason) override {
    return Write<void>("end interrupted steps", [&]() -> Result<void> {
      Result<int64_t> updated = db_.Execute(
          "UPDATE rollout_steps SET state = 'failed', detail = ?2, finished_at = ?3 "
          "WHERE rollout_id = ?1 AND state = 'running'",
          id, reason, NowMs());
      if (!updated) return std::unexpected(updated.error());
      return {};
    });
  }

  Result<std::map<std::string, std::string>> LastGoodCommits(
      std::string_view environment) override {
    return Read<std::map<std::string, std::string>>(
        "read the last good commits", [&]() -> Result<std::map<std::string, std::string>> {
          Result<SqliteStatement> query = db_.Query(
              "SELECT repository, commit_id FROM last_good_commits WHERE environment = ?1",
              environment);
          if (!query) return std::unexpected(query.error());
          std::map<std::string, std::string> commits;
          for (;;) {
            Result<bool> row = query->Step();
            if (!row) return std::unexpected(row.error());
            if (!*row) return commits;
            commits[query->Text(0)] = query->Text(1);
          }
        });
  }
};

}  // namespace

std::string_view ToString(RolloutState state) {
  return kRolloutStateNames[std::to_underlying(state)];
}

std::string_view ToString(StepState state) { return kStepStateNames[std::to_underlying(state)]; }

std::optional<RolloutState> ParseRolloutState(std::string_view text) {
  return ParseName<RolloutState>(kRolloutStateNames, text);
}

std::optional<StepState> ParseStepState(std::string_view text) {
  return ParseName<StepState>(kStepStateNames, text);
}

bool IsFinal(RolloutState state) {
  return state == RolloutState::kSucceeded || state == RolloutState::kFailed ||
         state == RolloutState::kRejected;
}

Result<std::unique_ptr<CoordStore>> OpenSqliteCoordStore(const std::filesystem::path& path) {
  Result<SqliteDatabase> db = OpenStoreDatabase(path);
  if (!db) return std::unexpected(db.error());
  return std::make_unique<SqliteCoordStore>(std::move(*db));
}

}  // namespace lockstep::store
