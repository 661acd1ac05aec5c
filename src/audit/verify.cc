#include "audit/verify.h"

#include <fmt/core.h>

#include <cstring>
#include <limits>
#include <memory>
#include <utility>

#include "audit/audit_file.h"
#include "audit/canonical.h"
#include "store/audit_store.h"

namespace lockstep::audit {
namespace {

// Reads the lines of the first `size` bytes of a file, in large blocks.
class LineReader {
 public:
  LineReader(const AuditFile* file, int64_t size) : file_(file), size_(size) {}

  // The next line, without its "\n"; `complete` is false for a last line without one. False
  // at the end. The view is valid until the next call.
  Result<bool> Next(std::string_view& line, bool& complete) {
    for (;;) {
      const char* start = buffer_.data() + begin_;
      if (const void* newline = std::memchr(start, '\n', end_ - begin_)) {
        const size_t length = static_cast<size_t>(static_cast<const char*>(newline) - start);
        line = std::string_view(start, length);
        complete = true;
        begin_ += length + 1;
        return true;
      }
      if (file_ == nullptr || offset_ == size_) {
        if (begin_ == end_) return false;
        line = std::string_view(start, end_ - begin_);
        complete = false;
        begin_ = end_;
        return true;
      }
      if (Result<void> filled = Fill(); !filled) return std::unexpected(filled.error());
    }
  }

 private:
  static constexpr size_t kBlock = size_t{1} << 20;
  static constexpr size_t kMaxLine = size_t{64} << 20;

  Result<void> Fill() {
    // Keep the unfinished line, at the front; make room for a line longer than the buffer.
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
    if (buffer_.size() < kBlock) buffer_.resize(kBlock);
    if (end_ == buffer_.size()) {
      if (buffer_.size() >= kMaxLine) {
        return Fail(ErrorCode::kCorruption, fmt::format("{}: a line is longer than {} bytes",
                                                        file_->path().string(), kMaxLine));
      }
      buffer_.resize(buffer_.size() * 2);
    }
    const size_t want = static_cast<size_t>(
        std::min<int64_t>(static_cast<int64_t>(buffer_.size() - end_), size_ - offset_));
    Result<size_t> got = file_->ReadAt(offset_, buffer_.data() + end_, want);
    if (!got) return std::unexpected(got.error());
    if (*got == 0) {
      return Fail(ErrorCode::kIoError, file_->path().string() + ": shrank while being verified");
    }
    end_ += *got;
    offset_ += static_cast<int64_t>(*got);
    return {};
  }

  const AuditFile* file_;
  int64_t size_;
  int64_t offset_ = 0;  // how much of the file has been read
  std::string buffer_;
  size_t begin_ = 0;  // the unread part of buffer_
  size_t end_ = 0;
};

// What is wrong with a record's place in the chain, when its seq or prev is not what record
// `position` needs; nullopt when both are right.
std::optional<std::string> PlaceProblem(int64_t seq, std::string_view prev, int64_t position,
                                        std::string_view expected_prev) {
  if (seq > position) {
    if (position == 1) return "the chain starts here: record 1 is missing (removed)";
    return fmt::format("follows record {}: record {} is missing (removed or moved)", position - 1,
                       position);
  }
  if (seq < position) {
    return fmt::format("follows record {} (records reordered or repeated)", position - 1);
  }
  if (prev != expected_prev) {
    if (position == 1) return std::string("prev is not the genesis hash (zeros)");
    return fmt::format(
        "prev does not match the hash of record {} (a record was removed, inserted or "
        "reordered)",
        position - 1);
  }
  return std::nullopt;
}

constexpr std::string_view kEdited = "content does not match its hash (edited)";

class Verifier {
 public:
  Verifier(LineReader& lines, bool file_exists, int64_t store_last)
      : lines_(lines), file_exists_(file_exists), store_last_(store_last) {}

  // Checks the store's row at the next position against its own chain and the file's line
  // there. False (with problem_ or failure_ set) at the first record that does not verify.
  bool Visit(const store::AuditRow& row) {
    ++report_.store_records;
    const int64_t position = report_.store_records;
    std::string_view line;
    bool complete = false;
    Result<bool> got = lines_.Next(line, complete);
    if (!got) {
      failure_ = got.error();
      return false;
    }
    if (*got) ++report_.file_records;
    canonical_.clear();
    AppendCanonicalText(row, canonical_);
    std::optional<ParsedLine> parsed;
    if (*got && complete) {
      if (Result<ParsedLine> split = ParseLine(line)) parsed = *split;
    }
    // The common case: both copies hold the same text, so one hash checks both.
    if (parsed && parsed->hash == row.hash &&
        parsed->body == std::string_view(canonical_).substr(0, canonical_.size() - 1)) {
      if (hasher_.Hash(canonical_) == row.hash &&
          !PlaceProblem(row.seq, row.prev_hash, position, prev_)) {
        prev_ = row.hash;
        report_.records = position;
        return true;
      }
    }
    Diagnose(row, canonical_, *got ? std::optional(line) : std::nullopt, complete, position);
    return false;
  }

  // After the store's rows: the file must end too.
  Result<void> Finish() {
    std::string_view line;
    bool complete = false;
    Result<bool> got = lines_.Next(line, complete);
    if (!got) return std::unexpected(got.error());
    if (!*got) return {};
    ++report_.file_records;
    const int64_t line_number = report_.file_records;
    Result<ParsedLine> parsed = ParseLine(line);
    if (!complete || !parsed) {
      FileProblem(line_number, 0, LineShapeProblem(complete, parsed));
      return {};
    }
    FileProblem(line_number, parsed->seq,
                store_last_ == 0
                    ? std::string("not in state.db, which holds no audit records (extra in "
                                  "the file)")
                    : fmt::format("not in state.db, which ends at record {} (extra in the file)",
                                  store_last_));
    return {};
  }

