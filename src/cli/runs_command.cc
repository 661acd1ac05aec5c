// `lockstep runs`: lists recent runs, newest first.
#include <fmt/core.h>

#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/run_progress.h"
#include "cli/state_store.h"

namespace lockstep::cli {
namespace {

struct RunsOptions {
  int limit = 20;
  bool json = false;
};

std::string LocalTime(store::TimeMs ms) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm local{};
  localtime_r(&seconds, &local);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", local.tm_year + 1900, local.tm_mon + 1,
                     local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec);
}

int Run(const RunsOptions& options) {
  auto store = OpenStateStore(std::filesystem::current_path());
  if (!store) {
    if (store.error().code() == ErrorCode::kNotFound && options.json) {
      fmt::print("[]\n");
      return kExitSuccess;
    }
    fmt::print(stderr, "lockstep: {}\n", store.error().message());
    return store.error().code() == ErrorCode::kNotFound ? kExitSuccess : kExitFailure;
  }
  auto runs = (*store)->ListRuns(options.limit);
  if (!runs) {
    fmt::print(stderr, "lockstep: error: {}\n", runs.error().message());
    return kExitFailure;
  }
  if (options.json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const store::RunRecord& run : *runs) {
      nlohmann::ordered_json entry = {{"id", run.id},
                                      {"workflow", run.workflow},
                                      {"file", run.workflow_file},
                                      {"repository", run.repository},
                                      {"commit", run.commit},
                                      {"branch", run.branch},
                                      {"mode", store::ToString(run.mode)},
                                      {"state", store::ToString(run.state)},
                                      {"reason", run.reason},
                                      {"created_at_ms", run.created_at}};
      entry["started_at_ms"] = run.started_at ? nlohmann::ordered_json(*run.started_at) : nullptr;
      entry["finished_at_ms"] =
          run.finished_at ? nlohmann::ordered_json(*run.finished_at) : nullptr;
      out.push_back(std::move(entry));
    }
    fmt::print("{}\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    return kExitSuccess;
  }
  if (runs->empty()) {
    fmt::print("no runs yet\n");
    return kExitSuccess;
  }
  size_t width = 8;
  for (const auto& run : *runs) width = std::max(width, run.workflow.size());
  fmt::print("{:>5}  {:<{}}  {:<11}  {:<19}  {:>8}  {}\n", "RUN", "WORKFLOW", width, "STATE",
             "STARTED", "TIME", "COMMIT");
  for (const auto& run : *runs) {
    std::string time;
    if (run.started_at && run.finished_at)
      time = FormatDuration(std::chrono::milliseconds(*run.finished_at - *run.started_at));
    fmt::print("{:>5}  {:<{}}  {:<11}  {:<19}  {:>8}  {}{}\n", run.id, run.workflow, width,
               store::ToString(run.state), LocalTime(run.started_at.value_or(run.created_at)), time,
               run.commit.substr(0, 12), run.reason.empty() ? "" : "  " + run.reason);
  }
  return kExitSuccess;
}

}  // namespace

CommandSpec RunsCommand() {
  return {"runs", "List recent runs",
          [](CLI::App& app, const GlobalOptions&) -> std::function<int()> {
            auto options = std::make_shared<RunsOptions>();
            app.add_option("-n,--limit", options->limit, "How many (default 20)")
                ->check(CLI::Range(1, 100000));
            app.add_flag("--json", options->json, "Print the runs as JSON");
            return [options] { return Run(*options); };
          }};
}

}  // namespace lockstep::cli
