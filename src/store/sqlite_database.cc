#include "store/sqlite_database.h"

#include <sqlite3.h>

#include <unordered_map>
#include <utility>

namespace lockstep::store {

Error SqliteError(int rc) {
  ErrorCode code = ErrorCode::kInternal;
  switch (rc & 0xff) {  // the primary code; extended codes refine it
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      code = ErrorCode::kUnavailable;
      break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      code = ErrorCode::kCorruption;
      break;
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
      code = ErrorCode::kIoError;
      break;
    case SQLITE_PERM:
    case SQLITE_AUTH:
      code = ErrorCode::kPermissionDenied;
      break;
    default:
      break;
  }
  // sqlite3_errstr describes the code only; sqlite3_errmsg may quote schema names, which are
  // no business of the people reading our errors.
  return Error(code, sqlite3_errstr(rc));
}

// Idle prepared statements by SQL text, one per text. A statement in use is out of the cache;
// a second user of the same text while the first still holds it prepares its own.
class StatementCache {
 public:
  ~StatementCache() {
    for (auto& [sql, statement] : idle_) sqlite3_finalize(statement);
  }
  sqlite3_stmt* Take(const std::string& sql) {
    auto it = idle_.find(sql);
    if (it == idle_.end()) return nullptr;
    sqlite3_stmt* statement = it->second;
    idle_.erase(it);
    return statement;
  }
  void Give(std::string sql, sqlite3_stmt* statement) {
    sqlite3_reset(statement);
    sqlite3_clear_bindings(statement);
    if (!idle_.emplace(std::move(sql), statement).second) sqlite3_finalize(statement);
  }

 private:
  std::unordered_map<std::string, sqlite3_stmt*> idle_;
};

void SqliteStatement::Release() {
  if (statement_ == nullptr) return;
  if (cache_ != nullptr) {
    cache_->Give(std::move(sql_), statement_);
  } else {
    sqlite3_finalize(statement_);
  }
  statement_ = nullptr;
}

SqliteStatement::~SqliteStatement() { Release(); }

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : statement_(std::exchange(other.statement_, nullptr)),
      bind_error_(other.bind_error_),
      cache_(other.cache_),
      sql_(std::move(other.sql_)) {}

SqliteStatement& SqliteStatement::operator=(SqliteStatement&& other) noexcept {
  if (this != &other) {
    Release();
    statement_ = std::exchange(other.statement_, nullptr);
    bind_error_ = other.bind_error_;
    cache_ = other.cache_;
    sql_ = std::move(other.sql_);
  }
  return *this;
}

void SqliteStatement::Bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(statement_, index, value);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
}

void SqliteStatement::Bind(int index, std::string_view value) {
  int rc = sqlite3_bind_text64(statement_, index, value.data(), value.size(), SQLITE_TRANSIENT,
                               SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
}

void SqliteStatement::Bind(int index, std::nullopt_t) {
  int rc = sqlite3_bind_null(statement_, index);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
}

void SqliteStatement::Reset() {
  // sqlite3_reset repeats the error of the last step, which Step already reported.
  sqlite3_reset(statement_);
  bind_error_ = 0;
}

Result<bool> SqliteStatement::Step() {
  if (bind_error_ != 0) return std::unexpected(SqliteError(bind_error_));
  int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return std::unexpected(SqliteError(rc));
}

Result<void> SqliteStatement::Run() {
  for (;;) {
    Result<bool> row = Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return {};
  }
}

bool SqliteStatement::IsNull(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

int64_t SqliteStatement::Int(int column) const { return sqlite3_column_int64(statement_, column); }

std::optional<int64_t> SqliteStatement::OptionalInt(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Int(column);
}

std::string SqliteStatement::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(statement_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(statement_, column)));
}

std::string_view SqliteStatement::TextView(int column) const {
  const unsigned char* text = sqlite3_column_text(statement_, column);
  if (text == nullptr) return {};
  return std::string_view(reinterpret_cast<const char*>(text),
                          static_cast<size_t>(sqlite3_column_bytes(statement_, column)));
}

Result<SqliteDatabase> SqliteDatabase::Open(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  // SQLITE_OPEN_NOMUTEX: the store serializes use of the connection with its own mutex, so
  // SQLite's per-connection mutex would only be paid for twice.
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  SqliteDatabase owner(db);  // closes the handle, which SQLite allocates even on failure
  if (rc != SQLITE_OK) return std::unexpected(SqliteError(rc));
  sqlite3_extended_result_codes(db, 1);
  return owner;
}

SqliteDatabase::SqliteDatabase() = default;

SqliteDatabase::SqliteDatabase(sqlite3* db) : db_(db), cache_(std::make_unique<StatementCache>()) {}

SqliteDatabase::~SqliteDatabase() {
  cache_.reset();  // finalize idle statements before closing
  sqlite3_close_v2(db_);
}

SqliteDatabase::SqliteDatabase(SqliteDatabase&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), cache_(std::move(other.cache_)) {}

SqliteDatabase& SqliteDatabase::operator=(SqliteDatabase&& other) noexcept {
  if (this != &other) {
    cache_.reset();
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    cache_ = std::move(other.cache_);
  }
  return *this;
}

Result<void> SqliteDatabase::ExecuteScript(std::string_view sql) {
  // sqlite3_exec needs a terminated string; scripts are small.
  std::string text(sql);
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(SqliteError(sqlite3_extended_errcode(db_)));
  return {};
}

Result<SqliteStatement> SqliteDatabase::Prepare(std::string_view sql) {
  std::string key(sql);
  if (sqlite3_stmt* cached = cache_->Take(key)) return SqliteStatement(cached, cache_.get(), key);
  sqlite3_stmt* statement = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(statement);
    return std::unexpected(SqliteError(rc));
  }
  return SqliteStatement(statement, cache_.get(), std::move(key));
}

int64_t SqliteDatabase::Changes() const { return sqlite3_changes64(db_); }

int64_t SqliteDatabase::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

bool SqliteDatabase::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

Result<SqliteTransaction> SqliteTransaction::Begin(SqliteDatabase& db) {
  if (Result<void> begun = db.ExecuteScript("BEGIN IMMEDIATE"); !begun) {
    return std::unexpected(begun.error());
  }
  return SqliteTransaction(db);
}

SqliteTransaction::~SqliteTransaction() {
  if (open_) Rollback();
}

Result<void> SqliteTransaction::Commit() {
  open_ = false;
  Result<void> committed = db_->ExecuteScript("COMMIT");
  if (!committed) {
    // A failed COMMIT may leave the transaction open (e.g. SQLITE_BUSY); end it so that the
    // call changes nothing and the connection is usable again.
    Rollback();
  }
  return committed;
}

void SqliteTransaction::Rollback() {
  open_ = false;
  // After SQLITE_FULL, SQLITE_IOERR and a few others SQLite may already have rolled back;
  // a second ROLLBACK would only fail with "no transaction is active".
  if (db_->InTransaction()) {
    // The error, if any, is not actionable: SQLite then rolls back when the connection closes.
    (void)db_->ExecuteScript("ROLLBACK");
  }
}

}  // namespace lockstep::store
