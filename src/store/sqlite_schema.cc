#include "store/sqlite_schema.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <string>
#include <thread>
#include <utility>

namespace lockstep::store {
namespace {

// Version 1. Notes on the choices:
// - Run ids use AUTOINCREMENT so that an id is never handed out twice, even after the newest
//   runs are pruned: log and artifact directories are named after run ids.
// - States and modes are stored as their lower-case names (store.h's ToString), readable with
//   the sqlite3 shell; a new state comes with a schema version, which older builds refuse.
// - Actions are keyed by (run, name) and keep the position given to CreateRun for ordering.
//   An action's log path is that of its latest attempt, so it is not stored twice.
// - process_start_time holds a uint64_t bit for bit (clock ticks since boot fit easily).
// - Times are integer milliseconds since the epoch, UTC.
constexpr std::string_view kSchemaVersion1 = R"sql(
CREATE TABLE runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  workflow TEXT NOT NULL,
  workflow_file TEXT NOT NULL,
  repository TEXT NOT NULL,
  commit_id TEXT NOT NULL,
  branch TEXT NOT NULL,
  mode TEXT NOT NULL,
  state TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  owner_pid INTEGER NOT NULL,
  owner_start_time INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER
);
-- Admission looks for earlier runs of one workflow in a given state.
CREATE INDEX runs_by_workflow ON runs (repository, workflow, state, id);
-- Recovery scans the few live runs, not the whole history.
CREATE INDEX runs_live ON runs (state) WHERE state IN ('queued', 'running');

CREATE TABLE actions (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  position INTEGER NOT NULL,
  state TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  attempt INTEGER NOT NULL DEFAULT 0,
  process_group INTEGER NOT NULL DEFAULT 0,
  process_start_time INTEGER NOT NULL DEFAULT 0,
  exit_code INTEGER,
  started_at INTEGER,
  finished_at INTEGER,
  tests_passed INTEGER,
  tests_failed INTEGER,
  tests_skipped INTEGER,
  PRIMARY KEY (run_id, name),
  UNIQUE (run_id, position)
) WITHOUT ROWID;

CREATE TABLE attempts (
  run_id INTEGER NOT NULL,
  action TEXT NOT NULL,
  attempt INTEGER NOT NULL CHECK (attempt >= 1),
  state TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  log_path TEXT NOT NULL,
  exit_code INTEGER,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  PRIMARY KEY (run_id, action, attempt),
  FOREIGN KEY (run_id, action) REFERENCES actions (run_id, name) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE variables (
  run_id INTEGER NOT NULL,
  action TEXT NOT NULL,
  name TEXT NOT NULL,
  position INTEGER NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_id, action, name),
  FOREIGN KEY (run_id, action) REFERENCES actions (run_id, name) ON DELETE CASCADE
) WITHOUT ROWID;

-- The rowid keeps the order artifacts were added in.
CREATE TABLE artifacts (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  action TEXT NOT NULL,
  path TEXT NOT NULL,
  files INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  UNIQUE (run_id, name),
  FOREIGN KEY (run_id, action) REFERENCES actions (run_id, name) ON DELETE CASCADE
);
CREATE INDEX artifacts_by_action ON artifacts (run_id, action);
)sql";

