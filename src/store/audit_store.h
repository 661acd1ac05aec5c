// The audit chain's durable part: one row per audit record, in chain order. The store keeps
// rows as given and knows nothing of hashes; audit/ builds each row (its canonical form and
// hashes) and checks them. What the store guarantees is the order: an append reads the last
// row and inserts the next one in one write transaction, so appenders in several processes
// make one chain without gaps or forks.
//
// Same contract as store.h: each append is one transaction, durable before it returns; a
// failed call changes nothing; several processes may share the store; thread-safe. The rows
// are append-only: the SQLite schema refuses UPDATE and DELETE on them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "store/store.h"

namespace lockstep::store {

// One record of the chain, as stored. The text fields are opaque here.
struct AuditRow {
  int64_t seq = 0;  // 1 for the first record, then one more for each
  TimeMs time = 0;
  std::string actor = {};
  std::string action = {};
  std::string subject = {};
  std::string details = {};    // canonical JSON (audit/canonical.h)
  std::string prev_hash = {};  // 64 hex digits
  std::string hash = {};       // 64 hex digits

  bool operator==(const AuditRow&) const = default;
};

// Which rows ListAuditRows returns: those with seq > after_seq and time >= since, in seq
// order; the first `limit` of them, or with `latest` the last `limit` (still in seq order).
struct AuditRowQuery {
  int64_t after_seq = 0;
  TimeMs since = 0;
  size_t limit = 100;
  bool latest = false;
};

class AuditStore {
 public:
  virtual ~AuditStore() = default;

  // Makes the next row from the last one and appends it, atomically: `next` runs inside a
  // write transaction, with the last row (nullopt for an empty chain) read under the write
  // lock, and the row it returns is inserted before the transaction commits. The returned
  // row must have seq = last seq + 1 (1 for the first), else kInternal and nothing is written.
  // A failure of `next` is returned as it is, and nothing is written. Returns the stored row.
  // `next` must not call back into the store.
  virtual Result<AuditRow> AppendAuditRow(
      const std::function<Result<AuditRow>(const std::optional<AuditRow>& last)>& next) = 0;

  // The last row, or nullopt when the chain is empty.
  virtual Result<std::optional<AuditRow>> LastAuditRow() = 0;

  // The rows `query` selects.
  virtual Result<std::vector<AuditRow>> ListAuditRows(const AuditRowQuery& query) = 0;

  // Calls `visit` with each row whose seq is in [first_seq, last_seq], in seq order, from one
  // consistent snapshot, until it returns false. For reading the whole chain without holding
  // it in memory; the row passed is reused between calls. Other calls on this store object
  // wait until the scan ends; `visit` must not call back into it.
  virtual Result<void> ScanAuditRows(int64_t first_seq, int64_t last_seq,
                                     const std::function<bool(const AuditRow& row)>& visit) = 0;
};

// Opens the audit part of the SQLite store at `path` (the same file as OpenSqliteStore,
// created and migrated the same way). Failures as OpenSqliteStore's.
Result<std::unique_ptr<AuditStore>> OpenSqliteAuditStore(const std::filesystem::path& path);

}  // namespace lockstep::store
