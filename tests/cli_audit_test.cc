// `lockstep audit verify` and `lockstep audit log` on chains the test writes through AuditLog,
// then damages as someone with write access to the state directory would; and the shell
// checks docs/audit.md gives, run as written.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "audit/audit_log.h"
#include "run_binary.h"
#include "store/store.h"
#include "temp_dir.h"

namespace lockstep {
namespace {

using testing::CommandOutput;

constexpr int64_t kStart = 1796432523456;  // 2026-12-05T01:02:03.456Z

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class CliAuditTest : public ::testing::Test {
 protected:
  // Appends `record` at `time` (milliseconds since the epoch).
  void Append(int64_t time, audit::AuditRecord record) {
    now_ = time;
    if (!log_) {
      audit::AuditLogOptions options;
      options.clock = [this] { return now_.load(); };
      Result<std::unique_ptr<audit::AuditLog>> log = audit::AuditLog::Open(state_, options);
      ASSERT_TRUE(log.has_value()) << log.error().message();
      log_ = std::move(*log);
    }
    Result<audit::AuditEntry> entry = log_->Append(record);
    ASSERT_TRUE(entry.has_value()) << entry.error().message();
  }

  void AppendThree() {
    Append(kStart, {.actor = "alice",
                    .action = "rollout.started",
                    .subject = "rollout 7",
                    .details = {{"environment", "local"}, {"commit", "abc1234"}}});
    Append(kStart + 61'000, {.actor = "lockstep",
                             .action = "deployment",
                             .subject = "api",
                             .details = {{"release", "r1"}, {"handler", "integrated"}}});
    Append(kStart + 3'600'000, {.actor = "bob",
                                .action = "approval",
                                .subject = "rollout 7",
                                .details = {{"note", "looks good to me"}}});
  }

  CommandOutput Lockstep(const std::vector<std::string>& arguments) {
    return testing::RunLockstep(arguments, dir_.path(), {"LOCKSTEP_HOME=" + state_.string()});
  }

  // Replaces the first `from` in audit.jsonl with `to`.
  void EditFile(const std::string& from, const std::string& to) {
    std::string text = ReadText(state_ / "audit.jsonl");
    size_t at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
    std::ofstream(state_ / "audit.jsonl", std::ios::binary | std::ios::trunc) << text;
  }

  // The ```sh block of docs/audit.md whose first line is `first_line`.
  static std::string DocumentedScript(const std::string& first_line) {
    std::string doc = ReadText(std::filesystem::path(LOCKSTEP_SOURCE_DIR) / "docs" / "audit.md");
    size_t start = doc.find("```sh\n" + first_line + "\n");
    EXPECT_NE(start, std::string::npos) << "docs/audit.md has no script starting " << first_line;
    if (start == std::string::npos) return "false";
    start += 6;
    return doc.substr(start, doc.find("```", start) - start);
  }

