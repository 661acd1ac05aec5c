#include "audit/audit_log.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <system_error>
#include <utility>

#include "audit/canonical.h"
#include "base/strings.h"

namespace lockstep::audit {
namespace {

// The longest line the file can hold: a record of kMaxRecordBytes and its hash.
constexpr size_t kMaxLineBytes = kMaxRecordBytes + 128;
// How many records a catch-up reads from the store at a time.
constexpr size_t kCatchUpBatch = 1000;

Result<void> CheckText(std::string_view what, std::string_view text, bool required) {
  if (required && text.empty()) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("an audit record needs {}", what));
  }
  if (text.size() > kMaxRecordBytes) {
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("the audit record's {} is longer than {} bytes", what, kMaxRecordBytes));
  }
  if (!IsValidUtf8(text)) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("the audit record's {} is not UTF-8", what));
  }
  return {};
}

AuditEntry ToEntry(const store::AuditRow& row, nlohmann::json details) {
  return AuditEntry{.seq = row.seq,
                    .time = row.time,
                    .actor = row.actor,
                    .action = row.action,
                    .subject = row.subject,
                    .details = std::move(details),
                    .prev_hash = row.prev_hash,
                    .hash = row.hash};
}

// Details as stored; a store edited by hand may hold text that is not JSON, shown as it is.
nlohmann::json ParseDetails(const std::string& text) {
  nlohmann::json details = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (details.is_discarded()) return text;
  return details;
}

int64_t SystemClock() { return store::NowMs(); }

}  // namespace

AuditLog::AuditLog(std::unique_ptr<store::AuditStore> store, AuditFile file,
                   AuditLogOptions options)
    : store_(std::move(store)), file_(std::move(file)), options_(std::move(options)) {
  if (!options_.clock) options_.clock = SystemClock;
}

Result<std::unique_ptr<AuditLog>> AuditLog::Open(const std::filesystem::path& state_directory,
                                                 AuditLogOptions options) {
  std::error_code error;
  std::filesystem::create_directories(state_directory, error);
  if (error) {
    return Fail(ErrorCode::kIoError,
                fmt::format("cannot create {}: {}", state_directory.string(), error.message()));
  }
  Result<std::unique_ptr<store::AuditStore>> store =
      store::OpenSqliteAuditStore(state_directory / "state.db");
  if (!store) return std::unexpected(store.error());
  bool created = false;
  Result<AuditFile> file = AuditFile::OpenForAppend(state_directory / "audit.jsonl", &created);
  if (!file) return std::unexpected(file.error());
  std::unique_ptr<AuditLog> log(
      new AuditLog(std::move(*store), std::move(*file), std::move(options)));
  if (created) {
    // A chain without its file: the store existed before audit.jsonl (or the file was
    // deleted). The file is written again from the store, which verify then compares with.
    Result<std::optional<store::AuditRow>> last = log->store_->LastAuditRow();
    if (last && *last) {
      spdlog::warn("{} was missing; writing records 1 to {} into it from the state store",
                   log->file_path().string(), (*last)->seq);
    }
  }
  if (Result<void> caught = log->CatchUpFile(); !caught) {
    spdlog::error("audit chain: {}", caught.error().message());
  }
  return log;
}

Result<AuditEntry> AuditLog::Append(const AuditRecord& record) {
  if (Result<void> ok = CheckText("actor", record.actor, true); !ok)
    return std::unexpected(ok.error());
  if (Result<void> ok = CheckText("action", record.action, true); !ok) {
    return std::unexpected(ok.error());
  }
  if (Result<void> ok = CheckText("subject", record.subject, false); !ok) {
    return std::unexpected(ok.error());
  }
  Result<std::string> details = CanonicalDetails(record.details);
  if (!details) return std::unexpected(details.error());

  std::lock_guard lock(mutex_);
  // Taken before the store's write lock and held until the line is written: appenders write
  // the file in the order they committed.
  Result<FileLock> file_lock = file_.Lock(/*exclusive=*/true);
  if (!file_lock) return std::unexpected(file_lock.error());
  const int64_t now = options_.clock();
  Result<store::AuditRow> row = store_->AppendAuditRow(
      [&](const std::optional<store::AuditRow>& last) -> Result<store::AuditRow> {
        store::AuditRow next{.seq = last ? last->seq + 1 : 1,
                             .time = last ? std::max(now, last->time) : now,
                             .actor = record.actor,
                             .action = record.action,
                             .subject = record.subject,
                             .details = *details,
                             .prev_hash = last ? last->hash : std::string(kGenesisHash),
                             .hash = {}};
        std::string canonical = CanonicalText(next);
        if (canonical.size() > kMaxRecordBytes) {
          return Fail(ErrorCode::kInvalidArgument,
                      fmt::format("the audit record is longer than {} bytes", kMaxRecordBytes));
        }
        next.hash = HashCanonical(canonical);
        return next;
      });
  if (!row) return std::unexpected(row.error());
  if (Result<void> caught = CatchUpLocked(row->seq, &*row); !caught) {
    spdlog::error("audit chain: record {} is in the state store but not yet in {}: {}", row->seq,
                  file_path().string(), caught.error().message());
  }
  return ToEntry(*row, record.details.is_null() ? nlohmann::json::object() : record.details);
}

