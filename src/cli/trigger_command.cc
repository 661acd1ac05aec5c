// `lockstep trigger REPOSITORY WORKFLOW [--timeout D] [--no-wait] [--variables-file F]`: starts
// a workflow in another repository of the workspace (lockstep.yaml's name for it) as its own
// `lockstep run`, and waits for its result. lockstep/trigger@v1 runs this.
#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>

#include "base/duration.h"
#include "base/state_directory.h"
#include "cli/command.h"
#include "coord/child_run.h"
#include "coord/workspace.h"
#include "engine/step_script.h"
#include "git/repository.h"

extern char** environ;

namespace lockstep::cli {
namespace {

namespace fs = std::filesystem;

struct TriggerFlags {
  std::string repository;
  std::string workflow;
  std::string timeout = "1h";
  bool no_wait = false;
  std::string variables_file;
};

// The work tree of repository `name`: as the workspace names it, else the folder of that name
// beside the current repository (as lockstep/sync@v1 reads names).
Result<fs::path> FindRepository(const std::string& name) {
  std::optional<fs::path> file = FindWorkspaceFile(fs::current_path());
  if (file) {
    Result<coord::Workspace> workspace = coord::ReadWorkspaceFile(*file);
    if (!workspace) return std::unexpected(workspace.error());
    const coord::RepositorySpec* repository = workspace->FindRepository(name);
    if (repository == nullptr) {
      return Fail(ErrorCode::kNotFound,
                  fmt::format("no repository '{}' in {}", name, file->string()));
    }
    if (repository->path.empty()) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("repository '{}' is a URL; a workflow runs in a work tree", name));
    }
    return repository->path;
  }
  Result<git::Repository> here = git::Repository::Open(fs::current_path());
  if (!here) return std::unexpected(here.error());
  fs::path beside = here->work_tree().parent_path() / name;
  std::error_code error;
  if (!fs::is_directory(beside, error)) {
    return Fail(ErrorCode::kNotFound,
                fmt::format("no lockstep.yaml names repository '{}', and there is no folder {}",
                            name, beside.string()));
  }
  return beside;
}

Result<void> WriteOutputs(const std::string& file, int64_t run_id, std::string_view status) {
  if (file.empty()) return {};
  std::ofstream out(file, std::ios::trunc);
  out << "RunId=" << engine::ShellQuote(run_id == 0 ? "" : std::to_string(run_id)) << "\n"
      << "Status=" << engine::ShellQuote(std::string(status)) << "\n";
  if (!out.flush()) return Fail(ErrorCode::kIoError, fmt::format("cannot write {}", file));
  return {};
}

int Run(const TriggerFlags& flags) {
  auto fail = [](const Error& error, int code) {
    fmt::print(stderr, "lockstep: error: {}\n", error.message());
    return code;
  };
  Result<std::chrono::milliseconds> timeout = ParseDuration(flags.timeout);
  if (!timeout)
    return fail(Error(timeout.error().code(), "--timeout: " + timeout.error().message()),
                kExitUsage);
  // The names reach a path (the log's) and messages: plain names only.
  auto plain = [](std::string_view name) {
    return !name.empty() && name.front() != '.' && name.front() != '-' &&
           std::ranges::all_of(name, [](char c) {
             return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
           });
  };
  if (!plain(flags.repository)) {
    return fail(Error(ErrorCode::kInvalidArgument,
                      fmt::format("'{}' is not a repository name", flags.repository)),
                kExitUsage);
  }
  std::string workflow_label = flags.workflow;
  std::ranges::replace_if(
      workflow_label, [](char c) { return c == '/' || c == '\\'; }, '_');
  Result<fs::path> repository = FindRepository(flags.repository);
  if (!repository) return fail(repository.error(), kExitFailure);
  Result<fs::path> state = FindStateDirectory(fs::current_path());
  if (!state) return fail(state.error(), kExitFailure);
  std::error_code error;
  fs::path executable = fs::read_symlink("/proc/self/exe", error);
  fs::path log = *state / "logs" / "triggers" /
                 fmt::format("{}-{}-{}.log", flags.repository, workflow_label, ::getpid());
  fs::create_directories(log.parent_path(), error);

  if (flags.no_wait) {
    pid_t pid = ::fork();
    if (pid < 0) return fail(Error(ErrorCode::kIoError, "fork failed"), kExitFailure);
    if (pid == 0) {
      ::setsid();
      int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (out >= 0) {
        ::dup2(out, STDOUT_FILENO);
        ::dup2(out, STDERR_FILENO);
      }
      std::string repo = repository->string();
      ::execl(executable.c_str(), executable.c_str(), "run", flags.workflow.c_str(), "--repo",
              repo.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    fmt::print("started {}/{} (its log: {})\n", flags.repository, flags.workflow, log.string());
    if (Result<void> written = WriteOutputs(flags.variables_file, 0, "started"); !written) {
      return fail(written.error(), kExitFailure);
    }
    return kExitSuccess;
  }

  std::vector<std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) environment.emplace_back(*entry);
  fmt::print("triggering {}/{} in {} (waiting up to {})\n", flags.repository, flags.workflow,
             repository->string(), DescribeDuration(*timeout));
  std::fflush(stdout);
  Result<coord::ChildRunResult> result =
      coord::RunWorkflowProcess({.executable = executable,
                                 .repository = *repository,
                                 .workflow = flags.workflow,
                                 .commit = "HEAD",
                                 .variables = {},
                                 .approve = false,
                                 .environment = std::move(environment),
                                 .log_file = log,
                                 .timeout = *timeout});
  if (!result) return fail(result.error(), kExitFailure);
  if (Result<void> written = WriteOutputs(flags.variables_file, result->run_id, result->state);
      !written) {
    return fail(written.error(), kExitFailure);
  }
  if (result->succeeded()) {
    fmt::print("{}/{}: run {} succeeded\n", flags.repository, flags.workflow, result->run_id);
    return kExitSuccess;
  }
  fmt::print(stderr, "{}/{}: {}{}\n  its progress: {}\n", flags.repository, flags.workflow,
             result->run_id != 0 ? fmt::format("run {} {}: ", result->run_id, result->state) : "",
             result->reason, log.string());
  return kExitFailure;
}

}  // namespace

CommandSpec TriggerCommand() {
  return {"trigger", "Run a workflow of another repository of the workspace and wait for it",
          [](CLI::App& app, const GlobalOptions&) -> std::function<int()> {
            auto flags = std::make_shared<TriggerFlags>();
            app.add_option("repository", flags->repository,
                           "The repository, as lockstep.yaml names it")
                ->required();
            app.add_option("workflow", flags->workflow, "The workflow's Name or file")->required();
            app.add_option("--timeout", flags->timeout, "How long to wait for its result")
                ->default_str("1h");
            app.add_flag("--no-wait", flags->no_wait, "Start it and return");
            app.add_option("--variables-file", flags->variables_file,
                           "Write RunId=… and Status=… here (for lockstep/trigger@v1)");
            return [flags] { return Run(*flags); };
          }};
}

}  // namespace lockstep::cli
