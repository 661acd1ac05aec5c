// FormatPlan: the plan as a tree a person reads top to bottom, like `cargo tree`: the
// strategy, then each stage with its repositories, why each is there, the syncs into it and
// which workflows fire (with the trigger's reasons) or not.
#include <fmt/core.h>

#include "base/strings.h"
#include "coord/plan.h"

namespace lockstep::coord {
namespace {

constexpr size_t kFilesShown = 8;

struct TreeNode {
  std::string text;
  std::vector<TreeNode> children;
};

void Render(const TreeNode& node, const std::string& prefix, bool last, std::string& out) {
  out += prefix + (last ? "└── " : "├── ") + node.text + "\n";
  std::string inner = prefix + (last ? "    " : "│   ");
  for (size_t i = 0; i < node.children.size(); ++i) {
    Render(node.children[i], inner, i + 1 == node.children.size(), out);
  }
}

std::string_view KindLetter(git::ChangedPath::Kind kind) {
  switch (kind) {
    case git::ChangedPath::Kind::kAdded:
      return "A";
    case git::ChangedPath::Kind::kDeleted:
      return "D";
    case git::ChangedPath::Kind::kRenamed:
      return "R";
    case git::ChangedPath::Kind::kTypeChanged:
      return "T";
    case git::ChangedPath::Kind::kModified:
    case git::ChangedPath::Kind::kModeChanged:
      break;
  }
  return "M";
}

const RepositoryChange* FindChange(const Plan& plan, std::string_view repository) {
  for (const RepositoryChange& change : plan.changes) {
    if (change.repository == repository) return &change;
  }
  return nullptr;
}

// The reason a repository is in the plan, with the changed files under it when it changed.
TreeNode Reason(const std::string& reason, const RepositoryChange* change) {
  TreeNode node{"why: " + reason, {}};
  if (change == nullptr) return node;
  if (!change->from_commit.empty() && change->note.empty()) {
    node.text +=
        fmt::format(" ({}..{})", change->from_commit.substr(0, 7), change->to_commit.substr(0, 7));
  }
  for (size_t i = 0; i < change->files.size() && i < kFilesShown; ++i) {
    const git::ChangedPath& file = change->files[i];
    node.children.push_back(
        {file.old_path.empty()
             ? fmt::format("{} {}", KindLetter(file.kind), file.path)
             : fmt::format("{} {} -> {}", KindLetter(file.kind), file.old_path, file.path),
         {}});
  }
  if (change->files.size() > kFilesShown) {
    node.children.push_back({fmt::format("… and {} more", change->files.size() - kFilesShown), {}});
  }
  return node;
}

TreeNode Repository(const Plan& plan, const PlannedRepository& repository) {
  const RepositoryChange* change = FindChange(plan, repository.name);
  TreeNode node{fmt::format("{} ({} @ {})", repository.name, repository.branch,
                            repository.commit.substr(0, 7)),
                {}};
  for (size_t i = 0; i < repository.reasons.size(); ++i) {
    // The change's reason comes first when the repository changed.
    node.children.push_back(Reason(repository.reasons[i], i == 0 ? change : nullptr));
  }
  for (size_t index : repository.syncs_in) {
    if (index >= plan.syncs.size()) continue;
    const PlannedSync& sync = plan.syncs[index];
    size_t files = sync.changed_files.size();
    node.children.push_back(
        {fmt::format("sync {}:{} -> {}:{}: {} changed file{}{}", sync.from_repository,
                     sync.from_path, sync.to_repository, sync.to_path, files, files == 1 ? "" : "s",
                     sync.commit ? ", committed with its manifest" : ", not committed"),
         {}});
  }
  for (const PlannedWorkflow& workflow : repository.workflows) {
    TreeNode fires{fmt::format("runs {} ({})", workflow.name, workflow.file), {}};
    for (const std::string& reason : workflow.reasons) fires.children.push_back({reason, {}});
    node.children.push_back(std::move(fires));
  }
  for (const PlannedWorkflow& workflow : repository.not_firing) {
    node.children.push_back(
        {fmt::format("skips {} ({}): {}", workflow.name.empty() ? "?" : workflow.name,
                     workflow.file, Join(workflow.reasons, "; ")),
         {}});
  }
  return node;
}

}  // namespace

std::string FormatPlan(const Plan& plan) {
  std::string out = fmt::format("plan for {}, environment {}\n", plan.workspace, plan.environment);
  if (plan.empty()) {
    out += "nothing changed: every repository is at its last good commit\n";
    return out;
  }
  out += plan.strategy + "\n";
  for (size_t s = 0; s < plan.stages.size(); ++s) {
    const std::vector<std::string>& stage = plan.stages[s];
    out += fmt::format("\nstage {}{}\n", s + 1,
                       stage.size() > 1 ? fmt::format(" ({} in parallel)", stage.size()) : "");
    for (size_t i = 0; i < stage.size(); ++i) {
      const PlannedRepository* repository = plan.FindRepository(stage[i]);
      if (repository == nullptr) continue;
      Render(Repository(plan, *repository), "", i + 1 == stage.size(), out);
    }
  }
  return out;
}

}  // namespace lockstep::coord