Result<std::vector<AuditEntry>> ReadAuditRecords(store::AuditStore& store,
                                                 const AuditQuery& query) {
  Result<std::vector<store::AuditRow>> rows =
      store.ListAuditRows(store::AuditRowQuery{.after_seq = query.after_seq,
                                               .since = query.since,
                                               .limit = query.limit,
                                               .latest = query.latest});
  if (!rows) return std::unexpected(rows.error());
  std::vector<AuditEntry> entries;
  entries.reserve(rows->size());
  for (const store::AuditRow& row : *rows)
    entries.push_back(ToEntry(row, ParseDetails(row.details)));
  return entries;
}

Result<std::vector<AuditEntry>> AuditLog::Read(const AuditQuery& query) {
  return ReadAuditRecords(*store_, query);
}

Result<void> AuditLog::CatchUpFile() {
  std::lock_guard lock(mutex_);
  Result<FileLock> file_lock = file_.Lock(/*exclusive=*/true);
  if (!file_lock) return std::unexpected(file_lock.error());
  Result<std::optional<store::AuditRow>> last = store_->LastAuditRow();
  if (!last) return std::unexpected(last.error());
  if (!*last) return CatchUpLocked(0, nullptr);
  return CatchUpLocked((*last)->seq, &**last);
}

Result<void> AuditLog::CatchUpLocked(int64_t seq, const store::AuditRow* newest) {
  Result<int64_t> file_last = FileLastSeqLocked();
  if (!file_last) return std::unexpected(file_last.error());
  if (*file_last > seq) {
    return Fail(ErrorCode::kCorruption,
                fmt::format("{} holds records up to {}, the state store only up to {}",
                            file_path().string(), *file_last, seq));
  }
  // Usually just the newest record; after a crash between store and file, the ones before it
  // too, written in pieces of about a megabyte.
  known_size_ = -1;  // unknown until the writes succeed
  std::string lines;
  int64_t next = *file_last + 1;
  while (next < seq) {
    Result<std::vector<store::AuditRow>> rows = store_->ListAuditRows(
        store::AuditRowQuery{.after_seq = next - 1, .since = 0, .limit = kCatchUpBatch});
    if (!rows) return std::unexpected(rows.error());
    if (rows->empty() || rows->front().seq != next) {
      return Fail(ErrorCode::kCorruption,
                  fmt::format("the state store lacks audit record {}", next));
    }
    for (const store::AuditRow& row : *rows) {
      if (row.seq >= seq) break;
      if (row.seq != next) {
        return Fail(ErrorCode::kCorruption,
                    fmt::format("the state store lacks audit record {}", next));
      }
      lines += FileLine(row);
      ++next;
    }
    if (lines.size() >= (size_t{1} << 20)) {
      if (Result<void> written = file_.Append(lines); !written) return written;
      lines.clear();
    }
  }
  if (next == seq) {
    if (newest == nullptr || newest->seq != seq) {
      return Fail(ErrorCode::kInternal, fmt::format("audit record {} is not at hand", seq));
    }
    lines += FileLine(*newest);
  }
  if (Result<void> written = file_.Append(lines); !written) return written;
  Result<int64_t> size = file_.Size();
  if (!size) return std::unexpected(size.error());
  known_size_ = *size;
  known_last_seq_ = seq;
  return {};
}

Result<int64_t> AuditLog::FileLastSeqLocked() {
  Result<int64_t> size = file_.Size();
  if (!size) return std::unexpected(size.error());
  if (*size == known_size_) return known_last_seq_;

  Result<AuditFile::Tail> tail = file_.ReadTail(kMaxLineBytes);
  if (!tail) return std::unexpected(tail.error());
  int64_t last_seq = 0;
  if (tail->has_line) {
    Result<ParsedLine> parsed = ParseLine(tail->last_line);
    if (!parsed) {
      return Fail(
          ErrorCode::kCorruption,
          fmt::format("the last line of {} is {}", file_path().string(), parsed.error().message()));
    }
    last_seq = parsed->seq;
  }
  if (!tail->partial.empty()) {
    // A crash in the middle of writing a line leaves its start. Only that is dropped: the
    // store still has the record, and the catch-up writes it whole.
    Result<std::vector<store::AuditRow>> next =
        store_->ListAuditRows(store::AuditRowQuery{.after_seq = last_seq, .since = 0, .limit = 1});
    if (!next) return std::unexpected(next.error());
    if (next->empty() || next->front().seq != last_seq + 1 ||
        !FileLine(next->front()).starts_with(tail->partial)) {
      return Fail(ErrorCode::kCorruption,
                  fmt::format("{} ends with an incomplete line that is not the start of audit "
                              "record {}",
                              file_path().string(), last_seq + 1));
    }
    const int64_t complete = tail->size - static_cast<int64_t>(tail->partial.size());
    if (Result<void> cut = file_.Truncate(complete); !cut) return std::unexpected(cut.error());
    spdlog::warn(
        "{}: dropped the first {} bytes of record {}, cut short by a crash; writing it "
        "whole from the state store",
        file_path().string(), tail->partial.size(), last_seq + 1);
    tail->size = complete;
  }
  known_size_ = tail->size;
  known_last_seq_ = last_seq;
  return last_seq;
}

}  // namespace lockstep::audit
