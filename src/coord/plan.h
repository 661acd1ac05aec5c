// The coordination plan: from what changed in each repository since the last good rollout,
// which sync rules that touches, which repositories are affected (through sync and `after`),
// which workflows fire in each and why, and in what order, with what runs in parallel.
// MakePlan reads the repositories (git) and their workflow files; the rest is pure.
// Thread-compatible.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "coord/workspace.h"
#include "git/changes.h"

namespace lockstep::coord {

// One repository's change since its last good rollout.
struct RepositoryChange {
  std::string repository;
  std::string branch;
  std::string from_commit;  // the last good rollout's commit; empty for the first rollout
  std::string to_commit;    // the branch's head now
  std::vector<git::ChangedPath> files;
  // Why every file counts as changed, when it does: "first rollout", "force-pushed: the last
  // good commit 1a2b3c4 is no longer an ancestor of main".
  std::string note;

  bool operator==(const RepositoryChange&) const = default;
};

// A sync rule this plan carries out: its source changed.
struct PlannedSync {
  size_t rule = 0;  // index into Workspace::sync
  std::string from_repository, from_path, to_repository, to_path;
  bool commit = true;
  std::vector<std::string> changed_files;  // source paths under from_path that changed

  bool operator==(const PlannedSync&) const = default;
};

struct PlannedWorkflow {
  std::string name;                  // the workflow's Name
  std::string file;                  // relative to the repository's root
  std::vector<std::string> reasons;  // from triggers::TriggerDecision

  bool operator==(const PlannedWorkflow&) const = default;
};

struct PlannedRepository {
  std::string name;
  std::filesystem::path path;  // the work tree (or the mirror of a url repository)
  std::string branch;          // the branch it rolls out from
  std::string commit;          // its head when planned (a sync into it adds one later)
  int stage = 0;               // index into Plan::stages
  // Why it is in the plan, one line each: "3 files changed", "receives sync registry-api:src
  // -> api/src", "after registry-infrastructure".
  std::vector<std::string> reasons;
  std::vector<size_t> syncs_in;  // indices into Plan::syncs, carried out before its workflows
  std::vector<PlannedWorkflow> workflows;  // that fire, in file order
  // Workflows that do not fire, with why, for the tree and --json.
  std::vector<PlannedWorkflow> not_firing;

  bool operator==(const PlannedRepository&) const = default;
};

struct Plan {
  std::string workspace;    // Workspace::name
  std::string environment;  // the environment it is for
  // The plan in words, e.g. "registry-api changed: sync -> registry-infrastructure ->
  // registry-frontend"; "nothing changed" for an empty plan.
  std::string strategy;
  std::vector<RepositoryChange> changes;  // only repositories that changed
  std::vector<PlannedSync> syncs;
  std::vector<PlannedRepository> repositories;   // affected ones, in stage order
  std::vector<std::vector<std::string>> stages;  // names; a stage's repositories run in parallel

  bool empty() const { return repositories.empty(); }
  bool operator==(const Plan&) const = default;
  const PlannedRepository* FindRepository(std::string_view name) const;
};

struct PlanRequest {
  const Workspace* workspace = nullptr;
  std::string environment;  // empty: the first one declared
  // Repository name -> its last good rollout's commit; a repository not in the map has had
  // none (everything counts as changed).
  std::map<std::string, std::string> last_good;
  // Repository name -> a revision to plan against instead of its last good commit (`lockstep
  // plan --baseline`): anything git resolves in that repository ("HEAD~3", a tag, an id).
  // Unlike a last good commit, one that does not resolve is an error, not a force-push.
  std::map<std::string, std::string> baseline;
  std::filesystem::path mirrors_dir;  // where url repositories are mirrored
};

// Fails naming the repository (and the lockstep.yaml position) when a repository is missing
// or is not a git repository, its branch does not exist, or a sync rule's source path does
// not exist at the source's head (unless another rule syncs into that folder); fails with
// kInvalidArgument for an unknown environment, or a baseline naming an unknown repository or
// a revision that does not resolve. Reads every repository of the workspace (change
// detection); reads workflow files only in the affected ones, at their heads.
Result<Plan> MakePlan(const PlanRequest& request);

// The plan as a readable tree with the reason for every step (what `lockstep plan` prints).
std::string FormatPlan(const Plan& plan);

// The plan as JSON (what `lockstep plan --json` prints and a rollout stores), and back.
std::string PlanToJson(const Plan& plan);
Result<Plan> PlanFromJson(std::string_view json);

}  // namespace lockstep::coord
