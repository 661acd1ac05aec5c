#include "store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "temp_dir.h"

namespace registry {
namespace {

PersonFields Ada() {
  return {"Ada", "Lovelace", "ada@example.org", "1815-12-10", "12 St James's Square, London"};
}

class StoreTest : public ::testing::Test {
 protected:
  std::string DbPath() const { return (dir_.path() / "people.db").string(); }
  Store OpenStore() {
    std::string error;
    std::optional<Store> store = Store::Open(DbPath(), &error);
    EXPECT_TRUE(store) << error;
    return std::move(*store);
  }
  testing::TempDir dir_;
};

TEST_F(StoreTest, CreateThenGetReturnsTheSameFieldsAtVersionOne) {
  Store store = OpenStore();
  Person created;
  ASSERT_EQ(store.Create(Ada(), "2026-01-02T03:04:05Z", &created), StoreStatus::kOk);
  EXPECT_GT(created.id, 0);
  EXPECT_EQ(created.version, 1);
  Person read;
  ASSERT_EQ(store.Get(created.id, &read), StoreStatus::kOk);
  EXPECT_EQ(read.fields.email, "ada@example.org");
  EXPECT_EQ(read.fields.date_of_birth, "1815-12-10");
  EXPECT_EQ(read.created_at, "2026-01-02T03:04:05Z");
  EXPECT_EQ(read.updated_at, "2026-01-02T03:04:05Z");
}

TEST_F(StoreTest, OpensInWalMode) {
  Store store = OpenStore();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(DbPath().c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_F(StoreTest, DuplicateEmailIgnoringCaseIsRefused) {
  Store store = OpenStore();
  Person person;
  ASSERT_EQ(store.Create(Ada(), "t", &person), StoreStatus::kOk);
  PersonFields other = Ada();
  other.email = "ADA@example.org";
  EXPECT_EQ(store.Create(other, "t", &person), StoreStatus::kDuplicateEmail);
}

TEST_F(StoreTest, UpdateWithStaleVersionWritesNothing) {
  Store store = OpenStore();
  Person person;
  ASSERT_EQ(store.Create(Ada(), "t0", &person), StoreStatus::kOk);
  PersonFields changed = Ada();
  changed.first_name = "Augusta";
  Person updated;
  ASSERT_EQ(store.Update(person.id, changed, 1, "t1", &updated), StoreStatus::kOk);
  EXPECT_EQ(updated.version, 2);
  EXPECT_EQ(updated.updated_at, "t1");
  EXPECT_EQ(updated.created_at, "t0");

  changed.first_name = "Lost";
  EXPECT_EQ(store.Update(person.id, changed, 1, "t2", &updated), StoreStatus::kVersionMismatch);
  Person read;
  ASSERT_EQ(store.Get(person.id, &read), StoreStatus::kOk);
  EXPECT_EQ(read.fields.first_name, "Augusta");
  EXPECT_EQ(read.version, 2);
  EXPECT_EQ(store.Delete(person.id, 1), StoreStatus::kVersionMismatch);
  EXPECT_EQ(store.Update(999, changed, std::nullopt, "t", &updated), StoreStatus::kNotFound);
  EXPECT_EQ(store.Delete(999, std::nullopt), StoreStatus::kNotFound);
}

TEST_F(StoreTest, DataSurvivesReopeningTheFile) {
  std::int64_t id = 0;
  {
    Store store = OpenStore();
    Person person;
    ASSERT_EQ(store.Create(Ada(), "t", &person), StoreStatus::kOk);
    id = person.id;
  }
  Store reopened = OpenStore();
  Person read;
  ASSERT_EQ(reopened.Get(id, &read), StoreStatus::kOk);
  EXPECT_EQ(read.fields.last_name, "Lovelace");
  // Ids are not reused after a delete and a reopen.
  ASSERT_EQ(reopened.Delete(id, std::nullopt), StoreStatus::kOk);
  Person again;
  ASSERT_EQ(reopened.Create(Ada(), "t", &again), StoreStatus::kOk);
  EXPECT_GT(again.id, id);
}

TEST_F(StoreTest, ListFiltersByNameLiterally) {
  Store store = OpenStore();
  Person person;
  PersonFields fields = Ada();
  ASSERT_EQ(store.Create(fields, "t", &person), StoreStatus::kOk);
  fields = {"Grace", "Hopper", "grace@example.org", std::nullopt, std::nullopt};
  ASSERT_EQ(store.Create(fields, "t", &person), StoreStatus::kOk);
  fields = {"100%", "Sure", "sure@example.org", std::nullopt, std::nullopt};
  ASSERT_EQ(store.Create(fields, "t", &person), StoreStatus::kOk);

  ListResult result;
  ASSERT_EQ(store.List({.limit = 10, .offset = 0, .name = "hop"}, &result), StoreStatus::kOk);
  ASSERT_EQ(result.total, 1);
  EXPECT_EQ(result.items[0].fields.first_name, "Grace");
  // '%' is a character to match, not a wildcard.
  ASSERT_EQ(store.List({.limit = 10, .offset = 0, .name = "0%"}, &result), StoreStatus::kOk);
  ASSERT_EQ(result.total, 1);
  EXPECT_EQ(result.items[0].fields.last_name, "Sure");
}

TEST_F(StoreTest, HealthyFailsWhenTheTableIsGone) {
  Store store = OpenStore();
  EXPECT_TRUE(store.Healthy());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(DbPath().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DROP TABLE people", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  EXPECT_FALSE(store.Healthy());
  EXPECT_NE(store.LastError().find("no such table"), std::string::npos) << store.LastError();
}

TEST(StoreOpenTest, UnwritableDirectoryIsReportedWithThePath) {
  std::string error;
  std::optional<Store> store = Store::Open("/nonexistent-dir/people.db", &error);
  EXPECT_FALSE(store);
  EXPECT_NE(error.find("/nonexistent-dir/people.db"), std::string::npos) << error;
}

}  // namespace
}  // namespace registry
