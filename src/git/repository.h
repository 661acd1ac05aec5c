// A git repository read through libgit2: resolve revisions, read the current branch, export
// the tree of a commit into a directory, list changed paths and commit ranges. The change-detection
// issue extends this module (ranges, diffs, mirrors). A Repository is move-only and not
// thread-safe; open one per thread.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/error.h"
#include "git/changes.h"
#include "git/tree_files.h"

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

  // Makes a new repository with a work tree at `path` (created when missing) whose unborn
  // branch is `branch`, as `git init -b BRANCH`. kAlreadyExists when one is there already.
  static Result<Repository> Init(const std::filesystem::path& path, std::string_view branch);

  // Opens the same repository again: a second handle for another thread.
  Result<Repository> Reopen() const;

  Repository(Repository&&) noexcept;
  Repository& operator=(Repository&&) noexcept;
  ~Repository();

  // The work tree's root; empty for a bare repository.
  std::filesystem::path work_tree() const;

  // The repository's own folder (".git" of a work tree, or the bare repository).
  std::filesystem::path git_directory() const;

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

  // Trees and blobs by id, for copying a subtree file by file (implemented in
  // tree_files.cc). Ids are 40 hex digits; a malformed id is kInvalidArgument, an object
  // that cannot be decoded kCorruption.

  // The id of the tree at `subpath` ("" for the root) in `commit` (a full id). kNotFound
  // when the path does not exist there, kInvalidArgument when it is a file or submodule.
  Result<std::string> TreeIdAt(std::string_view commit, std::string_view subpath) const;

  // Whether the repository holds a tree with this id (false for a malformed id).
  bool HasTree(std::string_view tree_id) const;

  // Every file and symbolic link under the tree `tree_id`. Names that could leave a
  // directory or plant a repository ("..", ".git" in any case) fail with kCorruption.
  Result<TreeFiles> ListFiles(std::string_view tree_id) const;

  // The files that differ between two trees, sorted by path; only subtrees whose ids differ
  // are read. Submodules are left out (a sync does not follow them).
  Result<std::vector<TreeFileChange>> DiffFiles(std::string_view old_tree_id,
                                                std::string_view new_tree_id) const;

  // Calls `visit` with the bytes of the blob `blob_id`, valid only during the call (no copy
  // is made), and returns what it returns. kNotFound when there is no such blob.
  Result<void> VisitBlob(std::string_view blob_id,
                         const std::function<Result<void>(std::string_view content)>& visit) const;

  // Work-tree operations (implemented in work_tree.cc).

  // The index's stat data for the regular files under `subpath` ("" for all) that git would
  // trust, keyed by path relative to `subpath`: entries whose file was modified before the
  // index was written, to the nanosecond (a "racily clean" entry is left out, as git re-reads
  // those), and to which no content conversion applies (line endings, ident, filters). A file
  // whose stat data still matches (StatMatches) holds the content `blob_id`, by the rule
  // `git status` relies on. Empty for a bare repository.
  Result<std::unordered_map<std::string, IndexedStat>> TrustedIndexEntries(
      std::string_view subpath) const;

  // The paths under `subpath` (relative to the work tree, "" for all) that differ from HEAD
  // in the index or the work tree, untracked files included and ignored files not, as
  // `git status --porcelain -- subpath` lists them; sorted. kInvalidArgument for a bare
  // repository.
  Result<std::vector<std::string>> UncommittedChanges(std::string_view subpath) const;

  // Applies a unified diff as `git diff` writes it (`diff --git` headers; text before the
  // first one is ignored) to the work tree, as `git apply` does: every hunk must apply, or
  // nothing is written (kInvalidArgument, naming the file that does not match).
  Result<void> ApplyPatch(std::string_view patch) const;

  // Stages everything under `subpath` (new, changed and removed files, ignored ones too, as
  // `git add -A -f -- subpath`) and commits it on the current branch with `message`, authored by
  // the repository's configured user (else "lockstep <lockstep@localhost>"). Returns the new
  // commit's id, or an empty string when nothing under `subpath` changed (no commit is
  // made). Other staged changes are not committed.
  Result<std::string> CommitSubtree(std::string_view subpath, std::string_view message) const;

 private:
  struct Impl;
  explicit Repository(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lockstep::git
