// Thin RAII owners for an SQLite connection and its prepared statements, with SQLite result
// codes turned into Errors. Internal to store/: the rest of lockstep sees only Store.
//
// Errors from here carry SQLite's generic description of the result code ("database is
// locked", "database or disk is full"), never SQL text; callers prefix what they were doing.
// Not thread-safe: a connection and its statements are used by one thread at a time (the
// store holds a mutex around them).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "base/error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace lockstep::store {

class StatementCache;

// An Error for SQLite result code `rc`: kUnavailable for busy/locked (retrying may work),
// kCorruption for a damaged or foreign file, kIoError for disk full and I/O failures,
// kPermissionDenied for refused access, kInternal otherwise (a constraint or misuse is a bug
// here, since the store validates its input first). The message is SQLite's description.
Error SqliteError(int rc);

// A prepared statement. Binds count parameters from 1, columns from 0. A failed bind is
// remembered and reported by the next Step, so call sites can bind without checking each one.
// Move-only.
class SqliteStatement {
 public:
  SqliteStatement() = default;
  explicit SqliteStatement(sqlite3_stmt* statement) : statement_(statement) {}
  // A statement that goes back to `cache` (reset, bindings cleared) instead of being
  // finalized; the cache must outlive it.
  SqliteStatement(sqlite3_stmt* statement, StatementCache* cache, std::string sql)
      : statement_(statement), cache_(cache), sql_(std::move(sql)) {}
  ~SqliteStatement();
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  void Bind(int index, int64_t value);
  void Bind(int index, int value) { Bind(index, static_cast<int64_t>(value)); }
  void Bind(int index, std::string_view value);
  void Bind(int index, const std::string& value) { Bind(index, std::string_view(value)); }
  void Bind(int index, const char* value) { Bind(index, std::string_view(value)); }
  void Bind(int index, std::nullopt_t);
  template <class T>
  void Bind(int index, const std::optional<T>& value) {
    if (value) {
      Bind(index, *value);
    } else {
      Bind(index, std::nullopt);
    }
  }

  // Binds `values` to parameters 1, 2, … in order.
  template <class... Values>
  void BindAll(const Values&... values) {
    int index = 0;
    (Bind(++index, values), ...);
  }

  // Rewinds the statement to run it again with new bindings.
  void Reset();

  // Advances: true when a row is available, false when the statement is done.
  Result<bool> Step();
  // Steps to the end, for statements that return no rows.
  Result<void> Run();

  bool IsNull(int column) const;
  int64_t Int(int column) const;
  std::optional<int64_t> OptionalInt(int column) const;
  std::string Text(int column) const;
  // The column's text without a copy; valid until the next Step, Reset or destruction.
  std::string_view TextView(int column) const;

 private:
  void Release();

  sqlite3_stmt* statement_ = nullptr;
  int bind_error_ = 0;  // the first failed bind's result code, 0 when all succeeded
  StatementCache* cache_ = nullptr;
  std::string sql_;  // the key to return it under, when cached
};

// One connection. Move-only; closes the connection on destruction.
class SqliteDatabase {
 public:
  // Opens (creating when missing) the file for reading and writing, without SQLite's own
  // connection mutex. Does not read the file yet: a file that is not a database fails on the
  // first statement. Fails with the open error (kIoError, kPermissionDenied, …).
  static Result<SqliteDatabase> Open(const std::filesystem::path& path);

  SqliteDatabase();
  ~SqliteDatabase();
  SqliteDatabase(SqliteDatabase&& other) noexcept;
  SqliteDatabase& operator=(SqliteDatabase&& other) noexcept;
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  sqlite3* handle() const { return db_; }

  // Runs one or more statements that take no parameters (schema scripts, PRAGMAs).
  Result<void> ExecuteScript(std::string_view sql);

  // Prepares `sql` and binds `values` to its parameters; step it for the rows.
  template <class... Values>
  Result<SqliteStatement> Query(std::string_view sql, const Values&... values) {
    Result<SqliteStatement> statement = Prepare(sql);
    if (statement) statement->BindAll(values...);
    return statement;
  }

  // Runs a statement that returns no rows; returns the number of rows it changed.
  template <class... Values>
  Result<int64_t> Execute(std::string_view sql, const Values&... values) {
    Result<SqliteStatement> statement = Query(sql, values...);
    if (!statement) return std::unexpected(statement.error());
    if (Result<void> done = statement->Run(); !done) return std::unexpected(done.error());
    return Changes();
  }

  // Runs a query expected to return one integer row (a PRAGMA, a count).
  template <class... Values>
  Result<int64_t> QueryInt(std::string_view sql, const Values&... values) {
    Result<SqliteStatement> statement = Query(sql, values...);
    if (!statement) return std::unexpected(statement.error());
    Result<bool> row = statement->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::unexpected(Error(ErrorCode::kInternal, "query returned no row"));
    return statement->Int(0);
  }

  // Prepares `sql`, or reuses the statement prepared for the same text earlier: preparing
  // costs more than running the small statements the store uses. Statements must not outlive
  // the database.
  Result<SqliteStatement> Prepare(std::string_view sql);
  int64_t Changes() const;
  int64_t LastInsertRowId() const;
  // True while a transaction is open (SQLite rolls some back by itself after I/O errors).
  bool InTransaction() const;

 private:
  explicit SqliteDatabase(sqlite3* db);

  sqlite3* db_ = nullptr;
  std::unique_ptr<StatementCache> cache_;  // behind a pointer: statements keep its address
};

// A write transaction: BEGIN IMMEDIATE takes the database's write lock up front (waiting up to
// the busy timeout), so that a read-check-write sequence inside it is atomic across processes.
// Rolls back on destruction unless committed, which also covers a statement that failed
// halfway. Not movable; lives on the stack of one call.
class SqliteTransaction {
 public:
  static Result<SqliteTransaction> Begin(SqliteDatabase& db);
  ~SqliteTransaction();
  SqliteTransaction(SqliteTransaction&& other) noexcept
      : db_(other.db_), open_(std::exchange(other.open_, false)) {}
  SqliteTransaction& operator=(SqliteTransaction&&) = delete;
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;

  // Commits; on failure the transaction is rolled back and the error returned.
  Result<void> Commit();

 private:
  explicit SqliteTransaction(SqliteDatabase& db) : db_(&db), open_(true) {}
  void Rollback();

  SqliteDatabase* db_;
  bool open_;
};

}  // namespace lockstep::store