// Version 2: the runtime's services, releases, deployments, handler processes and events
// (runtime_store.h). Notes on the choices:
// - A service's serving state sits in its row, so that a cutover is one UPDATE beside the
//   deployment's end. Releases named there have no foreign key: "" means none, and the
//   serving state may name what an older record still describes.
// - Releases, deployments and events refer to their service, deployments to their release,
//   so history cannot point at nothing; the store checks first and answers kNotFound.
// - A deployment's candidates are rows of their own, keyed by position in the chain, so that
//   recording one outcome is one small UPDATE.
// - Deployments and events use AUTOINCREMENT ids, which also give "newest first" without a
//   tie between rows made in the same millisecond.
// - handler_processes.start_time holds a uint64_t bit for bit, as actions.process_start_time.
//   Its rows have no foreign keys: a process must be recordable before it may take a port,
//   whatever else the store holds.
constexpr std::string_view kSchemaVersion2 = R"sql(
CREATE TABLE services (
  name TEXT PRIMARY KEY,
  spec_json TEXT NOT NULL,
  release TEXT NOT NULL DEFAULT '',
  handler TEXT NOT NULL DEFAULT '',
  previous_release TEXT NOT NULL DEFAULT '',
  previous_handler TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE releases (
  service TEXT NOT NULL REFERENCES services (name),
  id TEXT NOT NULL,
  path TEXT NOT NULL,
  spec_json TEXT NOT NULL,
  files INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (service, id)
);
-- Newest first: the index ends in the rowid, which breaks ties in insertion order.
CREATE INDEX releases_by_service ON releases (service, created_at);

CREATE TABLE deployments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  service TEXT NOT NULL,
  release TEXT NOT NULL,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  actor TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  from_release TEXT NOT NULL DEFAULT '',
  handler TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  FOREIGN KEY (service, release) REFERENCES releases (service, id)
);
CREATE INDEX deployments_by_service ON deployments (service, id);
-- A server starting after a crash looks only at the few unfinished ones.
CREATE INDEX deployments_live ON deployments (state) WHERE state IN ('queued', 'running');

CREATE TABLE deployment_candidates (
  deployment_id INTEGER NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  handler TEXT NOT NULL,
  outcome TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (deployment_id, position)
) WITHOUT ROWID;

-- Keyed by process group: a group id is recorded once while its leader lives.
CREATE TABLE handler_processes (
  process_group INTEGER PRIMARY KEY,
  start_time INTEGER NOT NULL,
  service TEXT NOT NULL,
  release TEXT NOT NULL,
  handler TEXT NOT NULL,
  port INTEGER NOT NULL,
  role TEXT NOT NULL,
  owner_pid INTEGER NOT NULL,
  owner_start_time INTEGER NOT NULL,
  started_at INTEGER NOT NULL
);

CREATE TABLE service_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  service TEXT NOT NULL REFERENCES services (name),
  time INTEGER NOT NULL,
  kind TEXT NOT NULL,
  message TEXT NOT NULL,
  deployment_id INTEGER REFERENCES deployments (id)
);
CREATE INDEX service_events_by_service ON service_events (service, id);
)sql";

// The audit chain (version 3; audit_store.h). Notes on the
// choices:
// - seq is the rowid and is given by the appender (last seq + 1, read in the same write
//   transaction), not AUTOINCREMENT: a gap or a duplicate must be impossible, not skipped.
// - time_ms is integer milliseconds since the epoch, UTC, as elsewhere; the canonical form
//   spells it out as text. Appenders keep it non-decreasing along seq, so the index on it
//   finds "since TIME" without a scan.
// - details holds the canonical JSON text exactly as hashed; nothing rewrites it.
// - The triggers make the table append-only for every program that goes through SQLite
//   without dropping them first: a record edited or removed by mistake is refused, one edited
//   on purpose is what `lockstep audit verify` finds.
constexpr std::string_view kAuditSchema = R"sql(
CREATE TABLE audit_records (
  seq INTEGER PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT NOT NULL,
  details TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_records_by_time ON audit_records (time_ms);
CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records
BEGIN
  SELECT RAISE(ABORT, 'audit records are append-only');
END;
CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records
BEGIN
  SELECT RAISE(ABORT, 'audit records are append-only');
END;
)sql";

