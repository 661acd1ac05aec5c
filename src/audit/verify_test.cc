#include "audit/verify.h"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <thread>

#include "audit/audit_test_util.h"
#include "audit/canonical.h"

namespace lockstep::audit {
namespace {

// A chain of ten records, then one copy damaged in one way per test.
class AuditVerifyTest : public AuditFixture {
 protected:
  void SetUp() override {
    std::unique_ptr<AuditLog> log = OpenLog();
    ASSERT_NE(log, nullptr);
    AppendRecords(*log, 10);
    lines_ = FileLines();
    ASSERT_EQ(lines_.size(), 10u);
  }

  // Record N's line with `from` (first occurrence) replaced by `to`.
  std::string Edited(int n, const std::string& from, const std::string& to) const {
    std::string line = lines_[n - 1];
    size_t at = line.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return line.replace(at, from.size(), to);
  }

  // The line a forger would write for `row`: its hash recomputed.
  static std::string Forged(store::AuditRow row) {
    row.hash = HashCanonical(CanonicalText(row));
    return FileLine(row);
  }

  std::vector<std::string> lines_;
};

TEST_F(AuditVerifyTest, AnIntactChainVerifies) {
  AuditVerifyReport report = Verify();
  EXPECT_FALSE(report.problem.has_value()) << report.problem->ToString();
  EXPECT_EQ(report.records, 10);
  EXPECT_EQ(report.file_records, 10);
  EXPECT_EQ(report.store_records, 10);
}

TEST(AuditVerifyEmptyTest, ADirectoryWithoutAChainVerifiesAsEmpty) {
  testing::TempDir dir;
  Result<AuditVerifyReport> report = VerifyAuditChain(dir.path());
  ASSERT_TRUE(report.has_value()) << report.error().message();
  EXPECT_TRUE(report->intact());
  EXPECT_EQ(report->records, 0);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "state.db"));
}

TEST_F(AuditVerifyTest, OneByteEditedInTheFileContent) {
  lines_[3] = Edited(4, R"("actor":"alice")", R"("actor":"alica")");
  WriteFileLines(lines_);
  EXPECT_EQ(Problem(), "audit.jsonl:4: record 4: content does not match its hash (edited)");
  EXPECT_EQ(Verify().records, 3);
}

TEST_F(AuditVerifyTest, OneByteEditedInTheFileHashField) {
  std::string& line = lines_[3];
  char& digit = line[line.size() - 4];  // in `"hash":"…"}\n`
  digit = digit == 'a' ? 'b' : 'a';
  WriteFileLines(lines_);
  EXPECT_EQ(Problem(), "audit.jsonl:4: record 4: content does not match its hash (edited)");
}

TEST_F(AuditVerifyTest, EveryOneByteEditOfALineIsFound) {
  const std::string original = lines_[4];
  for (size_t i = 0; i + 1 < original.size(); ++i) {  // every byte but the "\n"
    std::vector<std::string> lines = lines_;
    lines[4][i] = original[i] == 'a' ? 'b' : 'a';
    WriteFileLines(lines);
    AuditVerifyReport report = Verify();
    ASSERT_TRUE(report.problem.has_value()) << "byte " << i << " edited, not found";
    EXPECT_EQ(report.problem->source, AuditProblem::Source::kFile) << i;
    EXPECT_EQ(report.problem->line, 5) << i << ": " << report.problem->ToString();
    EXPECT_EQ(report.records, 4) << i;
  }
}

