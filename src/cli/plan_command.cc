// `lockstep plan`: what a rollout would do now, from what changed since the last good one —
// read from the workspace's repositories, nothing changed anywhere.
#include <fmt/core.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/state_directory.h"
#include "base/strings.h"
#include "cli/command.h"
#include "cli/last_good.h"
#include "coord/plan.h"
#include "coord/workspace.h"

namespace lockstep::cli {
namespace {

namespace fs = std::filesystem;

struct PlanOptions {
  std::string environment;
  std::string workspace;
  std::vector<std::string> baselines;  // REPO=REVISION
  std::string baseline_file;
  bool json = false;
};

int UsageError(const std::string& message) {
  fmt::print(stderr, "lockstep: error: {}\n", message);
  return kExitUsage;
}

// Adds "REPO=REVISION" to `baseline`; false when it is not of that form.
bool AddBaseline(std::string_view text, std::map<std::string, std::string>& baseline) {
  size_t equals = text.find('=');
  if (equals == std::string_view::npos || equals == 0 || equals + 1 == text.size()) return false;
  baseline[std::string(text.substr(0, equals))] = std::string(text.substr(equals + 1));
  return true;
}

// The --baseline-file: one REPO=REVISION a line; blank lines and lines starting with '#' are
// skipped. A bad line fails with kInvalidArgument naming the file and line.
Result<void> ReadBaselineFile(const std::string& file,
                              std::map<std::string, std::string>& baseline) {
  Result<std::string> text = ReadFile(file);
  if (!text) return std::unexpected(text.error());
  std::string_view rest = *text;
  for (int line = 1; !rest.empty(); ++line) {
    size_t end = rest.find('\n');
    std::string_view entry = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    while (!entry.empty() && (entry.back() == '\r' || entry.back() == ' ')) entry.remove_suffix(1);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    if (entry.empty() || entry.starts_with('#')) continue;
    if (!AddBaseline(entry, baseline)) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("{}:{}: expected REPOSITORY=REVISION", file, line));
    }
  }
  return {};
}

int Run(const PlanOptions& options) {
  fs::path file;
  if (!options.workspace.empty()) {
    file = options.workspace;
  } else if (std::optional<fs::path> found = FindWorkspaceFile(fs::current_path())) {
    file = *found;
  } else {
    fmt::print(stderr,
               "lockstep: error: no lockstep.yaml in {} or a folder above it; give one with "
               "--workspace\n",
               fs::current_path().string());
    return kExitFailure;
  }
  Result<coord::Workspace> workspace = coord::ReadWorkspaceFile(file);
  if (!workspace) {
    // The message holds one "file:line:col: error: …" line per problem.
    bool diagnostics = workspace.error().code() == ErrorCode::kInvalidArgument;
    fmt::print(stderr, "{}{}\n",
               diagnostics ? "" : "lockstep: error: ", workspace.error().message());
    return kExitFailure;
  }

  coord::PlanRequest request;
  request.workspace = &*workspace;
  if (!options.baseline_file.empty()) {
    if (Result<void> read = ReadBaselineFile(options.baseline_file, request.baseline); !read) {
      return UsageError(read.error().message());
    }
  }
  for (const std::string& text : options.baselines) {
    if (!AddBaseline(text, request.baseline)) {
      return UsageError(fmt::format("--baseline '{}' must be REPOSITORY=REVISION", text));
    }
  }
  for (const auto& [name, revision] : request.baseline) {
    if (workspace->FindRepository(name) == nullptr) {
      return UsageError(fmt::format("--baseline names '{}', which is not a repository of {}", name,
                                    file.string()));
    }
  }
  if (!options.environment.empty() && workspace->FindEnvironment(options.environment) == nullptr) {
    std::vector<std::string> names;
    for (const coord::EnvironmentSpec& environment : workspace->environments) {
      names.push_back(environment.name);
    }
    return UsageError(fmt::format("unknown environment '{}'; {} declares {}", options.environment,
                                  file.string(), Join(names, ", ")));
  }
  request.environment =
      options.environment.empty() ? workspace->environments.front().name : options.environment;

  Result<fs::path> state = FindStateDirectory(workspace->root);
  if (!state) {
    fmt::print(stderr, "lockstep: error: {}\n", state.error().message());
    return kExitFailure;
  }
  request.mirrors_dir = *state / "mirrors";
  Result<std::map<std::string, std::string>> last_good =
      LastGoodCommits(*state, request.environment);
  if (!last_good) {
    fmt::print(stderr, "lockstep: error: {}\n", last_good.error().message());
    return kExitFailure;
  }
  request.last_good = std::move(*last_good);

  Result<coord::Plan> plan = coord::MakePlan(request);
  if (!plan) {
    fmt::print(stderr, "lockstep: error: {}\n", plan.error().ToString());
    return kExitFailure;
  }
  fmt::print("{}", options.json ? coord::PlanToJson(*plan) + "\n" : coord::FormatPlan(*plan));
  return kExitSuccess;
}

}  // namespace

CommandSpec PlanCommand() {
  return {"plan", "What a rollout would do now: changes, syncs, workflows, order",
          [](CLI::App& app, const GlobalOptions&) -> std::function<int()> {
            auto options = std::make_shared<PlanOptions>();
            app.add_option("-e,--environment", options->environment,
                           "The environment (default: the first lockstep.yaml declares)");
            app.add_option("--workspace", options->workspace,
                           "The workspace file (default: the nearest lockstep.yaml here or above)");
            app.add_option("--baseline", options->baselines,
                           "REPOSITORY=REVISION: plan against this revision instead of the last "
                           "good rollout's commit (repeatable; overrides --baseline-file)");
            app.add_option("--baseline-file", options->baseline_file,
                           "A file of REPOSITORY=REVISION lines, as --baseline");
            app.add_flag("--json", options->json, "Print the plan as JSON");
            return [options] { return Run(*options); };
          }};
}

}  // namespace lockstep::cli
