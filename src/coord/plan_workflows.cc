// Trigger analysis for a plan: the workflow files as they are at the repository's head (the
// definitions a rollout would run, read from git, not from a work tree that may differ),
// each evaluated for a push of the changed paths to the repository's branch.
#include <fmt/core.h>

#include "coord/plan_steps.h"
#include "triggers/evaluate.h"
#include "workflow/load.h"

namespace lockstep::coord {
namespace {

constexpr std::string_view kWorkflowFolders[] = {".codecatalyst/workflows", ".lockstep/workflows"};
constexpr uint32_t kSymlinkMode = 0120000;

bool IsYamlFile(std::string_view path) { return path.ends_with(".yaml") || path.ends_with(".yml"); }

}  // namespace

Result<void> EvaluateWorkflows(const OpenedRepository& opened,
                               const std::vector<std::string>& changed_paths,
                               PlannedRepository& repository) {
  const git::Repository& git = opened.repository;
  triggers::PushEvent push{.branch = opened.branch, .changed_paths = changed_paths};
  for (std::string_view folder : kWorkflowFolders) {
    Result<std::string> tree = git.TreeIdAt(opened.head, folder);
    if (!tree) {
      // No such folder at that commit, or a file of that name: no workflows there.
      ErrorCode code = tree.error().code();
      if (code == ErrorCode::kNotFound || code == ErrorCode::kInvalidArgument) continue;
      return std::unexpected(RepositoryError(*opened.spec, tree.error()));
    }
    Result<git::TreeFiles> listing = git.ListFiles(*tree);
    if (!listing) return std::unexpected(RepositoryError(*opened.spec, listing.error()));
    for (const git::TreeFile& file : listing->files) {
      // A committed symbolic link is not a workflow: CodeCatalyst does not follow them.
      if (file.mode == kSymlinkMode || !IsYamlFile(file.path)) continue;
      std::string relative = fmt::format("{}/{}", folder, file.path);
      std::string text;
      Result<void> read = git.VisitBlob(file.blob_id, [&](std::string_view content) {
        text.assign(content);
        return Result<void>();
      });
      if (!read) return std::unexpected(RepositoryError(*opened.spec, read.error()));
      workflow::LoadResult loaded = workflow::LoadWorkflow(text, relative);
      PlannedWorkflow planned{
          .name = loaded.workflow ? loaded.workflow->name : "", .file = relative, .reasons = {}};
      if (!loaded.ok()) {
        std::string first;
        for (const Diagnostic& diagnostic : loaded.diagnostics.items()) {
          if (diagnostic.severity != Severity::kError) continue;
          first = fmt::format("{}:{}: {}", diagnostic.location.line, diagnostic.location.column,
                              diagnostic.message);
          break;
        }
        planned.reasons = {
            fmt::format("the workflow has errors (see lockstep validate): {}", first)};
        repository.not_firing.push_back(std::move(planned));
        continue;
      }
      triggers::TriggerDecision decision = triggers::EvaluatePush(*loaded.workflow, push);
      planned.reasons = std::move(decision.reasons);
      (decision.fires ? repository.workflows : repository.not_firing).push_back(std::move(planned));
    }
  }
  return {};
}

}  // namespace lockstep::coord
