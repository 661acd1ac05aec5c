// `lockstep run WORKFLOW`: runs a workflow of the current repository now, in the foreground,
// with live progress, then a summary table. Exit 0 when the run succeeded, 1 otherwise.
#include <fmt/core.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/duration.h"
#include "base/state_directory.h"
#include "cli/api_client.h"
#include "cli/audited_run.h"
#include "cli/command.h"
#include "cli/run_progress.h"
#include "engine/executor.h"

extern char** environ;

namespace lockstep::cli {
namespace {

struct RunOptions {
  std::string workflow;
  std::string repository = ".";
  std::string commit = "HEAD";
  std::vector<std::string> variables;
  std::string secrets_file;
  int jobs = 0;
  bool keep_going = false;
  bool skip_cloud = false;
  bool approve = false;
  bool sandbox = false;
  bool keep_workspaces = false;
  int64_t resume = 0;
  uint64_t memory_mb = 0;
  uint64_t cpu_seconds = 0;
  uint64_t max_output_mb = 64;
  std::string kill_grace = "5s";
  bool json = false;
};

nlohmann::ordered_json ToJson(const engine::RunSummary& run) {
  nlohmann::ordered_json actions = nlohmann::ordered_json::array();
  for (const engine::ActionView& action : run.actions) {
    nlohmann::ordered_json entry = {{"name", action.name},
                                    {"state", store::ToString(action.state)},
                                    {"reason", action.reason},
                                    {"log", action.log_path}};
    entry["duration_ms"] = action.duration ? nlohmann::ordered_json(action.duration->count())
                                           : nlohmann::ordered_json(nullptr);
    if (action.tests) {
      entry["tests"] = {{"passed", action.tests->passed},
                        {"failed", action.tests->failed},
                        {"skipped", action.tests->skipped}};
    }
    actions.push_back(std::move(entry));
  }
  return {{"id", run.id},
          {"workflow", run.workflow},
          {"commit", run.commit},
          {"branch", run.branch},
          {"state", store::ToString(run.state)},
          {"reason", run.reason},
          {"duration_ms", run.duration.count()},
          {"actions", std::move(actions)}};
}

int Run(const RunOptions& options, const GlobalOptions& global) {
  engine::RunRequest request;
  request.repository = options.repository;
  request.workflow = options.workflow;
  request.revision = options.commit;
  request.jobs = options.jobs;
  request.keep_going = options.keep_going;
  request.skip_cloud = options.skip_cloud;
  request.approve = options.approve;
  request.sandbox = options.sandbox;
  request.keep_workspaces = options.keep_workspaces;
  if (options.resume > 0) request.resume = options.resume;
  if (options.memory_mb > 0) request.limits.address_space_bytes = options.memory_mb << 20;
  if (options.cpu_seconds > 0) request.limits.cpu_seconds = options.cpu_seconds;
  request.max_output_bytes = options.max_output_mb << 20;
  auto grace = ParseDuration(options.kill_grace);
  if (!grace) {
    fmt::print(stderr, "lockstep: error: --kill-grace: {}\n", grace.error().message());
    return kExitUsage;
  }
  request.kill_grace = *grace;
  for (const std::string& variable : options.variables) {
    size_t equals = variable.find('=');
    if (equals == std::string::npos || equals == 0) {
      fmt::print(stderr, "lockstep: error: --var expects NAME=VALUE, got '{}'\n", variable);
      return kExitUsage;
    }
    request.variables.emplace_back(variable.substr(0, equals), variable.substr(equals + 1));
  }
  request.secrets = engine::SecretsFromEnvironment(environ);
  if (!options.secrets_file.empty()) {
    auto secrets = engine::LoadSecretsFile(options.secrets_file);
    if (!secrets) {
      fmt::print(stderr, "lockstep: error: {}\n", secrets.error().ToString());
      return kExitFailure;
    }
    for (auto& [name, value] : *secrets) request.secrets[name] = value;
  }
  auto state_directory = FindStateDirectory(options.repository);
  if (!state_directory) {
    fmt::print(stderr, "lockstep: error: {}\n", state_directory.error().message());
    return kExitFailure;
  }
  request.state_directory = *state_directory;
  if (const char* gateway = std::getenv("LOCKSTEP_GATEWAY_URL"); gateway != nullptr) {
    request.gateway_url = gateway;
  }

  // Progress goes to stderr when stdout carries JSON.
  std::FILE* out = options.json ? stderr : stdout;
  int fd = options.json ? STDERR_FILENO : STDOUT_FILENO;
  const char* term = std::getenv("TERM");
  bool board = ::isatty(fd) && !(term != nullptr && std::string_view(term) == "dumb");
  RunProgress progress(out, board, UseColor(global, fd));
  std::error_code error;
  AuditedRunObserver audited(progress, request.state_directory, ActorName(),
                             std::filesystem::absolute(request.repository, error).string());
  auto summary = engine::RunWorkflow(request, audited);
  if (!summary) {
    fmt::print(stderr, "lockstep: error: {}\n", summary.error().ToString());
    return kExitFailure;
  }
  if (options.json)
    fmt::print("{}\n",
               ToJson(*summary).dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  return summary->state == store::RunState::kSucceeded ? kExitSuccess : kExitFailure;
}

}  // namespace

CommandSpec RunCommand() {
  return {"run", "Run a workflow now, locally, with live progress",
          [](CLI::App& app, const GlobalOptions& global) -> std::function<int()> {
            auto options = std::make_shared<RunOptions>();
            app.add_option("workflow", options->workflow,
                           "The workflow's Name or its file (not with --resume)");
            app.add_option("--repo", options->repository, "The repository (default: here)");
            app.add_option("--commit", options->commit,
                           "The commit whose sources the actions get (default: HEAD)");
            app.add_option("--var", options->variables,
                           "NAME=VALUE in every action's environment (repeatable)");
            app.add_option("--secrets", options->secrets_file,
                           "A file of NAME=VALUE secrets, readable only by you");
            app.add_option("-j,--jobs", options->jobs, "Actions at once (default: cores)")
                ->check(CLI::Range(1, 1024));
            app.add_flag("-k,--keep-going", options->keep_going,
                         "Keep running actions that do not depend on a failure");
            app.add_flag("--skip-cloud", options->skip_cloud,
                         "Skip actions that run only in AWS instead of refusing to start");
            app.add_flag("--approve", options->approve, "Approve the run's approval actions");
            app.add_flag("--sandbox", options->sandbox,
                         "Run every action under bubblewrap: read-only system, no network");
            app.add_flag("--keep-workspaces", options->keep_workspaces,
                         "Keep the folders of succeeded actions (failed ones are always kept)");
            app.add_option("--resume", options->resume,
                           "Rerun what did not succeed in run ID, reusing the rest")
                ->check(CLI::PositiveNumber);
            app.add_option("--memory-limit", options->memory_mb,
                           "Address-space limit per action, in MiB");
            app.add_option("--cpu-limit", options->cpu_seconds,
                           "CPU-time limit per action process, in seconds");
            app.add_option("--max-output", options->max_output_mb,
                           "Output kept per action, in MiB (default 64); the rest is dropped "
                           "with a note")
                ->check(CLI::Range(1, 1 << 20));
            app.add_option("--kill-grace", options->kill_grace,
                           "Time between SIGTERM and SIGKILL when stopping an action "
                           "(default 5s)");
            app.add_flag("--json", options->json,
                         "Print the run's summary as JSON on stdout (progress on stderr)");
            return [options, &global, &app]() -> int {
              if (options->workflow.empty() == (options->resume == 0)) {
                fmt::print(stderr, "lockstep: error: give a workflow or --resume RUN\n{}",
                           app.help());
                return kExitUsage;
              }
              return Run(*options, global);
            };
          }};
}

}  // namespace lockstep::cli
