#include "audit/audit_log.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "audit/audit_test_util.h"
#include "audit/canonical.h"

namespace lockstep::audit {
namespace {

class AuditLogTest : public AuditFixture {
 protected:
  std::vector<AuditEntry> ReadAll(AuditLog& log) {
    Result<std::vector<AuditEntry>> entries = log.Read(AuditQuery{.limit = 1'000'000});
    EXPECT_TRUE(entries.has_value()) << entries.error().message();
    return entries.value_or(std::vector<AuditEntry>{});
  }

  static std::vector<int64_t> Seqs(const std::vector<AuditEntry>& entries) {
    std::vector<int64_t> seqs;
    for (const AuditEntry& entry : entries) seqs.push_back(entry.seq);
    return seqs;
  }
};

TEST_F(AuditLogTest, AppendChainsRecordsAndWritesEachToTheFile) {
  std::unique_ptr<AuditLog> log = OpenLog();
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->file_path(), file_);
  Result<AuditEntry> first = log->Append(AuditRecord{.actor = "alice",
                                                     .action = "rollout.started",
                                                     .subject = "rollout 7",
                                                     .details = {{"n", 2}, {"commit", "abc"}}});
  ASSERT_TRUE(first.has_value()) << first.error().message();
  EXPECT_EQ(first->seq, 1);
  EXPECT_EQ(first->time, kStart);
  EXPECT_EQ(first->prev_hash, kGenesisHash);
  // The record of canonical_test.cc, so the same hash.
  EXPECT_EQ(first->hash, "65fe45add5005a37f39b5736e8383d48f59b14dfc70378e10ef84c971a6c0208");

  now_ += 250;
  Result<AuditEntry> second = log->Append(
      AuditRecord{.actor = "lockstep", .action = "rollout.finished", .subject = "rollout 7"});
  ASSERT_TRUE(second.has_value()) << second.error().message();
  EXPECT_EQ(second->seq, 2);
  EXPECT_EQ(second->time, kStart + 250);
  EXPECT_EQ(second->prev_hash, first->hash);
  EXPECT_EQ(second->details, nlohmann::json::object());

  store::AuditRow row{.seq = 2,
                      .time = kStart + 250,
                      .actor = "lockstep",
                      .action = "rollout.finished",
                      .subject = "rollout 7",
                      .details = "{}",
                      .prev_hash = first->hash,
                      .hash = {}};
  EXPECT_EQ(second->hash, HashCanonical(CanonicalText(row)));
  row.hash = second->hash;
  std::vector<std::string> lines = FileLines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(lines[0].starts_with(R"({"seq":1,"time":"2026-12-05T01:02:03.456Z","actor":"alice")"))
      << lines[0];
  EXPECT_EQ(lines[1], FileLine(row));

  std::vector<AuditEntry> read = ReadAll(*log);
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].details, (nlohmann::json{{"commit", "abc"}, {"n", 2}}));
  EXPECT_EQ(read[1].hash, second->hash);
  EXPECT_EQ(Problem(), "intact");
  EXPECT_EQ(Verify().records, 2);
}

TEST_F(AuditLogTest, TimeNeverGoesBackAlongTheChain) {
  std::unique_ptr<AuditLog> log = OpenLog();
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->Append(AuditRecord{.actor = "a", .action = "x"}).has_value());
  now_ -= 60'000;  // the clock was set back
  Result<AuditEntry> later = log->Append(AuditRecord{.actor = "a", .action = "y"});
  ASSERT_TRUE(later.has_value()) << later.error().message();
  EXPECT_EQ(later->time, kStart);
}

