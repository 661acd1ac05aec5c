// The steps MakePlan is made of, internal to coord/: opening each repository and finding
// what changed since its last good commit (plan_changes.cc), mapping changed files through
// sync rules (plan_sync.cc), reading the workflows at a commit and deciding which fire
// (plan_workflows.cc), and naming the strategy (plan_strategy.cc). Not thread-safe: one
// git::Repository per repository, used by one thread.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "coord/plan.h"
#include "coord/workspace.h"
#include "git/repository.h"

namespace lockstep::coord {

// A repository of the workspace, opened for planning.
struct OpenedRepository {
  const RepositorySpec* spec = nullptr;
  git::Repository repository;
  std::filesystem::path path;  // the work tree, or the mirror of a url repository
  std::string branch;          // the spec's, else the branch HEAD points at
  std::string head;            // the branch's head (40 hex)
};

// An Error about `spec` at its lockstep.yaml position: "repository 'NAME': WHAT".
Error RepositoryError(const RepositorySpec& spec, const Error& cause);

// Opens the repository (mirroring a url repository into `mirrors_dir` first) and resolves
// its branch's head. Fails naming the repository when it is missing or not a git repository,
// HEAD is on no branch and none is configured, or the branch does not exist.
Result<OpenedRepository> OpenForPlan(const RepositorySpec& spec,
                                     const std::filesystem::path& mirrors_dir);

// The change since `from_revision` (empty: none, the first rollout). `user_given` marks a
// revision the user named (--baseline), which must resolve; a last good commit that no
// longer resolves, or is no longer an ancestor of the head, means the branch was
// force-pushed: then, as for a first rollout, every file at the head counts as added and the
// note says why. nullopt when the head is `from_revision` itself.
Result<std::optional<RepositoryChange>> DetectChange(const OpenedRepository& opened,
                                                     const std::string& from_revision,
                                                     bool user_given);

// The paths a push event sees for `files`: for a rename both the old and the new path.
std::vector<std::string> EventPaths(const std::vector<git::ChangedPath>& files);

// The paths of `paths` at or under `folder` ('/'-separated; "" holds everything).
std::vector<std::string> PathsUnder(const std::vector<std::string>& paths,
                                    const std::string& folder);

// Where `source_files` (under rule.from_path) land in the target: each under rule.to_path,
// then the manifest, rule.to_path + "/" + sync::kManifestFileName.
std::vector<std::string> MapIntoTarget(const SyncRule& rule,
                                       const std::vector<std::string>& source_files);

// Fails (at the rule's position) when the rule's source folder does not exist at the source's
// head, or is a file.
Result<void> CheckSyncSource(const SyncRule& rule, const OpenedRepository& source);

// Fills repository.workflows and repository.not_firing from the workflow files at
// `opened.head` (.codecatalyst/workflows/ and .lockstep/workflows/, sorted by path) for a
// push of `changed_paths` to the branch.
Result<void> EvaluateWorkflows(const OpenedRepository& opened,
                               const std::vector<std::string>& changed_paths,
                               PlannedRepository& repository);

// Plan::strategy for a plan whose other fields are set.
std::string Strategy(const Plan& plan, size_t repository_count);

}  // namespace lockstep::coord
