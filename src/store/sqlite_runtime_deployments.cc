// The runtime store's deployments: creation, their life from queued to an end, their
// candidates' outcomes, and reads.
#include <fmt/core.h>

#include <string>
#include <utility>

#include "store/runtime_store.h"
#include "store/sqlite_runtime_store_impl.h"

namespace lockstep::store {
namespace {

bool IsFinal(DeploymentState state) {
  return state != DeploymentState::kQueued && state != DeploymentState::kRunning;
}

// A deployment's rows joined with its candidates' (NULL for one without), ordered so that a
// deployment's rows are together and its candidates in chain order. The first 12 columns are
// the deployment's, the last two the candidate's.
constexpr std::string_view kDeploymentQuery =
    "SELECT d.id, d.service, d.release, d.kind, d.state, d.actor, d.reason, d.from_release, "
    "d.handler, d.created_at, d.started_at, d.finished_at, c.handler, c.outcome "
    "FROM (SELECT * FROM deployments {}) AS d "
    "LEFT JOIN deployment_candidates AS c ON c.deployment_id = d.id "
    "ORDER BY d.id DESC, c.position";

Result<DeploymentRecord> DeploymentFromRow(const SqliteStatement& row) {
  DeploymentRecord deployment;
  deployment.id = row.Int(0);
  deployment.service = row.Text(1);
  deployment.release = row.Text(2);
  std::optional<DeploymentKind> kind = ParseDeploymentKind(row.Text(3));
  std::optional<DeploymentState> state = ParseDeploymentState(row.Text(4));
  if (!kind || !state) {
    return Fail(ErrorCode::kCorruption,
                fmt::format("deployment {} has an unknown kind or state ('{}', '{}')",
                            deployment.id, row.Text(3), row.Text(4)));
  }
  deployment.kind = *kind;
  deployment.state = *state;
  deployment.actor = row.Text(5);
  deployment.reason = row.Text(6);
  deployment.from_release = row.Text(7);
  deployment.handler = row.Text(8);
  deployment.created_at = row.Int(9);
  deployment.started_at = row.OptionalInt(10);
  deployment.finished_at = row.OptionalInt(11);
  return deployment;
}

// Reads the deployments that `filter` (a WHERE/ORDER/LIMIT tail over the deployments table)
// selects, with their candidates, newest first. One statement, so one consistent snapshot.
template <class... Values>
Result<std::vector<DeploymentRecord>> LoadDeployments(SqliteDatabase& db, std::string_view filter,
                                                      const Values&... values) {
  Result<SqliteStatement> query = db.Query(fmt::format(kDeploymentQuery, filter), values...);
  if (!query) return std::unexpected(query.error());
  std::vector<DeploymentRecord> deployments;
  for (;;) {
    Result<bool> row = query->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return deployments;
    if (deployments.empty() || deployments.back().id != query->Int(0)) {
      Result<DeploymentRecord> deployment = DeploymentFromRow(*query);
      if (!deployment) return std::unexpected(deployment.error());
      deployments.push_back(std::move(*deployment));
    }
    if (!query->IsNull(12)) {
      deployments.back().candidates.push_back(
          {.handler = query->Text(12), .outcome = query->Text(13)});
    }
  }
}

Result<DeploymentRecord> LoadDeployment(SqliteDatabase& db, DeploymentId id) {
  Result<std::vector<DeploymentRecord>> found = LoadDeployments(db, "WHERE id = ?1", id);
  if (!found) return std::unexpected(found.error());
  if (found->empty()) return Fail(ErrorCode::kNotFound, "no such deployment");
  return std::move(found->front());
}

// What the calls that move a deployment along need to know of it.
struct DeploymentHead {
  std::string service;
  DeploymentState state = DeploymentState::kQueued;
};

Result<DeploymentHead> LoadHead(SqliteDatabase& db, DeploymentId id) {
  Result<SqliteStatement> query =
      db.Query("SELECT service, state FROM deployments WHERE id = ?1", id);
  if (!query) return std::unexpected(query.error());
  Result<bool> row = query->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return Fail(ErrorCode::kNotFound, "no such deployment");
  std::optional<DeploymentState> state = ParseDeploymentState(query->Text(1));
  if (!state) {
    return Fail(ErrorCode::kCorruption, "unknown deployment state '" + query->Text(1) + "'");
  }
  return DeploymentHead{.service = query->Text(0), .state = *state};
}

// Reads a deployment, refusing one that already ended.
Result<DeploymentHead> LoadUnfinished(SqliteDatabase& db, DeploymentId id) {
  Result<DeploymentHead> head = LoadHead(db, id);
  if (head && IsFinal(head->state)) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("it already ended as {}", ToString(head->state)));
  }
  return head;
}

}  // namespace

Result<DeploymentId> SqliteRuntimeStore::CreateDeployment(const NewDeployment& deployment) {
  return Write<DeploymentId>(
      fmt::format("cannot create a deployment of release '{}' of service '{}'", deployment.release,
                  deployment.service),
      [&]() -> Result<DeploymentId> {
        if (Result<void> known = RequireService(db_, deployment.service); !known) {
          return std::unexpected(known.error());
        }
        Result<int64_t> release =
            db_.QueryInt("SELECT EXISTS (SELECT 1 FROM releases WHERE service = ?1 AND id = ?2)",
                         deployment.service, deployment.release);
        if (!release) return std::unexpected(release.error());
        if (*release == 0) return Fail(ErrorCode::kNotFound, "no such release");

        Result<int64_t> inserted = db_.Execute(
            "INSERT INTO deployments (service, release, kind, state, actor, reason, created_at) "
            "VALUES (?1, ?2, ?3, 'queued', ?4, ?5, ?6)",
            deployment.service, deployment.release, ToString(deployment.kind), deployment.actor,
            deployment.reason, NowMs());
        if (!inserted) return std::unexpected(inserted.error());
        DeploymentId id = db_.LastInsertRowId();

        Result<SqliteStatement> insert = db_.Prepare(
            "INSERT INTO deployment_candidates (deployment_id, position, handler) "
            "VALUES (?1, ?2, ?3)");
        if (!insert) return std::unexpected(insert.error());
        for (size_t i = 0; i < deployment.candidates.size(); ++i) {
          insert->Reset();
          insert->BindAll(id, static_cast<int64_t>(i), deployment.candidates[i]);
          if (Result<void> done = insert->Run(); !done) return std::unexpected(done.error());
        }
        return id;
      });
}