TEST_F(AuditVerifyTest, EveryColumnEditedByOneByteInTheStoreIsFound) {
  const std::vector<std::pair<std::string, std::string>> edits = {
      {"actor", "UPDATE audit_records SET actor = 'alicf' WHERE seq = 6"},
      {"action", "UPDATE audit_records SET action = 'test.7' WHERE seq = 6"},
      {"subject", "UPDATE audit_records SET subject = 'item-7' WHERE seq = 6"},
      {"details", R"(UPDATE audit_records SET details = '{"n":7}' WHERE seq = 6)"},
      {"time_ms", "UPDATE audit_records SET time_ms = time_ms + 1 WHERE seq = 6"},
      {"prev_hash",
       "UPDATE audit_records SET prev_hash = substr(prev_hash, 1, 63) || "
       "(CASE WHEN substr(prev_hash, 64) = 'a' THEN 'b' ELSE 'a' END) WHERE seq = 6"},
      {"hash",
       "UPDATE audit_records SET hash = (CASE WHEN substr(hash, 1, 1) = 'a' THEN 'b' ELSE 'a' "
       "END) || substr(hash, 2) WHERE seq = 6"},
  };
  for (const auto& [column, sql] : edits) {
    // Each edit on a fresh copy of the chain.
    std::filesystem::copy_file(state_ / "state.db", dir_.path() / "saved.db",
                               std::filesystem::copy_options::overwrite_existing);
    Tamper(sql);
    EXPECT_EQ(Problem(), "state.db: record 6: content does not match its hash (edited)") << column;
    std::filesystem::copy_file(dir_.path() / "saved.db", state_ / "state.db",
                               std::filesystem::copy_options::overwrite_existing);
    ASSERT_EQ(Problem(), "intact") << column;
  }
}

TEST_F(AuditVerifyTest, ARecordRemovedFromTheFile) {
  lines_.erase(lines_.begin() + 3);
  WriteFileLines(lines_);
  EXPECT_EQ(Problem(),
            "audit.jsonl:4: record 5: follows record 3: record 4 is missing (removed or moved)");
}

TEST_F(AuditVerifyTest, ARecordRemovedFromTheStore) {
  Tamper("DELETE FROM audit_records WHERE seq = 4");
  EXPECT_EQ(Problem(),
            "state.db: record 5: follows record 3: record 4 is missing (removed or moved)");
}

TEST_F(AuditVerifyTest, TheFirstRecordRemovedFromTheFile) {
  lines_.erase(lines_.begin());
  WriteFileLines(lines_);
  EXPECT_EQ(Problem(),
            "audit.jsonl:1: record 2: the chain starts here: record 1 is missing (removed)");
}

TEST_F(AuditVerifyTest, TwoRecordsSwappedInTheFile) {
  std::swap(lines_[3], lines_[4]);
  WriteFileLines(lines_);
  EXPECT_EQ(Problem(),
            "audit.jsonl:4: record 5: follows record 3: record 4 is missing (removed or moved)");
}

TEST_F(AuditVerifyTest, TwoRecordsSwappedInTheStore) {
  // Every column but seq exchanged between rows 4 and 5.
  Tamper(
      "CREATE TEMP TABLE saved AS SELECT * FROM audit_records WHERE seq IN (4, 5);"
      "UPDATE audit_records SET (time_ms, actor, action, subject, details, prev_hash, hash) = "
      "(SELECT time_ms, actor, action, subject, details, prev_hash, hash FROM saved "
      " WHERE saved.seq = 9 - audit_records.seq) WHERE seq IN (4, 5);");
  EXPECT_EQ(Problem(), "state.db: record 4: content does not match its hash (edited)");
}

TEST_F(AuditVerifyTest, ARecordRenumberedAndRehashedInTheFileBreaksTheNextLink) {
  // Record 4 removed and the rest renumbered, with every hash recomputed except that the
  // forger kept record 5's prev: the link is what gives it away.
  Result<std::unique_ptr<store::AuditStore>> store =
      store::OpenSqliteAuditStore(state_ / "state.db");
  ASSERT_TRUE(store.has_value());
  Result<std::vector<store::AuditRow>> rows = (*store)->ListAuditRows({.limit = 100});
  ASSERT_TRUE(rows.has_value());
  store::AuditRow fifth = (*rows)[4];
  fifth.seq = 4;
  lines_.erase(lines_.begin() + 3);
  lines_[3] = Forged(fifth);
  WriteFileLines(lines_);
  EXPECT_EQ(Problem(),
            "audit.jsonl:4: record 4: prev does not match the hash of record 3 (a record was "
            "removed, inserted or reordered)");
}

