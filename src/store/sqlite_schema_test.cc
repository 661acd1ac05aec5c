#include "store/sqlite_schema.h"

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include "base/file.h"
#include "store/sqlite_store.h"
#include "temp_dir.h"

namespace lockstep::store {
namespace {

class SqliteSchemaTest : public ::testing::Test {
 protected:
  SqliteDatabase Connect() {
    Result<SqliteDatabase> db = SqliteDatabase::Open(path_);
    EXPECT_TRUE(db.has_value()) << db.error().message();
    return db ? std::move(*db) : SqliteDatabase();
  }

  int64_t QueryInt(const std::string& sql) {
    SqliteDatabase db = Connect();
    Result<int64_t> value = db.QueryInt(sql);
    EXPECT_TRUE(value.has_value()) << value.error().message();
    return value.value_or(-1);
  }

  std::string JournalMode() {
    SqliteDatabase db = Connect();
    Result<SqliteStatement> query = db.Query("PRAGMA journal_mode");
    if (!query || !query->Step().value_or(false)) return "?";
    return query->Text(0);
  }

  std::vector<std::string> Tables() {
    SqliteDatabase db = Connect();
    Result<SqliteStatement> query =
        db.Query("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
    std::vector<std::string> names;
    while (query && query->Step().value_or(false)) names.push_back(query->Text(0));
    return names;
  }

  Result<void> Prepare(std::span<const std::string_view> migrations) {
    SqliteDatabase db = Connect();
    return PrepareStore(db, path_, migrations);
  }

  testing::TempDir dir_;
  std::filesystem::path path_ = dir_.path() / "state.db";
};

TEST_F(SqliteSchemaTest, NewStoreGetsCurrentSchema) {
  ASSERT_TRUE(OpenSqliteStore(path_).has_value());
  EXPECT_EQ(SqliteSchemaVersion(), 4);
  EXPECT_EQ(QueryInt("PRAGMA user_version"), SqliteSchemaVersion());
  EXPECT_EQ(QueryInt("PRAGMA application_id"), kApplicationId);
  EXPECT_EQ(JournalMode(), "wal");
  EXPECT_EQ(Tables(), (std::vector<std::string>{
                          "actions", "artifacts", "attempts", "audit_records",
                          "deployment_candidates", "deployments", "handler_processes",
                          "last_good_commits", "releases", "rollout_steps", "rollouts", "runs",
                          "service_events", "services", "sqlite_sequence", "variables"}));
}

TEST_F(SqliteSchemaTest, AppliesOnlyTheMissingMigrations) {
  constexpr std::array<std::string_view, 2> kMigrations = {"CREATE TABLE one (x)",
                                                           "CREATE TABLE two (y)"};
  ASSERT_TRUE(Prepare(std::span(kMigrations).first(1)).has_value());
  EXPECT_EQ(QueryInt("PRAGMA user_version"), 1);
  // Running the first script again would fail: the table exists.
  Result<void> migrated = Prepare(kMigrations);
  ASSERT_TRUE(migrated.has_value()) << migrated.error().message();
  EXPECT_EQ(QueryInt("PRAGMA user_version"), 2);
  EXPECT_EQ(Tables(), (std::vector<std::string>{"one", "two"}));
  EXPECT_TRUE(Prepare(kMigrations).has_value());
}

TEST_F(SqliteSchemaTest, FailedMigrationLeavesThePreviousVersion) {
  constexpr std::array<std::string_view, 2> kMigrations = {
      "CREATE TABLE one (x)", "CREATE TABLE two (y); INSERT INTO missing VALUES (1)"};
  Result<void> migrated = Prepare(kMigrations);
  ASSERT_FALSE(migrated.has_value());
  EXPECT_EQ(migrated.error().code(), ErrorCode::kInternal);
  EXPECT_EQ(migrated.error().message(), "state store " + path_.string() +
                                            ": cannot migrate the schema to version 2: SQL "
                                            "logic error");
  EXPECT_EQ(QueryInt("PRAGMA user_version"), 1);
  EXPECT_EQ(Tables(), std::vector<std::string>{"one"});
}

TEST_F(SqliteSchemaTest, ProcessesOpeningANewStoreAtOnceAllSucceed) {
  // Each child opens the same new file; whichever creates the schema, none may see a half
  // made store (this once read as "another application's SQLite database").
  constexpr int kChildren = 6;
  for (int round = 0; round < 5; ++round) {
    std::filesystem::path path = dir_.path() / ("race-" + std::to_string(round) + ".db");
    std::vector<pid_t> children;
    for (int i = 0; i < kChildren; ++i) {
      pid_t pid = ::fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        auto store = OpenSqliteStore(path);
        if (!store) std::fprintf(stderr, "child: %s\n", store.error().message().c_str());
        _exit(store ? 0 : 1);
      }
      children.push_back(pid);
    }
    for (pid_t pid : children) {
      int status = 0;
      ASSERT_EQ(::waitpid(pid, &status, 0), pid);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "round " << round;
    }
  }
}

TEST_F(SqliteSchemaTest, RefusesStoreFromNewerLockstep) {
  ASSERT_TRUE(OpenSqliteStore(path_).has_value());
  {
    SqliteDatabase db = Connect();
    ASSERT_TRUE(db.ExecuteScript("PRAGMA user_version = 7").has_value());
  }
  Result<std::unique_ptr<Store>> store = OpenSqliteStore(path_);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store.error().message(),
            "state store " + path_.string() +
                fmt::format(" was written by a newer lockstep (schema 7, this build knows {})",
                            SqliteSchemaVersion()));
}

TEST_F(SqliteSchemaTest, RefusesFileThatIsNotSqlite) {
  const std::string text(2048, 'x');
  dir_.Write("state.db", text);
  Result<std::unique_ptr<Store>> store = OpenSqliteStore(path_);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code(), ErrorCode::kCorruption);
  EXPECT_EQ(store.error().message(), "state store " + path_.string() +
                                         " is not a lockstep state store: file is not a database");
  EXPECT_EQ(ReadFile(path_).value_or(""), text);  // untouched
}

TEST_F(SqliteSchemaTest, RefusesAnotherApplicationsSqliteDatabase) {
  {
    SqliteDatabase db = Connect();
    ASSERT_TRUE(db.ExecuteScript("CREATE TABLE notes (body TEXT)").has_value());
  }
  Result<std::unique_ptr<Store>> store = OpenSqliteStore(path_);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code(), ErrorCode::kCorruption);
  EXPECT_EQ(store.error().message(),
            "state store " + path_.string() +
                " is not a lockstep state store: it is another application's SQLite database");
  EXPECT_EQ(JournalMode(), "delete");  // not switched to WAL behind its back
  EXPECT_EQ(Tables(), std::vector<std::string>{"notes"});
}

TEST_F(SqliteSchemaTest, RefusesUnopenablePath) {
  Result<std::unique_ptr<Store>> store = OpenSqliteStore(dir_.path() / "missing" / "state.db");
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code(), ErrorCode::kIoError);
  EXPECT_EQ(store.error().message(), "state store " +
                                         (dir_.path() / "missing" / "state.db").string() +
                                         ": cannot open: unable to open database file");
}

}  // namespace
}  // namespace lockstep::store
