// The SQLite Store implementation's class, visible to the store's own .cc files and tests;
// everyone else opens it through OpenSqliteStore (sqlite_store.h).
//
// Thread-safe: one connection, every call holds mutex_. Cross-process safety comes from
// SQLite's file locks: each mutating call is one BEGIN IMMEDIATE transaction.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "store/sqlite_access.h"
#include "store/sqlite_database.h"
#include "store/store.h"

namespace lockstep::store {

class SqliteStore final : public Store, private SqliteConnection {
 public:
  // Takes a connection that PrepareStore has set up.
  explicit SqliteStore(SqliteDatabase db) : SqliteConnection(std::move(db)) {}

  Result<RunId> CreateRun(const NewRun& run) override;
  Result<Admission> Admit(RunId run) override;
  Result<void> FinishRun(RunId run, RunState state, const std::string& reason) override;
  Result<void> ReopenRun(RunId run, const Owner& owner) override;
  Result<void> UpdateAction(RunId run, const std::string& action,
                            const ActionUpdate& update) override;
  Result<void> SetActionProcess(RunId run, const std::string& action, int process_group,
                                uint64_t process_start_time) override;
  Result<void> SetActionTests(RunId run, const std::string& action,
                              const TestCounts& counts) override;
  Result<void> SetVariables(RunId run, const std::string& action,
                            const std::vector<VariableRecord>& variables) override;
  Result<void> AddArtifact(RunId run, const ArtifactRecord& artifact) override;
  Result<RunRecord> GetRun(RunId run) override;
  Result<std::vector<RunRecord>> ListRuns(int limit) override;
  Result<std::vector<ActionRecord>> ListActions(RunId run) override;
  Result<std::vector<AttemptRecord>> ListAttempts(RunId run) override;
  Result<std::vector<VariableRecord>> ListVariables(RunId run) override;
  Result<std::vector<ArtifactRecord>> ListArtifacts(RunId run) override;
  Result<std::vector<Abandoned>> RecoverAbandoned(
      const std::function<bool(const Owner&)>& is_alive) override;

  // Runs `sql` on the connection; tests use it to simulate a full disk
  // (PRAGMA max_page_count).
  Result<void> ExecuteForTesting(std::string_view sql);
};

// Reads a run; kNotFound "no such run" when there is none. For the store's .cc files.
Result<RunRecord> LoadRun(SqliteDatabase& db, RunId id);

}  // namespace lockstep::store
