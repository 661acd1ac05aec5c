// `lockstep triggers --from REF --to REF`: which workflows a push of that range would start,
// and why: the changed paths from git, the workflows as they are at the pushed commit, and
// CodeCatalyst's trigger rules.
#include <fmt/core.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "cli/command.h"
#include "git/repository.h"
#include "triggers/evaluate.h"
#include "workflow/discovery.h"
#include "workflow/load.h"

namespace lockstep::cli {
namespace {

namespace fs = std::filesystem;

struct TriggersOptions {
  std::string repository = ".";
  std::string from;
  std::string to;
  std::string branch;
  bool json = false;
};

struct Verdict {
  std::string workflow;
  std::string file;
  triggers::TriggerDecision decision;
};

// The workflow files of `commit`, exported into `scratch` (the definitions a push starts are
// the pushed ones, not the work tree's). Paths come back relative to the repository root.
Result<std::vector<std::pair<std::string, fs::path>>> WorkflowsAt(const git::Repository& repository,
                                                                  std::string_view commit,
                                                                  const fs::path& scratch) {
  std::vector<std::pair<std::string, fs::path>> files;
  for (std::string_view folder : {".codecatalyst/workflows", ".lockstep/workflows"}) {
    fs::path destination = scratch / folder;
    auto exported = repository.ExportTree(commit, folder, destination);
    if (!exported) {
      // No such folder at that commit, or one that is a file or a link: no workflows there.
      if (exported.error().code() == ErrorCode::kNotFound ||
          exported.error().code() == ErrorCode::kInvalidArgument) {
        continue;
      }
      return std::unexpected(exported.error());
    }
    auto found = workflow::FindYamlFiles(destination);
    if (!found) return std::unexpected(found.error());
    for (const fs::path& file : *found) {
      // A committed symbolic link is not a workflow (CodeCatalyst does not follow them), and
      // following it would read a file of this machine, outside the commit.
      std::error_code error;
      fs::path relative = file.lexically_relative(destination);
      bool linked = false;
      for (fs::path part = destination; const fs::path& name : relative) {
        part /= name;
        if (fs::is_symlink(part, error)) linked = true;
      }
      if (linked) continue;
      files.emplace_back((fs::path(folder) / relative).string(), file);
    }
  }
  return files;
}

int Report(const Error& error) {
  fmt::print(stderr, "lockstep: error: {}\n", error.ToString());
  return kExitFailure;
}

int Run(const TriggersOptions& options) {
  auto repository = git::Repository::Open(options.repository);
  if (!repository) return Report(repository.error());
  auto from = repository->ResolveCommit(options.from);
  if (!from) return Report(from.error());
  auto to = repository->ResolveCommit(options.to);
  if (!to) return Report(to.error());
  std::string branch = options.branch;
  if (branch.empty()) {
    auto current = repository->CurrentBranch();
    if (!current) return Report(current.error());
    if (current->empty()) {
      return Report(Error(ErrorCode::kInvalidArgument,
                          "HEAD is not on a branch: say which branch was pushed with --branch"));
    }
    branch = *current;
  }
  auto changes = repository->ChangedPaths(*from, *to);
  if (!changes) return Report(changes.error());
  triggers::PushEvent push{.branch = branch, .changed_paths = {}};
  for (const git::ChangedPath& change : *changes) {
    if (!change.old_path.empty()) push.changed_paths.push_back(change.old_path);
    push.changed_paths.push_back(change.path);
  }

  char scratch_template[] = "/tmp/lockstep-triggers-XXXXXX";
  if (::mkdtemp(scratch_template) == nullptr) return Report(ErrnoError(errno, "mkdtemp"));
  fs::path scratch = scratch_template;
  auto files = WorkflowsAt(*repository, *to, scratch);
  std::vector<Verdict> verdicts;
  if (files) {
    for (const auto& [relative, path] : *files) {
      auto text = ReadFile(path);
      auto loaded = text ? workflow::LoadWorkflow(*text, relative)
                         : workflow::LoadResult{std::nullopt, DiagnosticList(relative)};
      Verdict verdict{.workflow = "", .file = relative, .decision = {}};
      if (!loaded.ok()) {
        verdict.decision.reasons = {"the workflow has errors (see lockstep validate)"};
        if (loaded.workflow) verdict.workflow = loaded.workflow->name;
      } else {
        verdict.workflow = loaded.workflow->name;
        verdict.decision = triggers::EvaluatePush(*loaded.workflow, push);
      }
      verdicts.push_back(std::move(verdict));
    }
  }
  (void)RemoveTree(scratch);
  if (!files) return Report(files.error());

  if (options.json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const Verdict& verdict : verdicts) {
      out.push_back({{"workflow", verdict.workflow},
                     {"file", verdict.file},
                     {"fires", verdict.decision.fires},
                     {"reasons", verdict.decision.reasons}});
    }
    fmt::print("{}\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    return kExitSuccess;
  }
  int firing = 0;
  for (const Verdict& verdict : verdicts) firing += verdict.decision.fires ? 1 : 0;
  fmt::print("push to {} of {}..{}: {} path{} changed; {} of {} workflow{} fire{}\n", branch,
             from->substr(0, 7), to->substr(0, 7), changes->size(), changes->size() == 1 ? "" : "s",
             firing, verdicts.size(), verdicts.size() == 1 ? "" : "s", firing == 1 ? "s" : "");
  for (const Verdict& verdict : verdicts) {
    fmt::print("  {:<14} {} ({})\n", verdict.decision.fires ? "fires" : "does not fire",
               verdict.workflow.empty() ? "?" : verdict.workflow, verdict.file);
    for (const std::string& reason : verdict.decision.reasons)
      fmt::print("  {:<14}   {}\n", "", reason);
  }
  return kExitSuccess;
}

}  // namespace

CommandSpec TriggersCommand() {
  return {"triggers", "Which workflows a push would start, and why",
          [](CLI::App& app, const GlobalOptions&) -> std::function<int()> {
            auto options = std::make_shared<TriggersOptions>();
            app.add_option("--repo", options->repository, "The repository (default: here)");
            app.add_option("--from", options->from, "The commit before the push")->required();
            app.add_option("--to", options->to, "The pushed commit")->required();
            app.add_option("--branch", options->branch,
                           "The branch pushed to (default: the current branch)");
            app.add_flag("--json", options->json,
                         "A list of {workflow, file, fires, reasons} objects");
            return [options] { return Run(*options); };
          }};
}

}  // namespace lockstep::cli
