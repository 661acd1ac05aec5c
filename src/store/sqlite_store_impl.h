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

class SqliteStore final : public Store {
 public:
  // Takes a connection that PrepareStore has set up.
  explicit SqliteStore(SqliteDatabase db) : db_(std::move(db)) {}

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

 private:
  // Runs `body` in one write transaction under the mutex; commits when it succeeds, rolls
  // back otherwise. Errors come back as "state store: <what>: <cause>".
  template <class T, class Body>
  Result<T> Write(std::string_view what, Body&& body);
  // Runs `body` (reads only) under the mutex, with the same error wording.
  template <class T, class Body>
  Result<T> Read(std::string_view what, Body&& body);

  std::mutex mutex_;
  SqliteDatabase db_;  // guarded by mutex_
};

// Reads a run; kNotFound "no such run" when there is none. For the store's .cc files.
Result<RunRecord> LoadRun(SqliteDatabase& db, RunId id);

template <class T, class Body>
Result<T> SqliteStore::Write(std::string_view what, Body&& body) {
  return WriteLocked<T>(mutex_, db_, what, std::forward<Body>(body));
}

template <class T, class Body>
Result<T> SqliteStore::Read(std::string_view what, Body&& body) {
  return ReadLocked<T>(mutex_, what, std::forward<Body>(body));
}

}  // namespace lockstep::store
