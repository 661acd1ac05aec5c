// Verifying the audit chain of a state directory: both copies (audit.jsonl and state.db's
// audit_records) are recomputed record by record, and compared with each other. Thread-safe
// (each call opens what it reads).
//
// For record N (the N-th line of audit.jsonl, the N-th row of the store) each copy must have:
//   - a hash that is the SHA-256 of its canonical form   (otherwise: edited)
//   - seq N                                              (otherwise: removed or reordered)
//   - prev equal to the hash of record N-1, or zeros     (otherwise: removed or reordered)
// and both copies must hold the same text (otherwise one of them was rewritten), the same
// number of records (otherwise missing at the end of the file, or extra in it). The first
// record where anything fails is reported, with what failed.
//
// Records appended while verify runs are not looked at: verify takes the chain as it was
// when it started (under a shared lock on audit.jsonl, which appenders hold exclusively).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "base/error.h"

namespace lockstep::audit {

// The first broken record.
struct AuditProblem {
  enum class Source { kFile, kStore };
  Source source = Source::kFile;
  int64_t line = 0;  // the line of audit.jsonl, from 1; 0 for the store
  int64_t seq = 0;   // the record, from 1; 0 when a line is too damaged to tell
  std::string message;

  // "audit.jsonl:LINE: record N: MESSAGE", "audit.jsonl:LINE: MESSAGE" (seq unknown) or
  // "state.db: record N: MESSAGE".
  std::string ToString() const;
};

struct AuditVerifyReport {
  int64_t records = 0;                  // records found intact in both copies, from record 1
  int64_t file_records = 0;             // lines of audit.jsonl read
  int64_t store_records = 0;            // rows of the store read
  std::optional<AuditProblem> problem;  // none when the chain is intact

  bool intact() const { return !problem.has_value(); }
};

// Verifies the chain in `state_directory`. A directory without state.db or audit.jsonl counts
// as an empty copy (so an empty chain verifies; one copy without the other does not). Fails
// only when something cannot be read (I/O, a store that does not open); a broken chain is a
// successful report with a problem.
Result<AuditVerifyReport> VerifyAuditChain(const std::filesystem::path& state_directory);

}  // namespace lockstep::audit