Result<void> SqliteRuntimeStore::StartDeployment(DeploymentId id, std::string_view from_release) {
  return Write<void>(fmt::format("cannot start deployment {}", id), [&]() -> Result<void> {
    Result<DeploymentHead> head = LoadHead(db_, id);
    if (!head) return std::unexpected(head.error());
    if (head->state != DeploymentState::kQueued) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("it is {}, not queued", ToString(head->state)));
    }
    Result<int64_t> started = db_.Execute(
        "UPDATE deployments SET state = 'running', from_release = ?1, started_at = ?2 "
        "WHERE id = ?3",
        from_release, NowMs(), id);
    if (!started) return std::unexpected(started.error());
    return {};
  });
}

Result<void> SqliteRuntimeStore::RecordCandidate(DeploymentId id, size_t index,
                                                 std::string_view outcome) {
  return Write<void>(
      fmt::format("cannot record candidate {} of deployment {}", index, id), [&]() -> Result<void> {
        if (Result<DeploymentHead> head = LoadUnfinished(db_, id); !head) {
          return std::unexpected(head.error());
        }
        Result<int64_t> count =
            db_.QueryInt("SELECT count(*) FROM deployment_candidates WHERE deployment_id = ?1", id);
        if (!count) return std::unexpected(count.error());
        if (index >= static_cast<size_t>(*count)) {
          return Fail(ErrorCode::kInvalidArgument,
                      fmt::format("the chain has {} candidate{}", *count, *count == 1 ? "" : "s"));
        }
        Result<int64_t> recorded = db_.Execute(
            "UPDATE deployment_candidates SET outcome = ?1 "
            "WHERE deployment_id = ?2 AND position = ?3",
            outcome, id, static_cast<int64_t>(index));
        if (!recorded) return std::unexpected(recorded.error());
        return {};
      });
}

Result<void> SqliteRuntimeStore::FinishDeployment(DeploymentId id, DeploymentState state,
                                                  std::string_view handler, std::string_view reason,
                                                  const std::optional<ServingState>& serving) {
  return Write<void>(fmt::format("cannot finish deployment {}", id), [&]() -> Result<void> {
    if (!IsFinal(state)) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("'{}' is not a final state", ToString(state)));
    }
    Result<DeploymentHead> head = LoadUnfinished(db_, id);
    if (!head) return std::unexpected(head.error());
    TimeMs now = NowMs();
    // An empty reason keeps the request's (a succeeded deployment has no failure to tell).
    Result<int64_t> finished = db_.Execute(
        "UPDATE deployments SET state = ?1, handler = ?2, "
        "reason = CASE WHEN ?3 = '' THEN reason ELSE ?3 END, finished_at = ?4 WHERE id = ?5",
        ToString(state), handler, reason, now, id);
    if (!finished) return std::unexpected(finished.error());
    if (!serving) return {};
    // Same transaction: the cutover is recorded together with the deployment's end or not at
    // all, so a restart never finds a succeeded deployment with the old release serving.
    return StoreServing(db_, head->service, *serving, now);
  });
}

Result<DeploymentRecord> SqliteRuntimeStore::GetDeployment(DeploymentId id) {
  return Read<DeploymentRecord>(
      fmt::format("cannot read deployment {}", id),
      [&]() -> Result<DeploymentRecord> { return LoadDeployment(db_, id); });
}

Result<std::vector<DeploymentRecord>> SqliteRuntimeStore::ListDeployments(std::string_view service,
                                                                          size_t limit) {
  return Read<std::vector<DeploymentRecord>>(
      "cannot list deployments", [&]() -> Result<std::vector<DeploymentRecord>> {
        if (service.empty()) {
          return LoadDeployments(db_, "ORDER BY id DESC LIMIT ?1", SqlLimit(limit));
        }
        return LoadDeployments(db_, "WHERE service = ?1 ORDER BY id DESC LIMIT ?2", service,
                               SqlLimit(limit));
      });
}

Result<std::vector<DeploymentId>> SqliteRuntimeStore::InterruptUnfinishedDeployments(
    std::string_view reason) {
  return Write<std::vector<DeploymentId>>(
      "cannot interrupt unfinished deployments", [&]() -> Result<std::vector<DeploymentId>> {
        Result<SqliteStatement> query = db_.Query(
            "SELECT id FROM deployments WHERE state IN ('queued', 'running') ORDER BY id");
        if (!query) return std::unexpected(query.error());
        Result<std::vector<DeploymentId>> ids = CollectRows<DeploymentId>(
            *query, [](const SqliteStatement& row) -> Result<DeploymentId> { return row.Int(0); });
        if (!ids) return ids;
        Result<int64_t> interrupted = db_.Execute(
            "UPDATE deployments SET state = 'interrupted', reason = ?1, finished_at = ?2 "
            "WHERE state IN ('queued', 'running')",
            reason, NowMs());
        if (!interrupted) return std::unexpected(interrupted.error());
        return ids;
      });
}

}  // namespace lockstep::store
