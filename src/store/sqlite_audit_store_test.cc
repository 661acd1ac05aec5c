#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/audit_store.h"
#include "temp_dir.h"

namespace lockstep::store {
namespace {

class SqliteAuditStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<AuditStore>> store = OpenSqliteAuditStore(dir_.path() / "state.db");
    ASSERT_TRUE(store.has_value()) << store.error().message();
    store_ = std::move(*store);
  }

  // Appends the row after `last`, with text fields derived from its seq.
  Result<AuditRow> AppendNext(TimeMs time) {
    return store_->AppendAuditRow([&](const std::optional<AuditRow>& last) -> Result<AuditRow> {
      int64_t seq = last ? last->seq + 1 : 1;
      return AuditRow{.seq = seq,
                      .time = time,
                      .actor = "actor",
                      .action = "action",
                      .subject = "subject " + std::to_string(seq),
                      .details = "{}",
                      .prev_hash = last ? last->hash : "genesis",
                      .hash = "hash " + std::to_string(seq)};
    });
  }

  std::vector<int64_t> Seqs(const AuditRowQuery& query) {
    Result<std::vector<AuditRow>> rows = store_->ListAuditRows(query);
    EXPECT_TRUE(rows.has_value()) << rows.error().message();
    std::vector<int64_t> seqs;
    for (const AuditRow& row : rows.value_or(std::vector<AuditRow>{})) seqs.push_back(row.seq);
    return seqs;
  }

  testing::TempDir dir_;
  std::unique_ptr<AuditStore> store_;
};

TEST_F(SqliteAuditStoreTest, AppendPassesTheLastRowAndStoresTheNext) {
  Result<std::optional<AuditRow>> empty = store_->LastAuditRow();
  ASSERT_TRUE(empty.has_value());
  EXPECT_FALSE(empty->has_value());
  ASSERT_TRUE(AppendNext(10).has_value());
  Result<AuditRow> second = AppendNext(20);
  ASSERT_TRUE(second.has_value()) << second.error().message();
  EXPECT_EQ(second->seq, 2);
  EXPECT_EQ(second->prev_hash, "hash 1");
  Result<std::optional<AuditRow>> last = store_->LastAuditRow();
  ASSERT_TRUE(last.has_value() && last->has_value());
  EXPECT_EQ(**last, *second);
}

TEST_F(SqliteAuditStoreTest, AppendRefusesARowThatDoesNotFollowTheLast) {
  ASSERT_TRUE(AppendNext(10).has_value());
  Result<AuditRow> skipped = store_->AppendAuditRow(
      [](const std::optional<AuditRow>&) -> Result<AuditRow> { return AuditRow{.seq = 3}; });
  ASSERT_FALSE(skipped.has_value());
  EXPECT_EQ(skipped.error().code(), ErrorCode::kInternal);
  EXPECT_EQ(skipped.error().message(),
            "state store: cannot append an audit record: record 3 does not follow record 1");
  EXPECT_EQ(Seqs({}), (std::vector<int64_t>{1}));
}

TEST_F(SqliteAuditStoreTest, ABuilderFailureIsReturnedAsItIsAndNothingIsWritten) {
  Result<AuditRow> refused =
      store_->AppendAuditRow([](const std::optional<AuditRow>&) -> Result<AuditRow> {
        return Fail(ErrorCode::kInvalidArgument, "too long");
      });
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(refused.error().message(), "too long");
  EXPECT_EQ(Seqs({}), (std::vector<int64_t>{}));
}

TEST_F(SqliteAuditStoreTest, ListSelectsBySeqAndTime) {
  for (TimeMs time : {10, 20, 20, 30, 40}) ASSERT_TRUE(AppendNext(time).has_value());
  EXPECT_EQ(Seqs({.after_seq = 3}), (std::vector<int64_t>{4, 5}));
  EXPECT_EQ(Seqs({.since = 20}), (std::vector<int64_t>{2, 3, 4, 5}));
  EXPECT_EQ(Seqs({.since = 20, .limit = 2}), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(Seqs({.since = 20, .limit = 2, .latest = true}), (std::vector<int64_t>{4, 5}));
}

TEST_F(SqliteAuditStoreTest, ScanVisitsARangeInOrderUntilTold) {
  for (TimeMs time : {10, 20, 30, 40, 50}) ASSERT_TRUE(AppendNext(time).has_value());
  std::vector<std::string> seen;
  Result<void> scanned = store_->ScanAuditRows(2, 4, [&](const AuditRow& row) {
    seen.push_back(row.subject);
    return true;
  });
  ASSERT_TRUE(scanned.has_value()) << scanned.error().message();
  EXPECT_EQ(seen, (std::vector<std::string>{"subject 2", "subject 3", "subject 4"}));

  seen.clear();
  scanned = store_->ScanAuditRows(1, 5, [&](const AuditRow& row) {
    seen.push_back(row.subject);
    return row.seq < 2;
  });
  ASSERT_TRUE(scanned.has_value());
  EXPECT_EQ(seen, (std::vector<std::string>{"subject 1", "subject 2"}));
}

}  // namespace
}  // namespace lockstep::store