// Coordination (version 4). Rollouts with the plan they carry out, their steps, what served
// before each (its baseline), and each environment's last good commit per repository.
constexpr std::string_view kCoordSchema = R"sql(
CREATE TABLE rollouts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  environment TEXT NOT NULL,
  state TEXT NOT NULL,
  actor TEXT NOT NULL,
  strategy TEXT NOT NULL,
  plan_json TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  decided_by TEXT NOT NULL DEFAULT '',
  owner_pid INTEGER NOT NULL DEFAULT 0,
  owner_start_time INTEGER NOT NULL DEFAULT 0,
  baseline_json TEXT,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER
);
CREATE INDEX rollouts_live ON rollouts (environment, id)
  WHERE state NOT IN ('succeeded', 'failed', 'rejected');

CREATE TABLE rollout_steps (
  rollout_id INTEGER NOT NULL REFERENCES rollouts (id),
  number INTEGER NOT NULL,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  state TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '',
  data TEXT NOT NULL DEFAULT '',
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  PRIMARY KEY (rollout_id, number)
) WITHOUT ROWID;

CREATE TABLE last_good_commits (
  environment TEXT NOT NULL,
  repository TEXT NOT NULL,
  commit_id TEXT NOT NULL,
  rollout_id INTEGER NOT NULL REFERENCES rollouts (id),
  PRIMARY KEY (environment, repository)
) WITHOUT ROWID;
)sql";

constexpr std::array<std::string_view, 4> kMigrations = {kSchemaVersion1, kSchemaVersion2,
                                                         kAuditSchema, kCoordSchema};

// How long a statement waits for another process's lock before failing with "database is
// locked". Writes are short, so this is only reached when something is stuck.
constexpr int kBusyTimeoutMs = 10'000;

Error OpenError(SqliteDatabase& db, const std::filesystem::path& path, const Error& error) {
  if (error.code() == ErrorCode::kCorruption) {
    if (sqlite3_errcode(db.handle()) == SQLITE_NOTADB) {
      return Error(
          ErrorCode::kCorruption,
          "state store " + path.string() + " is not a lockstep state store: " + error.message());
    }
    return Error(ErrorCode::kCorruption,
                 "state store " + path.string() + " is damaged: " + error.message());
  }
  return Error(error.code(), "state store " + path.string() + ": " + error.message());
}

struct Identity {
  int64_t application_id = 0;
  int64_t version = 0;
  int64_t objects = 0;  // tables, indexes, …: none in a new file
};

Result<Identity> ReadIdentity(SqliteDatabase& db) {
  // One statement, so one snapshot: read separately, another process's first migration could
  // commit in between and make a fresh store look like another application's database.
  Result<SqliteStatement> query = db.Query(
      "SELECT (SELECT application_id FROM pragma_application_id), "
      "(SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM sqlite_schema)");
  if (!query) return std::unexpected(query.error());
  Result<bool> row = query->Step();
  if (!row) return std::unexpected(row.error());
  return Identity{
      .application_id = query->Int(0), .version = query->Int(1), .objects = query->Int(2)};
}

// Refuses files that are not ours, or are ours but newer than this build.
Result<void> CheckIdentity(const Identity& identity, const std::filesystem::path& path,
                           size_t known_version) {
  bool empty = identity.application_id == 0 && identity.version == 0 && identity.objects == 0;
  if (identity.application_id != kApplicationId && !empty) {
    return Fail(ErrorCode::kCorruption, "state store " + path.string() +
                                            " is not a lockstep state store: it is another "
                                            "application's SQLite database");
  }
  if (identity.version > static_cast<int64_t>(known_version)) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("state store {} was written by a newer lockstep (schema {}, this "
                            "build knows {})",
                            path.string(), identity.version, known_version));
  }
  return {};
}

