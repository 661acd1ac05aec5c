// How the SQLite store objects run a call on their one connection: under the object's mutex,
// a write as one BEGIN IMMEDIATE transaction that commits only when the whole call succeeded,
// and every error worded "state store: <what>: <cause>". Internal to store/.
#pragma once

#include <fmt/core.h>

#include <mutex>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "store/sqlite_database.h"

namespace lockstep::store {

// Runs `body` in one write transaction on `db` while holding `mutex`; commits when it
// succeeds, rolls back otherwise.
template <class T, class Body>
Result<T> WriteLocked(std::mutex& mutex, SqliteDatabase& db, std::string_view what, Body&& body) {
  std::lock_guard lock(mutex);
  Result<T> result = [&]() -> Result<T> {
    Result<SqliteTransaction> transaction = SqliteTransaction::Begin(db);
    if (!transaction) return std::unexpected(transaction.error());
    Result<T> value = body();
    if (!value) return value;  // the transaction's destructor rolls back
    if (Result<void> committed = transaction->Commit(); !committed) {
      return std::unexpected(committed.error());
    }
    return value;
  }();
  if (!result) {
    return Fail(result.error().code(),
                fmt::format("state store: {}: {}", what, result.error().message()));
  }
  return result;
}

// Runs `body` (reads only) while holding `mutex`, with the same error wording.
template <class T, class Body>
Result<T> ReadLocked(std::mutex& mutex, std::string_view what, Body&& body) {
  std::lock_guard lock(mutex);
  Result<T> result = body();
  if (!result) {
    return Fail(result.error().code(),
                fmt::format("state store: {}: {}", what, result.error().message()));
  }
  return result;
}

// One connection and the mutex that guards it, with a store object's Write and Read: the base
// of the SQLite store classes.
class SqliteConnection {
 protected:
  explicit SqliteConnection(SqliteDatabase db) : db_(std::move(db)) {}

  // Runs `body` in one write transaction under the mutex; commits when it succeeds, rolls
  // back otherwise. Errors come back as "state store: <what>: <cause>".
  template <class T, class Body>
  Result<T> Write(std::string_view what, Body&& body) {
    return WriteLocked<T>(mutex_, db_, what, std::forward<Body>(body));
  }
  // Runs `body` (reads only) under the mutex, with the same error wording.
  template <class T, class Body>
  Result<T> Read(std::string_view what, Body&& body) {
    return ReadLocked<T>(mutex_, what, std::forward<Body>(body));
  }

  std::mutex mutex_;
  SqliteDatabase db_;  // guarded by mutex_
};

// Steps `query` to its end, turning each row into a Record with `from_row` (which returns a
// Result<Record>).
template <class Record, class FromRow>
Result<std::vector<Record>> CollectRows(SqliteStatement& query, FromRow&& from_row) {
  std::vector<Record> records;
  for (;;) {
    Result<bool> row = query.Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return records;
    Result<Record> record = from_row(query);
    if (!record) return std::unexpected(record.error());
    records.push_back(std::move(*record));
  }
}

}  // namespace lockstep::store
