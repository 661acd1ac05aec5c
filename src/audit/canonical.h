// The audit record's canonical form: the exact text that is hashed, and the line of
// audit.jsonl that carries it. Pure functions; thread-safe.
//
// The canonical form of record N is one line of JSON, no whitespace, members in this order:
//
//   {"seq":N,"time":"2026-12-05T01:02:03.456Z","actor":"…","action":"…","subject":"…",
//    "details":{…},"prev":"<64 hex>"}
//
// - seq: decimal, from 1, no leading zeros.
// - time: UTC, always with milliseconds and a Z.
// - actor, action, subject: JSON strings (base/json_string.h).
// - details: a JSON object, compact, keys sorted by their UTF-8 bytes at every level, strings
//   escaped the same way, integers in decimal (nlohmann::json's dump()).
// - prev: the hash of record N-1, or 64 zeros (kGenesisHash) for record 1.
//
// The record's hash is the SHA-256 of exactly that text, as 64 lower-case hex digits. The line
// written to audit.jsonl is the canonical form with `,"hash":"<64 hex>"` inserted before the
// final `}`, then "\n". So the hash of a line is checked with nothing but SHA-256: drop the
// last 75 bytes (`,"hash":"…"}`), append `}`, hash; the seq is at the start of the line and
// prev at a fixed distance from its end.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/sha256.h"
#include "store/audit_store.h"

namespace lockstep::audit {

// The prev of record 1.
inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// `time` (milliseconds since the epoch, UTC) as "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::string FormatAuditTime(store::TimeMs time);

// The canonical text of `details`: a JSON object (null counts as {}), compact, keys sorted.
// kInvalidArgument when it is not an object or holds a string that is not valid UTF-8.
Result<std::string> CanonicalDetails(const nlohmann::json& details);

// The canonical form of `row` (its hash field is not part of it).
std::string CanonicalText(const store::AuditRow& row);
// The same, appended to `out` (for reusing one buffer over many records).
void AppendCanonicalText(const store::AuditRow& row, std::string& out);

// The SHA-256 of `canonical` as 64 lower-case hex digits.
std::string HashCanonical(std::string_view canonical);

// The line of audit.jsonl for `row`: CanonicalText with its hash, and "\n".
std::string FileLine(const store::AuditRow& row);

// The fixed-position fields of one line of audit.jsonl (without its "\n"): views into it.
struct ParsedLine {
  int64_t seq = 0;
  std::string_view body;  // the canonical form without its final '}'
  std::string_view prev;  // 64 hex digits
  std::string_view hash;  // 64 hex digits, as the line states it
};

// Splits `line` into its fixed-position fields, or kCorruption saying what is wrong with its
// shape. Checks no more than the positions: the hash tells whether the rest is intact.
Result<ParsedLine> ParseLine(std::string_view line);

// The SHA-256 of the canonical form a parsed line carries (body + "}").
std::string HashLine(const ParsedLine& line);

// Hashes canonical forms one after another with one SHA-256 context: what verify does a
// million times. Not thread-safe.
class CanonicalHasher {
 public:
  // HashCanonical(canonical), as a view valid until the next call.
  std::string_view Hash(std::string_view canonical);
  // HashLine(line), as a view valid until the next call.
  std::string_view HashLine(const ParsedLine& line);

 private:
  std::string_view Finish();

  Sha256 sha_;
  char hex_[64] = {};
};

}  // namespace lockstep::audit