  const std::optional<Error>& failure() const { return failure_; }
  bool broken() const { return report_.problem.has_value(); }
  AuditVerifyReport TakeReport() { return std::move(report_); }

 private:
  static std::string LineShapeProblem(bool complete, const Result<ParsedLine>& parsed) {
    if (!complete) return "the last line is incomplete (no newline at its end)";
    return parsed.error().message();
  }

  void FileProblem(int64_t line, int64_t seq, std::string message) {
    report_.problem = AuditProblem{.source = AuditProblem::Source::kFile,
                                   .line = line,
                                   .seq = seq,
                                   .message = std::move(message)};
  }
  void StoreProblem(int64_t seq, std::string message) {
    report_.problem = AuditProblem{.source = AuditProblem::Source::kStore,
                                   .line = 0,
                                   .seq = seq,
                                   .message = std::move(message)};
  }

  // Says which copy of record `position` is wrong, and how: the store's row first, then the
  // file's line, then whether they differ.
  void Diagnose(const store::AuditRow& row, const std::string& canonical,
                std::optional<std::string_view> line, bool complete, int64_t position) {
    if (HashCanonical(canonical) != row.hash) return StoreProblem(row.seq, std::string(kEdited));
    if (auto place = PlaceProblem(row.seq, row.prev_hash, position, prev_)) {
      return StoreProblem(row.seq, std::move(*place));
    }
    const int64_t line_number = report_.file_records + (line ? 0 : 1);
    if (!line) {
      return FileProblem(
          line_number, position,
          file_exists_
              ? fmt::format("missing at the end of the file (state.db holds records up to {}; "
                            "the next append writes them)",
                            store_last_)
              : fmt::format("missing: there is no audit.jsonl (state.db holds records up to {})",
                            store_last_));
    }
    Result<ParsedLine> parsed = ParseLine(*line);
    if (!complete || !parsed) {
      return FileProblem(line_number, 0, LineShapeProblem(complete, parsed));
    }
    if (HashLine(*parsed) != parsed->hash) {
      return FileProblem(line_number, parsed->seq, std::string(kEdited));
    }
    if (auto place = PlaceProblem(parsed->seq, parsed->prev, position, prev_)) {
      return FileProblem(line_number, parsed->seq, std::move(*place));
    }
    FileProblem(line_number, parsed->seq,
                fmt::format("differs from state.db's record {}: hash {} there, {} here (one copy "
                            "was rewritten)",
                            row.seq, row.hash.substr(0, 12), parsed->hash.substr(0, 12)));
  }

  LineReader& lines_;
  bool file_exists_;
  int64_t store_last_;
  std::string prev_ = std::string(kGenesisHash);
  std::string canonical_;  // the current row's canonical form, its storage reused
  CanonicalHasher hasher_;
  AuditVerifyReport report_;
  std::optional<Error> failure_;
};

}  // namespace

std::string AuditProblem::ToString() const {
  if (source == Source::kStore) return fmt::format("state.db: record {}: {}", seq, message);
  if (seq == 0) return fmt::format("audit.jsonl:{}: {}", line, message);
  return fmt::format("audit.jsonl:{}: record {}: {}", line, seq, message);
}

Result<AuditVerifyReport> VerifyAuditChain(const std::filesystem::path& state_directory) {
  const std::filesystem::path store_path = state_directory / "state.db";
  std::error_code error;
  std::unique_ptr<store::AuditStore> store;
  if (std::filesystem::exists(store_path, error)) {
    Result<std::unique_ptr<store::AuditStore>> opened = store::OpenSqliteAuditStore(store_path);
    if (!opened) return std::unexpected(opened.error());
    store = std::move(*opened);
  }
  std::optional<AuditFile> file;
  if (Result<AuditFile> opened = AuditFile::OpenForReading(state_directory / "audit.jsonl")) {
    file.emplace(std::move(*opened));
  } else if (opened.error().code() != ErrorCode::kNotFound) {
    return std::unexpected(opened.error());
  }

  // The chain as of now: appenders hold the file's lock exclusively from their store
  // transaction until their line is written, so under a shared lock the two copies are in
  // step; what is appended later is beyond both ends taken here.
  int64_t file_size = 0;
  int64_t store_last = 0;
  {
    std::optional<FileLock> lock;
    if (file) {
      Result<FileLock> locked = file->Lock(/*exclusive=*/false);
      if (!locked) return std::unexpected(locked.error());
      lock.emplace(std::move(*locked));
      Result<int64_t> size = file->Size();
      if (!size) return std::unexpected(size.error());
      file_size = *size;
    }
    if (store) {
      Result<std::optional<store::AuditRow>> last = store->LastAuditRow();
      if (!last) return std::unexpected(last.error());
      if (*last) store_last = (*last)->seq;
    }
  }

  LineReader lines(file ? &*file : nullptr, file_size);
  Verifier verifier(lines, file.has_value(), store_last);
  if (store) {
    Result<void> scanned =
        store->ScanAuditRows(std::numeric_limits<int64_t>::min(), store_last,
                             [&](const store::AuditRow& row) { return verifier.Visit(row); });
    if (!scanned) return std::unexpected(scanned.error());
    if (verifier.failure()) return std::unexpected(*verifier.failure());
  }
  if (!verifier.broken()) {
    if (Result<void> finished = verifier.Finish(); !finished) {
      return std::unexpected(finished.error());
    }
  }
  return verifier.TakeReport();
}

}  // namespace lockstep::audit
