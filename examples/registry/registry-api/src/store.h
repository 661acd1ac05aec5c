// People in one SQLite file. Not thread-safe: the server uses one thread.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "person.h"

namespace registry {

enum class StoreStatus {
  kOk,
  kNotFound,         // no person with that id
  kDuplicateEmail,   // another person has that email (case-insensitive)
  kVersionMismatch,  // the expected version is not the current one
  kIoError,          // SQLite failed; see Store::LastError()
};

struct ListQuery {
  int limit = 20;
  int offset = 0;
  std::string name;  // case-insensitive substring of first or last name; empty: all
};

struct ListResult {
  std::vector<Person> items;
  std::int64_t total = 0;  // matches of the filter, ignoring limit and offset
};

class Store {
 public:
  // Opens (creating if missing) the database at `path` with its schema, in WAL mode.
  // Returns nullopt and sets `error` when the file cannot be opened or prepared.
  static std::optional<Store> Open(const std::string& path, std::string* error);

  Store(Store&& other) noexcept;
  Store& operator=(Store&&) = delete;
  Store(const Store&) = delete;
  ~Store();

  // `now` is the ISO-8601 UTC time stamped on the write.
  StoreStatus Create(const PersonFields& fields, const std::string& now, Person* out);
  StoreStatus Get(std::int64_t id, Person* out);
  // Replaces the fields of `id`. When `expected_version` is set and differs from the
  // current version nothing is written and kVersionMismatch is returned.
  StoreStatus Update(std::int64_t id, const PersonFields& fields,
                     std::optional<std::int64_t> expected_version, const std::string& now,
                     Person* out);
  StoreStatus Delete(std::int64_t id, std::optional<std::int64_t> expected_version);
  StoreStatus List(const ListQuery& query, ListResult* out);
  // True when the people table can be read.
  bool Healthy();

  const std::string& LastError() const { return last_error_; }

 private:
  explicit Store(sqlite3* db) : db_(db) {}
  StoreStatus Fail(const char* what);
  bool Exec(const char* sql);

  sqlite3* db_ = nullptr;
  std::string last_error_;
};

}  // namespace registry