TEST_F(AuditVerifyTest, AConsistentRewriteOfOneCopyDiffersFromTheOther) {
  // A forger who rewrites the file from record 8 on with valid hashes and links.
  Result<std::unique_ptr<store::AuditStore>> store =
      store::OpenSqliteAuditStore(state_ / "state.db");
  ASSERT_TRUE(store.has_value());
  Result<std::vector<store::AuditRow>> rows = (*store)->ListAuditRows({.limit = 100});
  ASSERT_TRUE(rows.has_value());
  std::string prev = (*rows)[6].hash;
  for (int n = 8; n <= 10; ++n) {
    store::AuditRow row = (*rows)[n - 1];
    row.actor = "mallory";
    row.prev_hash = prev;
    lines_[n - 1] = Forged(row);
    prev = HashCanonical(CanonicalText(row));
  }
  WriteFileLines(lines_);
  AuditVerifyReport report = Verify();
  ASSERT_TRUE(report.problem.has_value());
  EXPECT_EQ(report.problem->ToString(),
            fmt::format("audit.jsonl:8: record 8: differs from state.db's record 8: hash {} "
                        "there, {} here (one copy was rewritten)",
                        (*rows)[7].hash.substr(0, 12),
                        ParseLine(lines_[7].substr(0, lines_[7].size() - 1))->hash.substr(0, 12)));
  EXPECT_EQ(report.records, 7);
}

TEST_F(AuditVerifyTest, RecordsMissingAtTheEndOfTheFile) {
  lines_.resize(8);
  WriteFileLines(lines_);
  EXPECT_EQ(Problem(),
            "audit.jsonl:9: record 9: missing at the end of the file (state.db holds records up "
            "to 10; the next append writes them)");
}

TEST_F(AuditVerifyTest, ARecordExtraInTheFile) {
  Result<std::unique_ptr<store::AuditStore>> store =
      store::OpenSqliteAuditStore(state_ / "state.db");
  ASSERT_TRUE(store.has_value());
  Result<std::optional<store::AuditRow>> last = (*store)->LastAuditRow();
  ASSERT_TRUE(last.has_value() && last->has_value());
  store::AuditRow extra = **last;
  extra.seq = 11;
  extra.prev_hash = extra.hash;
  lines_.push_back(Forged(extra));
  WriteFileLines(lines_);
  EXPECT_EQ(Problem(),
            "audit.jsonl:11: record 11: not in state.db, which ends at record 10 (extra in the "
            "file)");
}

TEST_F(AuditVerifyTest, AnUnparsableLineIsNamedByItsNumber) {
  lines_[5] = "hello\n";
  WriteFileLines(lines_);
  EXPECT_EQ(Problem(), R"(audit.jsonl:6: not an audit record: it does not start with {"seq":)");
  lines_[5] = "\n";
  WriteFileLines(lines_);
  EXPECT_EQ(Problem(), R"(audit.jsonl:6: not an audit record: it does not start with {"seq":)");
}

TEST_F(AuditVerifyTest, AFileWithoutAStoreHasOnlyExtraRecords) {
  std::filesystem::remove(state_ / "state.db");
  std::filesystem::remove(state_ / "state.db-wal");
  std::filesystem::remove(state_ / "state.db-shm");
  EXPECT_EQ(Problem(),
            "audit.jsonl:1: record 1: not in state.db, which holds no audit records (extra in the "
            "file)");
  EXPECT_FALSE(std::filesystem::exists(state_ / "state.db"));
}

TEST_F(AuditVerifyTest, RecordsAppendedWhileVerifyingAreNotMistakenForDamage) {
  std::unique_ptr<AuditLog> log = OpenLog();
  ASSERT_NE(log, nullptr);
  std::atomic<bool> done = false;
  std::thread appender([&] {
    for (int i = 0; i < 300; ++i) {
      EXPECT_TRUE(log->Append(AuditRecord{.actor = "b", .action = "concurrent"}).has_value());
    }
    done = true;
  });
  int verified = 0;
  while (!done || verified == 0) {
    AuditVerifyReport report = Verify();
    ASSERT_FALSE(report.problem.has_value()) << report.problem->ToString();
    ++verified;
  }
  appender.join();
  EXPECT_EQ(Verify().records, 310);
}

}  // namespace
}  // namespace lockstep::audit