  testing::TempDir dir_;
  std::filesystem::path state_ = dir_.path() / "state";
  std::atomic<int64_t> now_ = kStart;
  std::unique_ptr<audit::AuditLog> log_;
};

TEST_F(CliAuditTest, VerifySaysAnIntactChainIsIntact) {
  AppendThree();
  CommandOutput out = Lockstep({"audit", "verify"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(out.out, "audit chain intact: 3 records in " + state_.string() +
                         " (audit.jsonl and state.db agree)\n");
  EXPECT_EQ(out.err, "");
}

TEST_F(CliAuditTest, VerifyNamesTheFirstRecordEditedInTheFile) {
  AppendThree();
  EditFile(R"("release":"r1")", R"("release":"r2")");
  CommandOutput out = Lockstep({"audit", "verify"});
  EXPECT_EQ(out.exit_code, 1) << out.err;
  EXPECT_EQ(out.out,
            "audit.jsonl:2: record 2: content does not match its hash (edited)\n"
            "audit chain broken in " +
                state_.string() + ": record 1 verifies\n");
}

TEST_F(CliAuditTest, VerifyNamesARecordRemovedFromTheStore) {
  AppendThree();
  log_.reset();
  // What a tamperer would do with the sqlite3 shell.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((state_ / "state.db").c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db,
                         "DROP TRIGGER audit_records_no_delete; "
                         "DELETE FROM audit_records WHERE seq = 1",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  CommandOutput out = Lockstep({"audit", "verify"});
  EXPECT_EQ(out.exit_code, 1) << out.err;
  EXPECT_EQ(out.out,
            "state.db: record 2: the chain starts here: record 1 is missing (removed)\n"
            "audit chain broken in " +
                state_.string() + ": no record before it verifies\n");
}

TEST_F(CliAuditTest, VerifyJsonDescribesTheProblem) {
  AppendThree();
  EditFile(R"("seq":3,)", R"("seq":4,)");
  CommandOutput out = Lockstep({"audit", "verify", "--json"});
  EXPECT_EQ(out.exit_code, 1) << out.err;
  nlohmann::json report = nlohmann::json::parse(out.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << out.out;
  EXPECT_EQ(report["state_directory"], state_.string());
  EXPECT_EQ(report["intact"], false);
  EXPECT_EQ(report["records"], 2);
  EXPECT_EQ(report["file_records"], 3);
  EXPECT_EQ(report["store_records"], 3);
  EXPECT_EQ(report["problem"],
            (nlohmann::json{{"file", "audit.jsonl"},
                            {"line", 3},
                            {"seq", 4},
                            {"message", "content does not match its hash (edited)"},
                            {"text",
                             "audit.jsonl:3: record 4: content does not match "
                             "its hash (edited)"}}));

  EditFile(R"("seq":4,)", R"("seq":3,)");
  out = Lockstep({"audit", "verify", "--json"});
  EXPECT_EQ(out.exit_code, 0) << out.out << out.err;
  report = nlohmann::json::parse(out.out, nullptr, false);
  EXPECT_EQ(report["intact"], true);
  EXPECT_EQ(report["problem"], nullptr);
}

TEST_F(CliAuditTest, VerifyWithoutAnyStateIsAnEmptyIntactChain) {
  CommandOutput out = Lockstep({"audit", "verify"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(out.out, "audit chain intact: 0 records in " + state_.string() +
                         " (audit.jsonl and state.db agree)\n");
  EXPECT_FALSE(std::filesystem::exists(state_));
}

TEST_F(CliAuditTest, LogPrintsATableOldestFirst) {
  AppendThree();
  CommandOutput out = Lockstep({"audit", "log"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(out.out,
            "SEQ  TIME (UTC)           ACTOR     ACTION           SUBJECT    DETAILS\n"
            "  1  2026-12-05 01:02:03  alice     rollout.started  rollout 7  commit=abc1234 "
            "environment=local\n"
            "  2  2026-12-05 01:03:04  lockstep  deployment       api        handler=integrated "
            "release=r1\n"
            "  3  2026-12-05 02:02:03  bob       approval         rollout 7  note=\"looks good "
            "to me\"\n");
}

TEST_F(CliAuditTest, LogSinceATimeAndTheLatestFew) {
  AppendThree();
  CommandOutput since = Lockstep({"audit", "log", "--since", "2026-12-05T01:03:00Z"});
  EXPECT_EQ(since.exit_code, 0) << since.err;
  EXPECT_EQ(since.out.find("  1  "), std::string::npos) << since.out;
  EXPECT_NE(since.out.find("  2  2026-12-05 01:03:04  lockstep"), std::string::npos) << since.out;
  EXPECT_NE(since.out.find("  3  2026-12-05 02:02:03  bob"), std::string::npos) << since.out;

  // The same instant with an offset, and the latest one only.
  CommandOutput latest =
      Lockstep({"audit", "log", "--since", "2026-12-05T02:03:00+01:00", "--limit", "1"});
  EXPECT_EQ(latest.exit_code, 0) << latest.err;
  EXPECT_EQ(latest.out.find("  2  "), std::string::npos) << latest.out;
  EXPECT_NE(latest.out.find("  3  2026-12-05 02:02:03  bob"), std::string::npos) << latest.out;

  CommandOutput none = Lockstep({"audit", "log", "--since", "2026-12-06"});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(none.out, "no audit records since 2026-12-06 in " + state_.string() + "\n");
}

TEST_F(CliAuditTest, LogSinceADurationAgo) {
  const int64_t now = store::NowMs();
  Append(now - 7'200'000, {.actor = "a", .action = "two.hours.ago"});
  Append(now - 1'800'000, {.actor = "a", .action = "half.an.hour.ago"});
  CommandOutput out = Lockstep({"audit", "log", "--since", "1h"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(out.out.find("two.hours.ago"), std::string::npos) << out.out;
  EXPECT_NE(out.out.find("half.an.hour.ago"), std::string::npos) << out.out;
  out = Lockstep({"audit", "log", "--since", "1d"});
  EXPECT_NE(out.out.find("two.hours.ago"), std::string::npos) << out.out;
}

TEST_F(CliAuditTest, LogJsonCarriesEveryField) {
  AppendThree();
  CommandOutput out = Lockstep({"audit", "log", "--json", "--limit", "2"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  nlohmann::json records = nlohmann::json::parse(out.out, nullptr, false);
  ASSERT_TRUE(records.is_array()) << out.out;
  ASSERT_EQ(records.size(), 2u);
  Result<std::vector<audit::AuditEntry>> entries = log_->Read({.limit = 10});
  ASSERT_TRUE(entries.has_value());
  const audit::AuditEntry& second = (*entries)[1];
  EXPECT_EQ(records[0], (nlohmann::json{{"seq", 2},
                                        {"time", "2026-12-05T01:03:04.456Z"},
                                        {"time_ms", kStart + 61'000},
                                        {"actor", "lockstep"},
                                        {"action", "deployment"},
                                        {"subject", "api"},
                                        {"details", {{"handler", "integrated"}, {"release", "r1"}}},
                                        {"prev", second.prev_hash},
                                        {"hash", second.hash}}));
  EXPECT_EQ(records[1]["seq"], 3);
}

TEST_F(CliAuditTest, LogWithoutStateSaysSo) {
  CommandOutput out = Lockstep({"audit", "log"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(out.out, "no audit records in " + state_.string() + "\n");
  out = Lockstep({"audit", "log", "--json"});
  EXPECT_EQ(out.out, "[]\n");
}

TEST_F(CliAuditTest, LogRefusesAnUnreadableSince) {
  CommandOutput out = Lockstep({"audit", "log", "--since", "yesterday"});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_EQ(out.err,
            "lockstep: error: --since yesterday: expected a duration such as 15m, 2h or 3d, or a "
            "UTC time such as 2026-12-05 or 2026-12-05T01:02:03Z\n");
}

TEST_F(CliAuditTest, TheDocumentedShellChecksAgreeWithVerify) {
  AppendThree();
  std::string one = DocumentedScript("# Check one record: line 2 of audit.jsonl");
  std::string chain = DocumentedScript("# Check every record's hash, link and number");
  auto run = [&](const std::string& script) {
    return testing::RunProgram({"/bin/bash", "-c", script}, state_);
  };
  CommandOutput out = run(one);
  EXPECT_EQ(out.out, "record 2 intact\n") << out.err;
  out = run(chain);
  EXPECT_EQ(out.out, "3 lines checked\n") << out.err;

  EditFile(R"("release":"r1")", R"("release":"r2")");
  out = run(one);
  EXPECT_EQ(out.out, "record 2 edited\n") << out.err;
  out = run(chain);
  EXPECT_EQ(out.out, "line 2: edited\n3 lines checked\n") << out.err;
}

}  // namespace
}  // namespace lockstep
