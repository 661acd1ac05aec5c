// `lockstep audit verify` and `lockstep audit log`: check the audit chain of the state
// directory, and read it. Both only read: neither appends nor repairs anything.
#include <fmt/core.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "audit/audit_log.h"
#include "audit/canonical.h"
#include "audit/verify.h"
#include "base/state_directory.h"
#include "cli/command.h"
#include "cli/since_time.h"
#include "store/audit_store.h"

namespace lockstep::cli {
namespace {

namespace fs = std::filesystem;

struct AuditOptions {
  bool json = false;
  std::string since;
  int limit = 50;
};

int Report(const Error& error) {
  fmt::print(stderr, "lockstep: error: {}\n", error.ToString());
  return kExitFailure;
}

int RunVerify(const AuditOptions& options) {
  Result<fs::path> directory = FindStateDirectory(fs::current_path());
  if (!directory) return Report(directory.error());
  Result<audit::AuditVerifyReport> report = audit::VerifyAuditChain(*directory);
  if (!report) return Report(report.error());
  const std::optional<audit::AuditProblem>& problem = report->problem;
  if (options.json) {
    nlohmann::ordered_json out = {{"state_directory", directory->string()},
                                  {"intact", report->intact()},
                                  {"records", report->records},
                                  {"file_records", report->file_records},
                                  {"store_records", report->store_records}};
    if (problem) {
      const bool in_file = problem->source == audit::AuditProblem::Source::kFile;
      out["problem"] = {{"file", in_file ? "audit.jsonl" : "state.db"},
                        {"line", in_file ? nlohmann::ordered_json(problem->line) : nullptr},
                        {"seq", problem->seq != 0 ? nlohmann::ordered_json(problem->seq) : nullptr},
                        {"message", problem->message},
                        {"text", problem->ToString()}};
    } else {
      out["problem"] = nullptr;
    }
    fmt::print("{}\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    return report->intact() ? kExitSuccess : kExitFailure;
  }
  if (!problem) {
    fmt::print("audit chain intact: {} record{} in {} (audit.jsonl and state.db agree)\n",
               report->records, report->records == 1 ? "" : "s", directory->string());
    return kExitSuccess;
  }
  fmt::print("{}\n", problem->ToString());
  fmt::print("audit chain broken in {}: {}\n", directory->string(),
             report->records == 0   ? std::string("no record before it verifies")
             : report->records == 1 ? std::string("record 1 verifies")
                                    : fmt::format("records 1 to {} verify", report->records));
  return kExitFailure;
}

// A record's details on one line for the table: key=value pairs (strings bare unless they
// need quotes, the rest as compact JSON), cut at `width` characters.
std::string ShortDetails(const nlohmann::json& details, size_t width) {
  std::string text;
  if (details.is_object()) {
    for (const auto& [key, value] : details.items()) {
      if (!text.empty()) text += ' ';
      text += key;
      text += '=';
      if (value.is_string() && !value.get_ref<const std::string&>().empty() &&
          value.get_ref<const std::string&>().find_first_of(" \"=\t\n") == std::string::npos) {
        text += value.get_ref<const std::string&>();
      } else {
        text += value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      }
    }
  } else {
    text = details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  if (text.size() > width) {
    // Cut on a UTF-8 character boundary.
    size_t cut = width - 1;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
    text = text.substr(0, cut) + "…";
  }
  return text;
}

int RunLog(const AuditOptions& options) {
  Result<fs::path> directory = FindStateDirectory(fs::current_path());
  if (!directory) return Report(directory.error());
  audit::AuditQuery query{
      .after_seq = 0, .since = 0, .limit = static_cast<size_t>(options.limit), .latest = true};
  if (!options.since.empty()) {
    Result<int64_t> since = ParseSince(options.since, store::NowMs());
    if (!since) {
      fmt::print(stderr, "lockstep: error: {}\n", since.error().message());
      return kExitUsage;
    }
    query.since = *since;
  }
  std::vector<audit::AuditEntry> entries;
  std::error_code error;
  if (fs::exists(*directory / "state.db", error)) {
    Result<std::unique_ptr<store::AuditStore>> store =
        store::OpenSqliteAuditStore(*directory / "state.db");
    if (!store) return Report(store.error());
    Result<std::vector<audit::AuditEntry>> read = audit::ReadAuditRecords(**store, query);
    if (!read) return Report(read.error());
    entries = std::move(*read);
  }
  if (options.json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const audit::AuditEntry& entry : entries) {
      out.push_back({{"seq", entry.seq},
                     {"time", audit::FormatAuditTime(entry.time)},
                     {"time_ms", entry.time},
                     {"actor", entry.actor},
                     {"action", entry.action},
                     {"subject", entry.subject},
                     {"details", entry.details},
                     {"prev", entry.prev_hash},
                     {"hash", entry.hash}});
    }
    fmt::print("{}\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    return kExitSuccess;
  }
  if (entries.empty()) {
    fmt::print("no audit records{} in {}\n", options.since.empty() ? "" : " since " + options.since,
               directory->string());
    return kExitSuccess;
  }
  size_t seq_width = 3;
  size_t actor_width = 5;
  size_t action_width = 6;
  size_t subject_width = 7;
  for (const audit::AuditEntry& entry : entries) {
    seq_width = std::max(seq_width, std::to_string(entry.seq).size());
    actor_width = std::max(actor_width, entry.actor.size());
    action_width = std::max(action_width, entry.action.size());
    subject_width = std::max(subject_width, entry.subject.size());
  }
  fmt::print("{:>{}}  {:<19}  {:<{}}  {:<{}}  {:<{}}  {}\n", "SEQ", seq_width, "TIME (UTC)",
             "ACTOR", actor_width, "ACTION", action_width, "SUBJECT", subject_width, "DETAILS");
  for (const audit::AuditEntry& entry : entries) {
    // "2026-12-05T01:02:03.456Z" → "2026-12-05 01:02:03"
    std::string time = audit::FormatAuditTime(entry.time).substr(0, 19);
    time[10] = ' ';
    std::string line =
        fmt::format("{:>{}}  {:<19}  {:<{}}  {:<{}}  {:<{}}  {}", entry.seq, seq_width, time,
                    entry.actor, actor_width, entry.action, action_width, entry.subject,
                    subject_width, ShortDetails(entry.details, 60));
    while (!line.empty() && line.back() == ' ') line.pop_back();
    fmt::print("{}\n", line);
  }
  return kExitSuccess;
}

}  // namespace

CommandSpec AuditCommand() {
  return {
      "audit", "Check and read the audit chain",
      [](CLI::App& app, const GlobalOptions&) -> std::function<int()> {
        auto options = std::make_shared<AuditOptions>();
        app.require_subcommand(1);
        CLI::App* verify = app.add_subcommand(
            "verify",
            "Recompute the chain in audit.jsonl and state.db; exit 1 naming the first "
            "broken record");
        verify->add_flag("--json", options->json,
                         "Print {state_directory, intact, records, file_records, "
                         "store_records, problem}");
        CLI::App* log = app.add_subcommand("log", "List audit records, oldest first");
        log->add_option("--since", options->since,
                        "Only records from this UTC time (2026-12-05, "
                        "2026-12-05T01:02:03Z) or this long ago (15m, 2h, 3d)");
        log->add_option("-n,--limit", options->limit, "At most this many, the latest (default 50)")
            ->check(CLI::Range(1, 1'000'000));
        log->add_flag("--json", options->json, "Print the records as JSON");
        return
            [options, verify] { return verify->parsed() ? RunVerify(*options) : RunLog(*options); };
      }};
}

}  // namespace lockstep::cli
