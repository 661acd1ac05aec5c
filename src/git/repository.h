// A git repository read through libgit2: resolve revisions, read the current branch, export
// the tree of a commit into a directory, list changed paths and commit ranges. The change-detection
// issue extends this module (ranges, diffs, mirrors). A Repository is move-only and not
// thread-safe; open one per thread.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "git/changes.h"

namespace lockstep::git {

// What ExportTree wrote.
struct ExportSummary {
  int64_t files = 0;     // regular files, executables included
  int64_t symlinks = 0;  // written as symbolic links, target unchanged
  int64_t bytes = 0;
  std::vector<std::string> submodules;  // paths of submodules, reported and not followed
};

class Repository {
 public:
  // Opens the repository at `path` (a work tree, any folder inside one, or a bare
  // repository). Fails with kNotFound when there is none, naming `path`.
  static Result<Repository> Open(const std::filesystem::path& path);

  Repository(Repository&&) noexcept;
  Repository& operator=(Repository&&) noexcept;
  ~Repository();

  // The work tree's root; empty for a bare repository.
  std::filesystem::path work_tree() const;

  // Resolves any revision git understands (HEAD, a branch, a tag, a full or short id,
  // "main~2") to a commit's full 40-hex id. kNotFound when it names nothing ("unknown
  // revision 'x'"), kInvalidArgument when it is ambiguous or not a commit.
  Result<std::string> ResolveCommit(std::string_view revision) const;

  // The short name of the branch HEAD points at ("main"); empty when HEAD is detached or
  // the branch has no commit yet.
  Result<std::string> CurrentBranch() const;

  // Writes the tree of `commit` (a full id) at `subpath` ("" for the root) into `destination`,
  // which must not exist or be empty. File modes are kept (executable or not), symbolic links
  // are written as links, submodules are listed in the summary and not followed. Paths in
  // the tree that would escape `destination` are refused with kCorruption.
  Result<ExportSummary> ExportTree(std::string_view commit, std::string_view subpath,
                                   const std::filesystem::path& destination) const;

  // The content of the file at `path` (relative to the root, e.g. "src/main.cc") in the tree
  // of `commit` (a full id): a file's bytes, or a symbolic link's target. kNotFound when the
  // path does not exist at that commit, kInvalidArgument when it is a directory or submodule.
  Result<std::string> ReadBlob(std::string_view commit, std::string_view path) const;

  // Change detection (implemented in changes.cc). Revisions are anything ResolveCommit
  // accepts. A revision that cannot be found in a shallow repository fails with kNotFound
  // "commit X is not in this shallow clone; fetch more history (git fetch --deepen=N)"; an
  // object that cannot be decoded fails with kCorruption. In a shallow repository the
  // commits at the cut-off count as having no parents, as git counts them.

  // The paths that differ between the trees of `from_commit` and `to_commit`, sorted by
  // path (bytewise). Tree-to-tree: intermediate commits do not matter, so a file added and
  // removed again inside the range does not appear. Renames are found as `git diff -M`
  // does (50% similarity); a file that became a link is kTypeChanged, not deleted + added.
  Result<std::vector<ChangedPath>> ChangedPaths(std::string_view from_commit,
                                                std::string_view to_commit) const;

  // The full ids of the commits reachable from `to` and not from `from`, newest first, like
  // `git rev-list from..to` (children before parents, then by commit time). An empty `from`
  // means every commit reachable from `to` (a new branch).
  Result<std::vector<std::string>> CommitsInRange(std::string_view from, std::string_view to) const;

  // The best common ancestor of `a` and `b` (a full id), as `git merge-base a b`. kNotFound
  // "no common ancestor of 'a' and 'b'" when the histories are unrelated, which is what a
  // force-push of an unrelated history looks like.
  Result<std::string> MergeBase(std::string_view a, std::string_view b) const;

 private:
  struct Impl;
  explicit Repository(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lockstep::git
