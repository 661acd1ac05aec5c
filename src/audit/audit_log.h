// The audit chain: an append-only, hash-chained record of every coordination action (who did
// what to what, when, with which details), kept in two places of the state directory:
//
//   state.db     the audit_records table: the source of truth (store/audit_store.h)
//   audit.jsonl  one line per record, append-only: a copy that can be checked offline with
//                sha256sum, and against which edits of the store show up (verify.h)
//
// Each record carries the SHA-256 of the previous record and of its own canonical form
// (canonical.h), so editing, removing or reordering a record breaks the chain at that point.
//
// Appending, in this order:
//   1. flock(LOCK_EX) on audit.jsonl: every appender of this state directory, in this process
//      or another, takes it first, so the file's lines stay in chain order;
//   2. one store transaction (BEGIN IMMEDIATE) reads the last record, builds the next and
//      inserts it: when Append returns, the record is durable in the store;
//   3. the file is caught up with the store: the new line, and before it any lines a crash
//      between 2 and 3 left out; the file is only ever appended to;
//   4. the lock is released.
// A line cut short by a crash in 3 is dropped before appending, but only when it is the
// start of the record the store holds at that place; anything else at the end of the file
// is left alone and reported (appends keep going to the store, and the file waits).
//
// Thread-safe; several processes may append to one chain at once. Append blocks: about 40 µs
// on its own (25,000 a second, docs/benchmarks.md), longer while another appender holds the
// lock; a caller on an event loop may want to hand it to a thread that may block.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "audit/audit_file.h"
#include "base/error.h"
#include "store/audit_store.h"

namespace lockstep::audit {

// What a caller records. docs/audit.md lists the actions lockstep uses.
struct AuditRecord {
  std::string actor = {};    // who: a user name, "api", "lockstep" for automatic actions
  std::string action = {};   // what, as a dotted name: "rollout.started", "deployment", …
  std::string subject = {};  // what it was done to: a rollout id, a service, a repository, …
  nlohmann::json details = nlohmann::json::object();  // anything else worth keeping; an object
};

// A record of the chain.
struct AuditEntry {
  int64_t seq = 0;
  int64_t time = 0;  // milliseconds since the epoch, UTC
  std::string actor;
  std::string action;
  std::string subject;
  nlohmann::json details;
  std::string prev_hash;  // 64 hex digits; kGenesisHash for record 1
  std::string hash;       // 64 hex digits: SHA-256 of the canonical form
};

// Which records Read returns: those with seq > after_seq and time >= since, in seq order;
// the first `limit` of them, or with `latest` the last `limit` (still in seq order).
struct AuditQuery {
  int64_t after_seq = 0;
  int64_t since = 0;  // milliseconds since the epoch
  size_t limit = 100;
  bool latest = false;
};

struct AuditLogOptions {
  // The time of a new record, in milliseconds since the epoch. Default: the system clock.
  // A record never gets a time before its predecessor's: a clock that went back yields the
  // previous record's time, so that time order is chain order.
  std::function<int64_t()> clock = {};
};

// The longest canonical form Append accepts, in bytes: records are summaries, not payloads.
inline constexpr size_t kMaxRecordBytes = 64 * 1024;

// The records `query` selects from `store`: what AuditLog::Read does, for readers that never
// append (and so need neither audit.jsonl nor its lock).
Result<std::vector<AuditEntry>> ReadAuditRecords(store::AuditStore& store, const AuditQuery& query);

class AuditLog {
 public:
  // Opens the chain of `state_directory` (created when missing): its store (state.db, created
  // or migrated as needed) and audit.jsonl (created when missing), and catches the file up
  // with the store. Fails when either cannot be opened; a file that cannot be caught up (a
  // foreign last line, say) is logged as an error and left for Append to retry.
  static Result<std::unique_ptr<AuditLog>> Open(const std::filesystem::path& state_directory,
                                                AuditLogOptions options = {});

  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends `record` to the chain and returns it as stored. kInvalidArgument (nothing
  // recorded) for an empty actor or action, text that is not UTF-8, details that are not an
  // object, or a record larger than kMaxRecordBytes; a store error otherwise. Once the store
  // has the record, Append succeeds: a failure to write audit.jsonl then is logged as an error
  // and repaired by the next Append or Open.
  Result<AuditEntry> Append(const AuditRecord& record);

  // The records `query` selects, from the store.
  Result<std::vector<AuditEntry>> Read(const AuditQuery& query);

  // Brings audit.jsonl up to the store's last record (what Open and Append do). kCorruption
  // when the file ends with something other than the chain's records (nothing written then).
  Result<void> CatchUpFile();

  const std::filesystem::path& file_path() const { return file_.path(); }

 private:
  AuditLog(std::unique_ptr<store::AuditStore> store, AuditFile file, AuditLogOptions options);

  // Under the file lock: appends to the file the records after its last one, through `seq`;
  // `newest` is record `seq` when the caller has it at hand.
  Result<void> CatchUpLocked(int64_t seq, const store::AuditRow* newest);
  // Under the file lock: the seq of the file's last complete line, dropping a line cut short
  // by a crash when it is the start of the store's next record.
  Result<int64_t> FileLastSeqLocked();

  std::unique_ptr<store::AuditStore> store_;
  std::mutex mutex_;  // serialises appends and the file state below
  AuditFile file_;
  AuditLogOptions options_;
  // What this object last saw of the file, to skip reading its tail when nobody else wrote.
  int64_t known_size_ = -1;
  int64_t known_last_seq_ = 0;
};

}  // namespace lockstep::audit