// Applies the migration from version `from`, unless another process got there first.
Result<void> MigrateStep(SqliteDatabase& db, const std::filesystem::path& path,
                         std::span<const std::string_view> migrations, size_t from) {
  Result<SqliteTransaction> transaction = SqliteTransaction::Begin(db);
  if (!transaction) return std::unexpected(OpenError(db, path, transaction.error()));
  Result<Identity> identity = ReadIdentity(db);
  if (!identity) return std::unexpected(OpenError(db, path, identity.error()));
  if (Result<void> ours = CheckIdentity(*identity, path, migrations.size()); !ours) return ours;
  if (identity->version > static_cast<int64_t>(from)) return {};

  Result<void> applied = db.ExecuteScript(migrations[from]);
  // PRAGMA values cannot be bound parameters; these are integers we format ourselves.
  if (applied) {
    applied = db.ExecuteScript(fmt::format("PRAGMA application_id = {}; PRAGMA user_version = {}",
                                           kApplicationId, from + 1));
  }
  if (applied) applied = transaction->Commit();
  if (!applied) {
    return Fail(applied.error().code(),
                fmt::format("state store {}: cannot migrate the schema to version {}: {}",
                            path.string(), from + 1, applied.error().message()));
  }
  return {};
}

}  // namespace

std::span<const std::string_view> SqliteMigrations() { return kMigrations; }

Result<SqliteDatabase> OpenStoreDatabase(const std::filesystem::path& path) {
  // Opening sets up WAL and migrates, and SQLite answers some of that with "database is
  // locked" at once, without its busy handler, when other processes open or migrate the same
  // new file at the same moment (it would otherwise risk a deadlock). Those are worth
  // retrying, for a while.
  constexpr auto kRetryFor = std::chrono::seconds(10);
  const auto deadline = std::chrono::steady_clock::now() + kRetryFor;
  auto pause = std::chrono::milliseconds(5);
  for (;;) {
    Result<SqliteDatabase> db = SqliteDatabase::Open(path);
    if (!db) {
      return Fail(db.error().code(),
                  "state store " + path.string() + ": cannot open: " + db.error().message());
    }
    Result<void> prepared = PrepareStore(*db, path, SqliteMigrations());
    if (prepared) return std::move(*db);
    if (prepared.error().code() != ErrorCode::kUnavailable ||
        std::chrono::steady_clock::now() + pause > deadline) {
      return std::unexpected(prepared.error());
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(100));
  }
}

Result<void> PrepareStore(SqliteDatabase& db, const std::filesystem::path& path,
                          std::span<const std::string_view> migrations) {
  sqlite3_busy_timeout(db.handle(), kBusyTimeoutMs);

  // Identify the file before changing anything in it: another application's database must
  // not be switched to WAL behind its back.
  Result<Identity> identity = ReadIdentity(db);
  if (!identity) return std::unexpected(OpenError(db, path, identity.error()));
  if (Result<void> ours = CheckIdentity(*identity, path, migrations.size()); !ours) return ours;

  // WAL lets readers proceed while one process writes. With synchronous=NORMAL a commit is
  // in the WAL file (in the OS's cache) before it returns, so it survives a crash of the
  // process, which is the Store contract; only a power loss or kernel crash may lose the last
  // commits (never corrupt the file), a trade for not calling fsync on every state change.
  {
    Result<SqliteStatement> mode = db.Query("PRAGMA journal_mode = WAL");
    if (!mode) return std::unexpected(OpenError(db, path, mode.error()));
    Result<bool> row = mode->Step();
    if (!row) return std::unexpected(OpenError(db, path, row.error()));
    if (std::string journal = mode->Text(0); journal != "wal") {
      return Fail(ErrorCode::kIoError, "state store " + path.string() +
                                           ": cannot use a write-ahead log here (journal mode is " +
                                           journal + ")");
    }
  }
  Result<void> configured =
      db.ExecuteScript("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON");
  if (!configured) return std::unexpected(OpenError(db, path, configured.error()));

  for (size_t from = static_cast<size_t>(identity->version); from < migrations.size(); ++from) {
    if (Result<void> step = MigrateStep(db, path, migrations, from); !step) return step;
  }
  return {};
}

}  // namespace lockstep::store
