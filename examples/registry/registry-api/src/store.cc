#include "store.h"

#include <utility>

namespace registry {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS people (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  first_name TEXT NOT NULL,
  last_name TEXT NOT NULL,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  date_of_birth TEXT,
  address TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1
);
)sql";

constexpr const char* kColumns =
    "id, first_name, last_name, email, date_of_birth, address, created_at, updated_at, version";

// A prepared statement that finalizes itself; bind indexes start at 1 as in SQLite.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) {
    ok_ = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) == SQLITE_OK;
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return ok_; }
  sqlite3_stmt* get() { return stmt_; }
  void Bind(int index, const std::string& value) {
    sqlite3_bind_text(stmt_, index, value.c_str(), static_cast<int>(value.size()),
                      SQLITE_TRANSIENT);
  }
  void Bind(int index, const std::optional<std::string>& value) {
    if (value) {
      Bind(index, *value);
    } else {
      sqlite3_bind_null(stmt_, index);
    }
  }
  void Bind(int index, std::int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
  int Step() { return sqlite3_step(stmt_); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  bool ok_ = false;
};

std::string TextColumn(sqlite3_stmt* stmt, int column) {
  const unsigned char* text = sqlite3_column_text(stmt, column);
  return text ? reinterpret_cast<const char*>(text) : "";
}

std::optional<std::string> OptionalTextColumn(sqlite3_stmt* stmt, int column) {
  if (sqlite3_column_type(stmt, column) == SQLITE_NULL) return std::nullopt;
  return TextColumn(stmt, column);
}

Person ReadPerson(sqlite3_stmt* stmt) {
  Person person;
  person.id = sqlite3_column_int64(stmt, 0);
  person.fields.first_name = TextColumn(stmt, 1);
  person.fields.last_name = TextColumn(stmt, 2);
  person.fields.email = TextColumn(stmt, 3);
  person.fields.date_of_birth = OptionalTextColumn(stmt, 4);
  person.fields.address = OptionalTextColumn(stmt, 5);
  person.created_at = TextColumn(stmt, 6);
  person.updated_at = TextColumn(stmt, 7);
  person.version = sqlite3_column_int64(stmt, 8);
  return person;
}

// LIKE pattern matching `text` literally anywhere, with '\' as the escape character.
std::string ContainsPattern(const std::string& text) {
  std::string pattern = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  return pattern + "%";
}

}  // namespace

std::optional<Store> Store::Open(const std::string& path, std::string* error) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    *error = path + ": cannot open database: " + (db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return std::nullopt;
  }
  Store store(db);
  // Another process (a backup, a migration) may hold the lock briefly.
  sqlite3_busy_timeout(db, 5000);
  if (!store.Exec("PRAGMA journal_mode=WAL") || !store.Exec(kSchema)) {
    *error = path + ": " + store.last_error_;
    return std::nullopt;
  }
  return store;
}

Store::Store(Store&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), last_error_(std::move(other.last_error_)) {}

Store::~Store() { sqlite3_close(db_); }

bool Store::Exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    last_error_ = message ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    return false;
  }
  return true;
}

StoreStatus Store::Fail(const char* what) {
  last_error_ = std::string(what) + ": " + sqlite3_errmsg(db_);
  return StoreStatus::kIoError;
}

StoreStatus Store::Create(const PersonFields& fields, const std::string& now, Person* out) {
  Statement insert(db_, std::string("INSERT INTO people (first_name, last_name, email, "
                                    "date_of_birth, address, created_at, updated_at, version) "
                                    "VALUES (?, ?, ?, ?, ?, ?, ?, 1) RETURNING ") +
                            kColumns);
  if (!insert.ok()) return Fail("insert person");
  insert.Bind(1, fields.first_name);
  insert.Bind(2, fields.last_name);
  insert.Bind(3, fields.email);
  insert.Bind(4, fields.date_of_birth);
  insert.Bind(5, fields.address);
  insert.Bind(6, now);
  insert.Bind(7, now);
  int rc = insert.Step();
  if (rc == SQLITE_ROW) {
    *out = ReadPerson(insert.get());
    return insert.Step() == SQLITE_DONE ? StoreStatus::kOk : Fail("insert person");
  }
  if (sqlite3_extended_errcode(db_) == SQLITE_CONSTRAINT_UNIQUE) {
    return StoreStatus::kDuplicateEmail;
  }
  return Fail("insert person");
}

