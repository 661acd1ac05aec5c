// The audit chain's rows on SQLite (audit_store.h).
#include <fmt/core.h>

#include <mutex>
#include <optional>
#include <utility>

#include "store/audit_store.h"
#include "store/sqlite_access.h"
#include "store/sqlite_database.h"
#include "store/sqlite_runtime_store_impl.h"
#include "store/sqlite_schema.h"

namespace lockstep::store {
namespace {

constexpr std::string_view kColumns =
    "seq, time_ms, actor, action, subject, details, prev_hash, hash";

// Fills `row` from the current result row, reusing its strings' storage.
void ReadRow(const SqliteStatement& query, AuditRow& row) {
  row.seq = query.Int(0);
  row.time = query.Int(1);
  row.actor.assign(query.TextView(2));
  row.action.assign(query.TextView(3));
  row.subject.assign(query.TextView(4));
  row.details.assign(query.TextView(5));
  row.prev_hash.assign(query.TextView(6));
  row.hash.assign(query.TextView(7));
}

Result<AuditRow> RowFrom(const SqliteStatement& query) {
  AuditRow row;
  ReadRow(query, row);
  return row;
}

Result<std::optional<AuditRow>> SelectLast(SqliteDatabase& db) {
  Result<SqliteStatement> query =
      db.Query(fmt::format("SELECT {} FROM audit_records ORDER BY seq DESC LIMIT 1", kColumns));
  if (!query) return std::unexpected(query.error());
  Result<bool> found = query->Step();
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::optional<AuditRow>();
  return std::optional<AuditRow>(*RowFrom(*query));
}

// Thread-safe: one connection of its own, every call holds mutex_. Appends are BEGIN
// IMMEDIATE transactions, so they are serialised with every other writer of the file.
class SqliteAuditStore final : public AuditStore, private SqliteConnection {
 public:
  explicit SqliteAuditStore(SqliteDatabase db) : SqliteConnection(std::move(db)) {}

  Result<AuditRow> AppendAuditRow(
      const std::function<Result<AuditRow>(const std::optional<AuditRow>& last)>& next) override {
    // The builder's own failure is passed on unchanged, not as a store error.
    std::optional<Error> refused;
    Result<AuditRow> appended =
        Write<AuditRow>("cannot append an audit record", [&]() -> Result<AuditRow> {
          Result<std::optional<AuditRow>> last = SelectLast(db_);
          if (!last) return std::unexpected(last.error());
          Result<AuditRow> row = next(*last);
          if (!row) {
            refused = row.error();
            return row;
          }
          int64_t expected = *last ? (*last)->seq + 1 : 1;
          if (row->seq != expected) {
            return Fail(ErrorCode::kInternal,
                        fmt::format("record {} does not follow record {}", row->seq, expected - 1));
          }
          Result<int64_t> inserted = db_.Execute(
              "INSERT INTO audit_records (seq, time_ms, actor, action, subject, details, "
              "prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
              row->seq, row->time, row->actor, row->action, row->subject, row->details,
              row->prev_hash, row->hash);
          if (!inserted) return std::unexpected(inserted.error());
          return row;
        });
    if (refused) return std::unexpected(std::move(*refused));
    return appended;
  }

  Result<std::optional<AuditRow>> LastAuditRow() override {
    return Read<std::optional<AuditRow>>("cannot read the audit chain",
                                         [&] { return SelectLast(db_); });
  }

  Result<std::vector<AuditRow>> ListAuditRows(const AuditRowQuery& query) override {
    return Read<std::vector<AuditRow>>(
        "cannot read the audit chain", [&]() -> Result<std::vector<AuditRow>> {
          std::string selected = fmt::format(
              "SELECT {} FROM audit_records WHERE seq > ?1 AND time_ms >= ?2 ORDER BY seq {} "
              "LIMIT ?3",
              kColumns, query.latest ? "DESC" : "ASC");
          if (query.latest) {
            selected = fmt::format("SELECT * FROM ({}) ORDER BY seq", selected);
          }
          Result<SqliteStatement> rows =
              db_.Query(selected, query.after_seq, query.since, SqlLimit(query.limit));
          if (!rows) return std::unexpected(rows.error());
          return CollectRows<AuditRow>(*rows, RowFrom);
        });
  }

  Result<void> ScanAuditRows(int64_t first_seq, int64_t last_seq,
                             const std::function<bool(const AuditRow& row)>& visit) override {
    return Read<void>("cannot read the audit chain", [&]() -> Result<void> {
      // One statement reads from one snapshot, however long the caller takes per row.
      Result<SqliteStatement> rows = db_.Query(
          fmt::format("SELECT {} FROM audit_records WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq",
                      kColumns),
          first_seq, last_seq);
      if (!rows) return std::unexpected(rows.error());
      AuditRow row;
      for (;;) {
        Result<bool> more = rows->Step();
        if (!more) return std::unexpected(more.error());
        if (!*more) return {};
        ReadRow(*rows, row);
        if (!visit(row)) return {};
      }
    });
  }
};

}  // namespace

Result<std::unique_ptr<AuditStore>> OpenSqliteAuditStore(const std::filesystem::path& path) {
  Result<SqliteDatabase> db = OpenStoreDatabase(path);
  if (!db) return std::unexpected(db.error());
  return std::make_unique<SqliteAuditStore>(std::move(*db));
}

}  // namespace lockstep::store