TEST_F(AuditLogTest, RefusesABadRecordAndRecordsNothing) {
  std::unique_ptr<AuditLog> log = OpenLog();
  ASSERT_NE(log, nullptr);
  auto refusal = [&](const AuditRecord& record) {
    Result<AuditEntry> entry = log->Append(record);
    if (entry) return std::string("appended");
    EXPECT_EQ(entry.error().code(), ErrorCode::kInvalidArgument);
    return entry.error().message();
  };
  EXPECT_EQ(refusal({.actor = "", .action = "x"}), "an audit record needs actor");
  EXPECT_EQ(refusal({.actor = "a", .action = ""}), "an audit record needs action");
  EXPECT_EQ(refusal({.actor = "a", .action = "x", .subject = "\xc3("}),
            "the audit record's subject is not UTF-8");
  EXPECT_EQ(refusal({.actor = "a", .action = "x", .details = "text"}),
            "audit details must be a JSON object, not string");
  EXPECT_EQ(refusal({.actor = "a", .action = "x", .details = {{"big", std::string(70'000, 'x')}}}),
            "the audit record is longer than 65536 bytes");
  EXPECT_TRUE(ReadAll(*log).empty());
  EXPECT_EQ(FileText(), "");
}

TEST_F(AuditLogTest, ReadSelectsBySeqAndTimeFirstOrLatest) {
  std::unique_ptr<AuditLog> log = OpenLog();
  ASSERT_NE(log, nullptr);
  AppendRecords(*log, 10);  // record N at kStart + (N-1) s
  auto seqs = [&](const AuditQuery& query) {
    Result<std::vector<AuditEntry>> entries = log->Read(query);
    EXPECT_TRUE(entries.has_value()) << entries.error().message();
    return Seqs(entries.value_or(std::vector<AuditEntry>{}));
  };
  EXPECT_EQ(seqs({.after_seq = 7}), (std::vector<int64_t>{8, 9, 10}));
  EXPECT_EQ(seqs({.after_seq = 2, .limit = 3}), (std::vector<int64_t>{3, 4, 5}));
  EXPECT_EQ(seqs({.limit = 3, .latest = true}), (std::vector<int64_t>{8, 9, 10}));
  EXPECT_EQ(seqs({.since = kStart + 5000, .limit = 2}), (std::vector<int64_t>{6, 7}));
  EXPECT_EQ(seqs({.since = kStart + 5000, .limit = 2, .latest = true}),
            (std::vector<int64_t>{9, 10}));
  EXPECT_EQ(seqs({.since = kStart + 60'000}), (std::vector<int64_t>{}));
}

TEST_F(AuditLogTest, TwoLogsOfOneDirectoryInOneProcessMakeOneChain) {
  std::unique_ptr<AuditLog> first = OpenLog();
  std::unique_ptr<AuditLog> second = OpenLog();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  constexpr int kEach = 150;
  auto append = [](AuditLog* log, std::string actor) {
    for (int i = 0; i < kEach; ++i) {
      Result<AuditEntry> entry =
          log->Append(AuditRecord{.actor = actor, .action = "test", .subject = std::to_string(i)});
      EXPECT_TRUE(entry.has_value()) << entry.error().message();
    }
  };
  // Two threads on the first object, one on the second.
  std::thread a(append, first.get(), "a");
  std::thread b(append, first.get(), "b");
  std::thread c(append, second.get(), "c");
  a.join();
  b.join();
  c.join();
  std::vector<AuditEntry> entries = ReadAll(*second);
  ASSERT_EQ(entries.size(), 3u * kEach);
  for (size_t i = 0; i < entries.size(); ++i) EXPECT_EQ(entries[i].seq, int64_t(i) + 1);
  EXPECT_EQ(FileLines().size(), 3u * kEach);
  EXPECT_EQ(Problem(), "intact");
}

TEST_F(AuditLogTest, SeveralProcessesAppendingAtOnceMakeOneChainWithoutGaps) {
  constexpr int kProcesses = 3;
  constexpr int kEach = 100;
  ASSERT_NE(OpenLog(), nullptr);  // creates the store, so the children do not race to
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // The child opens its own log (its own SQLite connection and its own open file), after
      // the fork, and starts when the parent closes the pipe.
      ::close(go[1]);
      char byte;
      (void)::read(go[0], &byte, 1);
      Result<std::unique_ptr<AuditLog>> log = AuditLog::Open(state_);
      int failed = log ? 0 : 1;
      for (int i = 0; log && i < kEach; ++i) {
        failed += (*log)->Append(AuditRecord{.actor = "process-" + std::to_string(p),
                                             .action = "test",
                                             .subject = std::to_string(i)})
                      ? 0
                      : 1;
      }
      ::_exit(failed == 0 ? 0 : 1);
    }
    children.push_back(pid);
  }
  ::close(go[0]);
  ::close(go[1]);  // go
  for (pid_t child : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }

  std::unique_ptr<AuditLog> log = OpenLog();
  ASSERT_NE(log, nullptr);
  std::vector<AuditEntry> entries = ReadAll(*log);
  ASSERT_EQ(entries.size(), size_t{kProcesses * kEach});
  std::map<std::string, std::set<std::string>> subjects;
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(entries[i].seq, int64_t(i) + 1);
    subjects[entries[i].actor].insert(entries[i].subject);
  }
  for (int p = 0; p < kProcesses; ++p) {
    EXPECT_EQ(subjects["process-" + std::to_string(p)].size(), size_t{kEach});
  }
  EXPECT_EQ(FileLines().size(), size_t{kProcesses * kEach});
  EXPECT_EQ(Problem(), "intact");
}

TEST_F(AuditLogTest, OpenCatchesUpAFileThatLacksTheLastRecords) {
  {
    std::unique_ptr<AuditLog> log = OpenLog();
    ASSERT_NE(log, nullptr);
    AppendRecords(*log, 5);
  }
  // As if the process died after committing records 4 and 5 to the store but before writing
  // their lines.
  std::vector<std::string> lines = FileLines();
  ASSERT_EQ(lines.size(), 5u);
  WriteFileLines({lines[0], lines[1], lines[2]});
  EXPECT_EQ(Problem(),
            "audit.jsonl:4: record 4: missing at the end of the file (state.db holds records up "
            "to 5; the next append writes them)");

  std::unique_ptr<AuditLog> log = OpenLog();
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(FileLines(), lines);
  EXPECT_EQ(Problem(), "intact");
  AppendRecords(*log, 1);
  EXPECT_EQ(Verify().records, 6);
}

TEST_F(AuditLogTest, AppendCatchesUpRecordsAnotherProcessLeftOut) {
  std::unique_ptr<AuditLog> log = OpenLog();
  ASSERT_NE(log, nullptr);
  AppendRecords(*log, 4);
  std::vector<std::string> lines = FileLines();
  WriteFileLines({lines[0], lines[1]});  // another appender died before writing 3 and 4
  AppendRecords(*log, 1);
  std::vector<std::string> now = FileLines();
  ASSERT_EQ(now.size(), 5u);
  EXPECT_EQ(now[2], lines[2]);
  EXPECT_EQ(now[3], lines[3]);
  EXPECT_TRUE(now[4].starts_with(R"({"seq":5,)"));
  EXPECT_EQ(Problem(), "intact");
}

TEST_F(AuditLogTest, DropsTheStartOfALineCutShortByACrash) {
  {
    std::unique_ptr<AuditLog> log = OpenLog();
    ASSERT_NE(log, nullptr);
    AppendRecords(*log, 3);
  }
  std::string whole = FileText();
  WriteFileText(whole.substr(0, whole.size() - 40));  // the last line's end is lost
  EXPECT_EQ(Problem(), "audit.jsonl:3: the last line is incomplete (no newline at its end)");
  std::unique_ptr<AuditLog> log = OpenLog();
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(FileText(), whole);
  EXPECT_EQ(Problem(), "intact");
}

TEST_F(AuditLogTest, LeavesAForeignEndOfTheFileAloneButKeepsRecording) {
  std::unique_ptr<AuditLog> log = OpenLog();
  ASSERT_NE(log, nullptr);
  AppendRecords(*log, 2);
  std::string text = FileText() + "not a record";
  WriteFileText(text);
  Result<void> caught = log->CatchUpFile();
  ASSERT_FALSE(caught.has_value());
  EXPECT_EQ(caught.error().code(), ErrorCode::kCorruption);
  EXPECT_EQ(caught.error().message(),
            file_.string() +
                " ends with an incomplete line that is not the start of audit "
                "record 3");
  // The record is durable in the store; the file is not touched.
  Result<AuditEntry> entry = log->Append(AuditRecord{.actor = "a", .action = "x"});
  ASSERT_TRUE(entry.has_value()) << entry.error().message();
  EXPECT_EQ(entry->seq, 3);
  EXPECT_EQ(FileText(), text);
  EXPECT_EQ(Problem(), "audit.jsonl:3: the last line is incomplete (no newline at its end)");
}

TEST_F(AuditLogTest, WritesAMissingFileAgainFromTheStore) {
  {
    std::unique_ptr<AuditLog> log = OpenLog();
    ASSERT_NE(log, nullptr);
    AppendRecords(*log, 3);
  }
  std::string whole = FileText();
  std::filesystem::remove(file_);
  EXPECT_EQ(Problem(),
            "audit.jsonl:1: record 1: missing: there is no audit.jsonl (state.db holds records "
            "up to 3)");
  ASSERT_NE(OpenLog(), nullptr);
  EXPECT_EQ(FileText(), whole);
  EXPECT_EQ(Problem(), "intact");
}

TEST_F(AuditLogTest, StoreRefusesToUpdateOrDeleteRecords) {
  std::unique_ptr<AuditLog> log = OpenLog();
  ASSERT_NE(log, nullptr);
  AppendRecords(*log, 1);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((state_ / "state.db").c_str(), &db), SQLITE_OK);
  for (const char* sql :
       {"UPDATE audit_records SET actor = 'mallory'", "DELETE FROM audit_records WHERE seq = 1"}) {
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &error), SQLITE_CONSTRAINT) << sql;
    EXPECT_STREQ(error, "audit records are append-only");
    sqlite3_free(error);
  }
  sqlite3_close(db);
  EXPECT_EQ(Problem(), "intact");
}

}  // namespace
}  // namespace lockstep::audit
