// Change detection for a plan: each repository's head against its last good commit.
#include <fmt/core.h>

#include <algorithm>

#include "coord/plan_steps.h"
#include "git/mirror.h"

namespace lockstep::coord {
namespace {

namespace fs = std::filesystem;

// Every file and submodule at `commit`, as added: what a first rollout or a force-push sees.
Result<std::vector<git::ChangedPath>> EveryFile(const git::Repository& repository,
                                                const std::string& commit) {
  Result<std::string> tree = repository.TreeIdAt(commit, "");
  if (!tree) return std::unexpected(tree.error());
  Result<git::TreeFiles> listing = repository.ListFiles(*tree);
  if (!listing) return std::unexpected(listing.error());
  std::vector<git::ChangedPath> files;
  files.reserve(listing->files.size() + listing->submodules.size());
  for (const git::TreeFile& file : listing->files) {
    files.push_back({.kind = git::ChangedPath::Kind::kAdded,
                     .path = file.path,
                     .old_path = "",
                     .old_mode = 0,
                     .new_mode = file.mode});
  }
  for (const std::string& submodule : listing->submodules) {
    files.push_back({.kind = git::ChangedPath::Kind::kAdded,
                     .path = submodule,
                     .old_path = "",
                     .old_mode = 0,
                     .new_mode = 0160000});
  }
  std::ranges::sort(files, {}, &git::ChangedPath::path);
  return files;
}

}  // namespace

Error RepositoryError(const RepositorySpec& spec, const Error& cause) {
  return Error(cause.code(), fmt::format("repository '{}': {}", spec.name, cause.message()),
               spec.location);
}

Result<OpenedRepository> OpenForPlan(const RepositorySpec& spec, const fs::path& mirrors_dir) {
  fs::path path = spec.path;
  if (!spec.url.empty()) {
    Result<fs::path> mirror = git::MirrorRepository(spec.url, mirrors_dir);
    if (!mirror) return std::unexpected(RepositoryError(spec, mirror.error()));
    path = *mirror;
  } else if (std::error_code error; !fs::exists(path, error)) {
    return std::unexpected(RepositoryError(
        spec, Error(ErrorCode::kNotFound, fmt::format("{} does not exist", path.string()))));
  }
  Result<git::Repository> repository = git::Repository::Open(path);
  if (!repository) return std::unexpected(RepositoryError(spec, repository.error()));
  if (spec.url.empty() && !repository->work_tree().empty()) {
    // A folder inside another repository is not that repository: refusing it keeps a typo in
    // `path` from planning some enclosing repository instead.
    std::error_code error;
    if (!fs::equivalent(repository->work_tree(), path, error)) {
      return std::unexpected(RepositoryError(
          spec, Error(ErrorCode::kInvalidArgument,
                      fmt::format("{} is not the root of a git repository (it is inside {})",
                                  path.string(), repository->work_tree().string()))));
    }
  }
  std::string branch = spec.branch;
  if (branch.empty()) {
    Result<std::string> current = repository->CurrentBranch();
    if (!current) return std::unexpected(RepositoryError(spec, current.error()));
    if (current->empty()) {
      return std::unexpected(RepositoryError(
          spec, Error(ErrorCode::kInvalidArgument,
                      "HEAD is on no branch; set 'branch' for this repository in lockstep.yaml")));
    }
    branch = *current;
  }
  Result<std::string> head = repository->ResolveCommit("refs/heads/" + branch);
  if (!head && head.error().code() == ErrorCode::kNotFound) {
    return std::unexpected(RepositoryError(
        spec, Error(ErrorCode::kNotFound, fmt::format("branch '{}' does not exist", branch))));
  }
  if (!head) return std::unexpected(RepositoryError(spec, head.error()));
  return OpenedRepository{.spec = &spec,
                          .repository = std::move(*repository),
                          .path = std::move(path),
                          .branch = std::move(branch),
                          .head = std::move(*head)};
}

Result<std::optional<RepositoryChange>> DetectChange(const OpenedRepository& opened,
                                                     const std::string& from_revision,
                                                     bool user_given) {
  const git::Repository& repository = opened.repository;
  RepositoryChange change;
  change.repository = opened.spec->name;
  change.branch = opened.branch;
  change.to_commit = opened.head;
  if (from_revision.empty()) {
    change.note = "first rollout";
  } else {
    Result<std::string> from = repository.ResolveCommit(from_revision);
    if (!from && (user_given || from.error().code() != ErrorCode::kNotFound)) {
      return std::unexpected(RepositoryError(*opened.spec, from.error()));
    }
    change.from_commit = from ? *from : from_revision;
    if (change.from_commit == opened.head) return std::optional<RepositoryChange>();
    std::string shown = change.from_commit.substr(0, 7);
    if (!from) {
      change.note = fmt::format(
          "force-pushed: the last good commit {} is no longer in the "
          "repository",
          shown);
    } else {
      Result<std::string> base = repository.MergeBase(*from, opened.head);
      if (!base && base.error().code() != ErrorCode::kNotFound) {
        return std::unexpected(RepositoryError(*opened.spec, base.error()));
      }
      if (!base || *base != *from) {
        change.note = fmt::format("force-pushed: the {} commit {} is no longer an ancestor of {}",
                                  user_given ? "baseline" : "last good", shown, opened.branch);
      }
    }
  }
  Result<std::vector<git::ChangedPath>> files =
      change.note.empty() ? repository.ChangedPaths(change.from_commit, opened.head)
                          : EveryFile(repository, opened.head);
  if (!files) return std::unexpected(RepositoryError(*opened.spec, files.error()));
  change.files = std::move(*files);
  return std::optional<RepositoryChange>(std::move(change));
}

std::vector<std::string> EventPaths(const std::vector<git::ChangedPath>& files) {
  std::vector<std::string> paths;
  paths.reserve(files.size());
  for (const git::ChangedPath& file : files) {
    if (!file.old_path.empty()) paths.push_back(file.old_path);
    paths.push_back(file.path);
  }
  return paths;
}

}  // namespace lockstep::coord