StoreStatus Store::Get(std::int64_t id, Person* out) {
  Statement select(db_, std::string("SELECT ") + kColumns + " FROM people WHERE id = ?");
  if (!select.ok()) return Fail("read person");
  select.Bind(1, id);
  int rc = select.Step();
  if (rc == SQLITE_ROW) {
    *out = ReadPerson(select.get());
    return StoreStatus::kOk;
  }
  return rc == SQLITE_DONE ? StoreStatus::kNotFound : Fail("read person");
}

StoreStatus Store::Update(std::int64_t id, const PersonFields& fields,
                          std::optional<std::int64_t> expected_version, const std::string& now,
                          Person* out) {
  // The version check is part of the UPDATE itself, so that no other writer can slip in
  // between the check and the write.
  Statement update(db_, std::string("UPDATE people SET first_name = ?, last_name = ?, email = ?, "
                                    "date_of_birth = ?, address = ?, updated_at = ?, "
                                    "version = version + 1 WHERE id = ? AND (? IS NULL OR "
                                    "version = ?) RETURNING ") +
                            kColumns);
  if (!update.ok()) return Fail("update person");
  update.Bind(1, fields.first_name);
  update.Bind(2, fields.last_name);
  update.Bind(3, fields.email);
  update.Bind(4, fields.date_of_birth);
  update.Bind(5, fields.address);
  update.Bind(6, now);
  update.Bind(7, id);
  if (expected_version) {
    update.Bind(8, *expected_version);
    update.Bind(9, *expected_version);
  }
  int rc = update.Step();
  if (rc == SQLITE_ROW) {
    *out = ReadPerson(update.get());
    return update.Step() == SQLITE_DONE ? StoreStatus::kOk : Fail("update person");
  }
  if (rc == SQLITE_DONE) {
    // Nothing matched: tell a missing person from a stale version.
    Person current;
    StoreStatus status = Get(id, &current);
    return status == StoreStatus::kOk ? StoreStatus::kVersionMismatch : status;
  }
  if (sqlite3_extended_errcode(db_) == SQLITE_CONSTRAINT_UNIQUE) {
    return StoreStatus::kDuplicateEmail;
  }
  return Fail("update person");
}

StoreStatus Store::Delete(std::int64_t id, std::optional<std::int64_t> expected_version) {
  Statement remove(db_, "DELETE FROM people WHERE id = ? AND (? IS NULL OR version = ?)");
  if (!remove.ok()) return Fail("delete person");
  remove.Bind(1, id);
  if (expected_version) {
    remove.Bind(2, *expected_version);
    remove.Bind(3, *expected_version);
  }
  if (remove.Step() != SQLITE_DONE) return Fail("delete person");
  if (sqlite3_changes(db_) == 1) return StoreStatus::kOk;
  Person current;
  StoreStatus status = Get(id, &current);
  return status == StoreStatus::kOk ? StoreStatus::kVersionMismatch : status;
}

StoreStatus Store::List(const ListQuery& query, ListResult* out) {
  const std::string where =
      " WHERE (? = '' OR first_name LIKE ? ESCAPE '\\' OR last_name LIKE ? ESCAPE '\\')";
  const std::string pattern = ContainsPattern(query.name);

  Statement count(db_, "SELECT COUNT(*) FROM people" + where);
  if (!count.ok()) return Fail("count people");
  count.Bind(1, query.name);
  count.Bind(2, pattern);
  count.Bind(3, pattern);
  if (count.Step() != SQLITE_ROW) return Fail("count people");
  out->total = sqlite3_column_int64(count.get(), 0);

  Statement select(db_, std::string("SELECT ") + kColumns + " FROM people" + where +
                            " ORDER BY id LIMIT ? OFFSET ?");
  if (!select.ok()) return Fail("list people");
  select.Bind(1, query.name);
  select.Bind(2, pattern);
  select.Bind(3, pattern);
  select.Bind(4, static_cast<std::int64_t>(query.limit));
  select.Bind(5, static_cast<std::int64_t>(query.offset));
  out->items.clear();
  int rc;
  while ((rc = select.Step()) == SQLITE_ROW) out->items.push_back(ReadPerson(select.get()));
  return rc == SQLITE_DONE ? StoreStatus::kOk : Fail("list people");
}

bool Store::Healthy() {
  Statement probe(db_, "SELECT COUNT(*) FROM people");
  if (!probe.ok() || probe.Step() != SQLITE_ROW) {
    Fail("health check");
    return false;
  }
  return true;
}

}  // namespace registry
