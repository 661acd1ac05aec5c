#include "audit/canonical.h"

#include <fmt/core.h>

#include <array>
#include <charconv>
#include <chrono>

#include "base/json_string.h"
#include "base/sha256.h"

namespace lockstep::audit {
namespace {

// `,"hash":"` + 64 hex + `"}`: what a line adds to the canonical form.
constexpr std::string_view kHashOpen = ",\"hash\":\"";
constexpr size_t kHashSuffixSize = kHashOpen.size() + 64 + 2;
// `,"prev":"` + 64 hex + `"`: how the body (the canonical form without '}') ends.
constexpr std::string_view kPrevOpen = ",\"prev\":\"";
constexpr size_t kPrevSuffixSize = kPrevOpen.size() + 64 + 1;
constexpr std::string_view kSeqOpen = "{\"seq\":";

// A table rather than comparisons: the digits of a hash are random, and branching on which
// range each falls in mispredicts often enough to show in verify's time.
constexpr std::array<bool, 256> kLowerHex = [] {
  std::array<bool, 256> table{};
  for (char c : std::string_view("0123456789abcdef")) table[static_cast<unsigned char>(c)] = true;
  return table;
}();

bool IsLowerHex(std::string_view text) {
  bool all = true;
  for (char c : text) all &= kLowerHex[static_cast<unsigned char>(c)];
  return all;
}

// Appends `value` with at least `width` digits, zero-padded.
void AppendNumber(int64_t value, int width, std::string& out) {
  char digits[24];
  auto [end, error] = std::to_chars(digits, digits + sizeof digits, value);
  for (int n = static_cast<int>(end - digits); n < width; ++n) out += '0';
  out.append(digits, end);
}

// Appends "YYYY-MM-DDTHH:MM:SS.mmmZ" for `time`.
void AppendAuditTime(store::TimeMs time, std::string& out) {
  using std::chrono::days;
  using std::chrono::milliseconds;
  // Floor division, so that a (damaged) negative time still reads as a real instant.
  const std::chrono::sys_time<milliseconds> instant{milliseconds(time)};
  const auto day = std::chrono::floor<days>(instant);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss clock{instant - day};
  AppendNumber(static_cast<int>(date.year()), 4, out);
  out += '-';
  AppendNumber(static_cast<unsigned>(date.month()), 2, out);
  out += '-';
  AppendNumber(static_cast<unsigned>(date.day()), 2, out);
  out += 'T';
  AppendNumber(clock.hours().count(), 2, out);
  out += ':';
  AppendNumber(clock.minutes().count(), 2, out);
  out += ':';
  AppendNumber(clock.seconds().count(), 2, out);
  out += '.';
  AppendNumber(clock.subseconds().count(), 3, out);
  out += 'Z';
}

}  // namespace

std::string FormatAuditTime(store::TimeMs time) {
  std::string text;
  AppendAuditTime(time, text);
  return text;
}

Result<std::string> CanonicalDetails(const nlohmann::json& details) {
  if (details.is_null()) return std::string("{}");
  if (!details.is_object()) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("audit details must be a JSON object, not {}", details.type_name()));
  }
  // nlohmann::json keeps object members in a std::map, so dump() sorts keys at every level;
  // without indentation it is compact, and it escapes strings as EscapeJsonString does.
  try {
    return details.dump();
  } catch (const nlohmann::json::exception&) {
    return Fail(ErrorCode::kInvalidArgument, "audit details hold a string that is not UTF-8");
  }
}

std::string CanonicalText(const store::AuditRow& row) {
  std::string text;
  AppendCanonicalText(row, text);
  return text;
}

void AppendCanonicalText(const store::AuditRow& row, std::string& text) {
  text.reserve(text.size() + 160 + row.actor.size() + row.action.size() + row.subject.size() +
               row.details.size());
  text += kSeqOpen;
  AppendNumber(row.seq, 1, text);
  text += ",\"time\":\"";
  AppendAuditTime(row.time, text);
  text += "\",\"actor\":";
  AppendJsonString(row.actor, text);
  text += ",\"action\":";
  AppendJsonString(row.action, text);
  text += ",\"subject\":";
  AppendJsonString(row.subject, text);
  text += ",\"details\":";
  text += row.details;
  text += kPrevOpen;
  text += row.prev_hash;
  text += "\"}";
}

std::string HashCanonical(std::string_view canonical) { return Sha256Hex(canonical); }

std::string FileLine(const store::AuditRow& row) {
  std::string line = CanonicalText(row);
  line.pop_back();  // the final '}'
  line += kHashOpen;
  line += row.hash;
  line += "\"}\n";
  return line;
}

Result<ParsedLine> ParseLine(std::string_view line) {
  ParsedLine parsed;
  if (!line.starts_with(kSeqOpen)) {
    return Fail(ErrorCode::kCorruption, "not an audit record: it does not start with {\"seq\":");
  }
  const char* digits = line.data() + kSeqOpen.size();
  const char* end = line.data() + line.size();
  auto [after, error] = std::from_chars(digits, end, parsed.seq);
  if (error != std::errc() || after == digits || *digits == '0' || after == end || *after != ',') {
    return Fail(ErrorCode::kCorruption, "not an audit record: its seq is not a number from 1");
  }
  const size_t head = static_cast<size_t>(after - line.data());
  if (line.size() < head + kPrevSuffixSize + kHashSuffixSize) {
    return Fail(ErrorCode::kCorruption, "not an audit record: too short");
  }
  std::string_view suffix = line.substr(line.size() - kHashSuffixSize);
  parsed.hash = suffix.substr(kHashOpen.size(), 64);
  if (!suffix.starts_with(kHashOpen) || !suffix.ends_with("\"}") || !IsLowerHex(parsed.hash)) {
    return Fail(ErrorCode::kCorruption,
                "not an audit record: it does not end with ,\"hash\":\"<64 hex digits>\"}");
  }
  parsed.body = line.substr(0, line.size() - kHashSuffixSize);
  std::string_view prev = parsed.body.substr(parsed.body.size() - kPrevSuffixSize);
  parsed.prev = prev.substr(kPrevOpen.size(), 64);
  if (!prev.starts_with(kPrevOpen) || !prev.ends_with('"') || !IsLowerHex(parsed.prev)) {
    return Fail(ErrorCode::kCorruption,
                "not an audit record: no ,\"prev\":\"<64 hex digits>\" before its hash");
  }
  return parsed;
}

std::string HashLine(const ParsedLine& line) {
  Sha256 hasher;
  hasher.Update(line.body);
  hasher.Update("}");
  return ToHex(hasher.Finish());
}

std::string_view CanonicalHasher::Hash(std::string_view canonical) {
  sha_.Reset();
  sha_.Update(canonical);
  return Finish();
}

std::string_view CanonicalHasher::HashLine(const ParsedLine& line) {
  sha_.Reset();
  sha_.Update(line.body);
  sha_.Update("}");
  return Finish();
}

std::string_view CanonicalHasher::Finish() {
  static constexpr char kDigits[] = "0123456789abcdef";
  const Sha256Digest digest = sha_.Finish();
  for (size_t i = 0; i < digest.size(); ++i) {
    hex_[2 * i] = kDigits[digest[i] >> 4];
    hex_[2 * i + 1] = kDigits[digest[i] & 0xf];
  }
  return std::string_view(hex_, sizeof hex_);
}

}  // namespace lockstep::audit
