#include "coord/plan.h"

#include <fmt/core.h>

#include <algorithm>
#include <map>

#include "base/strings.h"
#include "coord/plan_steps.h"
#include "coord/repository_graph.h"

namespace lockstep::coord {
namespace {

// What the walk over the repositories learns about one of them.
struct Progress {
  std::optional<RepositoryChange> change;
  std::vector<std::string> synced_paths;  // where planned syncs write into it
  bool affected = false;
  std::vector<std::string> sync_reasons;
  std::vector<std::string> after_reasons;
  std::vector<size_t> syncs_in;
};

std::string ChangeReason(const RepositoryChange& change) {
  size_t count = change.files.size();
  if (!change.note.empty()) {
    return fmt::format("{}: all {} file{} count as changed", change.note, count,
                       count == 1 ? "" : "s");
  }
  if (count == 0) return "new commits, but no file changed";
  return fmt::format("{} file{} changed", count, count == 1 ? "" : "s");
}

// Whether some sync rule writes the folder `path` of `repository` (or a folder around or
// inside it): then the folder may exist only once that sync has run.
bool WrittenBySync(const Workspace& workspace, const std::string& repository,
                   const std::string& path) {
  return std::ranges::any_of(workspace.sync, [&](const SyncRule& rule) {
    if (rule.to_repository != repository) return false;
    std::string_view a = rule.to_path, b = path;
    if (a.size() > b.size()) std::swap(a, b);
    return b == a || (b.starts_with(a) && b[a.size()] == '/');
  });
}

// For each affected repository, its affected predecessors: direct ones, and those reached
// through repositories that are not in the plan (a -> x -> b keeps a before b even when x
// has nothing to do).
std::vector<std::vector<size_t>> AffectedPredecessors(
    const std::vector<std::vector<size_t>>& predecessors, const std::vector<bool>& affected) {
  std::vector<std::vector<size_t>> result(predecessors.size());
  for (size_t node = 0; node < predecessors.size(); ++node) {
    if (!affected[node]) continue;
    std::vector<bool> seen(predecessors.size(), false);
    std::vector<size_t> pending = predecessors[node];
    while (!pending.empty()) {
      size_t p = pending.back();
      pending.pop_back();
      if (seen[p]) continue;
      seen[p] = true;
      if (affected[p]) {
        result[node].push_back(p);
      } else {
        pending.insert(pending.end(), predecessors[p].begin(), predecessors[p].end());
      }
    }
    std::ranges::sort(result[node]);
  }
  return result;
}

}  // namespace

const PlannedRepository* Plan::FindRepository(std::string_view name) const {
  for (const PlannedRepository& repository : repositories) {
    if (repository.name == name) return &repository;
  }
  return nullptr;
}

Result<Plan> MakePlan(const PlanRequest& request) {
  if (request.workspace == nullptr)
    return Fail(ErrorCode::kInternal, "MakePlan without a workspace");
  const Workspace& workspace = *request.workspace;
  Plan plan;
  plan.workspace = workspace.name;
  if (request.environment.empty()) {
    plan.environment =
        workspace.environments.empty() ? "default" : workspace.environments.front().name;
  } else if (workspace.FindEnvironment(request.environment) == nullptr) {
    std::vector<std::string> names;
    for (const EnvironmentSpec& environment : workspace.environments) {
      names.push_back(environment.name);
    }
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("unknown environment '{}'; {} declares {}", request.environment,
                            workspace.file.filename().string(), Join(names, ", ")));
  } else {
    plan.environment = request.environment;
  }
  for (const auto& [name, revision] : request.baseline) {
    if (workspace.FindRepository(name) == nullptr) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("the baseline names '{}', which is not a repository of {}", name,
                              workspace.file.string()));
    }
  }

  // Change detection: every repository, since each one may have changed.
  const size_t count = workspace.repositories.size();
  std::vector<OpenedRepository> opened;
  opened.reserve(count);
  std::map<std::string_view, size_t> index;
  std::vector<Progress> progress(count);
  for (size_t i = 0; i < count; ++i) {
    const RepositorySpec& spec = workspace.repositories[i];
    Result<OpenedRepository> repository = OpenForPlan(spec, request.mirrors_dir);
    if (!repository) return std::unexpected(repository.error());
    opened.push_back(std::move(*repository));
    index.emplace(spec.name, i);
    auto given = request.baseline.find(spec.name);
    auto last = request.last_good.find(spec.name);
    bool user_given = given != request.baseline.end();
    std::string from =
        user_given ? given->second : (last != request.last_good.end() ? last->second : "");
    Result<std::optional<RepositoryChange>> change = DetectChange(opened.back(), from, user_given);
    if (!change) return std::unexpected(change.error());
    progress[i].change = std::move(*change);
    progress[i].affected = progress[i].change.has_value();
  }
  for (const SyncRule& rule : workspace.sync) {
    if (WrittenBySync(workspace, rule.from_repository, rule.from_path)) continue;
    if (Result<void> source = CheckSyncSource(rule, opened[index.at(rule.from_repository)]);
        !source) {
      return std::unexpected(source.error());
    }
  }

  // One walk in rollout order: a repository's changed paths are final once every repository
  // before it was walked (its own changes, plus what syncs write into it), so the syncs out
  // of it and the `after` edges into later ones can be decided then.
  std::vector<std::vector<size_t>> predecessors = Predecessors(workspace);
  std::vector<size_t> all(count);
  for (size_t i = 0; i < count; ++i) all[i] = i;
  std::vector<std::vector<size_t>> order = Layers(all, predecessors);
  std::vector<std::vector<std::string>> paths(count);
  for (const std::vector<size_t>& layer : order) {
    for (size_t i : layer) {
      const RepositorySpec& spec = workspace.repositories[i];
      Progress& here = progress[i];
      for (size_t k = 0; k < spec.after.size(); ++k) {
        const std::string& before = spec.after[k];
        auto found = index.find(before);
        bool repeated =
            std::find(spec.after.begin(), spec.after.begin() + static_cast<std::ptrdiff_t>(k),
                      before) != spec.after.begin() + static_cast<std::ptrdiff_t>(k);
        if (found != index.end() && progress[found->second].affected && !repeated) {
          here.affected = true;
          here.after_reasons.push_back("after " + before);
        }
      }
      if (here.change) paths[i] = EventPaths(here.change->files);
      paths[i].insert(paths[i].end(), here.synced_paths.begin(), here.synced_paths.end());
      for (size_t r = 0; r < workspace.sync.size(); ++r) {
        const SyncRule& rule = workspace.sync[r];
        if (rule.from_repository != spec.name) continue;
        std::vector<std::string> carried = PathsUnder(paths[i], rule.from_path);
        if (carried.empty()) continue;
        Progress& target = progress[index.at(rule.to_repository)];
        std::vector<std::string> mapped = MapIntoTarget(rule, carried);
        target.synced_paths.insert(target.synced_paths.end(), mapped.begin(), mapped.end());
        target.affected = true;
        target.sync_reasons.push_back(fmt::format("receives sync {}:{} -> {}", rule.from_repository,
                                                  rule.from_path, rule.to_path));
        target.syncs_in.push_back(plan.syncs.size());
        plan.syncs.push_back({.rule = r,
                              .from_repository = rule.from_repository,
                              .from_path = rule.from_path,
                              .to_repository = rule.to_repository,
                              .to_path = rule.to_path,
                              .commit = rule.commit,
                              .changed_files = std::move(carried)});
      }
    }
  }

  std::vector<bool> affected(count);
  std::vector<size_t> nodes;
  for (size_t i = 0; i < count; ++i) {
    affected[i] = progress[i].affected;
    if (affected[i]) nodes.push_back(i);
    if (progress[i].change) plan.changes.push_back(*progress[i].change);
  }
  std::vector<std::vector<size_t>> stages =
      Layers(nodes, AffectedPredecessors(predecessors, affected));
  for (size_t s = 0; s < stages.size(); ++s) {
    std::vector<std::string>& names = plan.stages.emplace_back();
    for (size_t i : stages[s]) {
      Progress& here = progress[i];
      PlannedRepository repository;
      repository.name = workspace.repositories[i].name;
      repository.path = opened[i].path;
      repository.branch = opened[i].branch;
      repository.commit = opened[i].head;
      repository.stage = static_cast<int>(s);
      if (here.change) repository.reasons.push_back(ChangeReason(*here.change));
      for (std::vector<std::string>* reasons : {&here.sync_reasons, &here.after_reasons}) {
        repository.reasons.insert(repository.reasons.end(), reasons->begin(), reasons->end());
      }
      repository.syncs_in = here.syncs_in;
      if (Result<void> evaluated = EvaluateWorkflows(opened[i], paths[i], repository); !evaluated) {
        return std::unexpected(evaluated.error());
      }
      names.push_back(repository.name);
      plan.repositories.push_back(std::move(repository));
    }
  }
  plan.strategy = Strategy(plan, count);
  return plan;
}

}  // namespace lockstep::coord
