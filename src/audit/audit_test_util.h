// A fixture for the audit chain's tests: a state directory in a temporary folder, a clock the
// test sets, and the means to damage either copy of the chain as someone with write access
// would (a text editor on audit.jsonl, the sqlite3 API on state.db). Test-only.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "audit/verify.h"
#include "temp_dir.h"

namespace lockstep::audit {

class AuditFixture : public ::testing::Test {
 protected:
  static constexpr int64_t kStart = 1796432523456;  // 2026-12-05T01:02:03.456Z

  std::unique_ptr<AuditLog> OpenLog() {
    AuditLogOptions options;
    options.clock = [this] { return now_.load(); };
    Result<std::unique_ptr<AuditLog>> log = AuditLog::Open(state_, options);
    EXPECT_TRUE(log.has_value()) << log.error().message();
    return log ? std::move(*log) : nullptr;
  }

  // Appends records 1..count (actor alice, action test.N, subject item-N), one second apart.
  void AppendRecords(AuditLog& log, int count) {
    for (int i = 1; i <= count; ++i) {
      Result<AuditEntry> entry = log.Append(AuditRecord{.actor = "alice",
                                                        .action = "test." + std::to_string(i),
                                                        .subject = "item-" + std::to_string(i),
                                                        .details = {{"n", i}}});
      ASSERT_TRUE(entry.has_value()) << entry.error().message();
      now_ += 1000;
    }
  }

  AuditVerifyReport Verify() {
    Result<AuditVerifyReport> report = VerifyAuditChain(state_);
    EXPECT_TRUE(report.has_value()) << report.error().message();
    return report.value_or(AuditVerifyReport{});
  }

  // The first problem as text, or "intact".
  std::string Problem() {
    AuditVerifyReport report = Verify();
    return report.problem ? report.problem->ToString() : "intact";
  }

  std::string FileText() const {
    std::ifstream in(file_, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  void WriteFileText(const std::string& text) const {
    std::ofstream out(file_, std::ios::binary | std::ios::trunc);
    out << text;
    ASSERT_TRUE(out.good());
  }
  // The lines of audit.jsonl, each with its "\n".
  std::vector<std::string> FileLines() const {
    std::vector<std::string> lines;
    std::string text = FileText();
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      end = end == std::string::npos ? text.size() : end + 1;
      lines.push_back(text.substr(start, end - start));
      start = end;
    }
    return lines;
  }
  void WriteFileLines(const std::vector<std::string>& lines) const {
    std::string text;
    for (const std::string& line : lines) text += line;
    WriteFileText(text);
  }

  // Runs `sql` on state.db with the append-only triggers dropped, as a tamperer would.
  void Tamper(const std::string& sql) const {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((state_ / "state.db").c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    std::string script =
        "DROP TRIGGER IF EXISTS audit_records_no_update; "
        "DROP TRIGGER IF EXISTS audit_records_no_delete; " +
        sql;
    int rc = sqlite3_exec(db, script.c_str(), nullptr, nullptr, &error);
    std::string message = error != nullptr ? error : "";
    sqlite3_free(error);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << message;
  }

  testing::TempDir dir_;
  std::filesystem::path state_ = dir_.path() / "state";
  std::filesystem::path file_ = state_ / "audit.jsonl";
  std::atomic<int64_t> now_ = kStart;
};

}  // namespace lockstep::audit
