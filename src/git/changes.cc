// Repository's change-detection methods: tree-to-tree diffs with rename detection, commit
// ranges and merge bases, with the errors a shallow or damaged repository needs.
#include "git/changes.h"

#include <fmt/core.h>

#include <algorithm>
#include <memory>

#include "git/git_handle.h"
#include "git/repository.h"
#include "git/repository_impl.h"
#include "git/shallow_history.h"
#include "git/tree_diff.h"

namespace lockstep::git {
namespace {

struct RevwalkDeleter {
  void operator()(git_revwalk* p) const { git_revwalk_free(p); }
};
using RevwalkPtr = std::unique_ptr<git_revwalk, RevwalkDeleter>;

std::string OidHex(const git_oid* oid) {
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, oid);
  return std::string(hex);
}

bool LooksLikeObjectId(std::string_view revision) {
  return revision.size() >= 4 && revision.size() <= GIT_OID_HEXSZ &&
         std::all_of(revision.begin(), revision.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

Error ShallowError(std::string_view commit) {
  return Error(ErrorCode::kNotFound,
               fmt::format("commit {} is not in this shallow clone; fetch more history "
                           "(git fetch --deepen=N)",
                           commit));
}

// Resolves a revision for the methods below. In a shallow repository, an id that is not
// there most likely lies beyond the cut-off, so the error says how to get it.
Result<git_oid> ResolveForRange(const Repository& repository, git_repository* raw,
                                std::string_view revision) {
  Result<std::string> commit = repository.ResolveCommit(revision);
  if (!commit) {
    if (commit.error().code() == ErrorCode::kNotFound && git_repository_is_shallow(raw) == 1 &&
        LooksLikeObjectId(revision)) {
      return std::unexpected(ShallowError(revision));
    }
    // ResolveCommit reports an object that does not inflate as an I/O error; here it is
    // what it is, corruption (the libgit2 error is still the last one on this thread).
    const git_error* last = git_error_last();
    if (commit.error().code() == ErrorCode::kIoError && last != nullptr &&
        (last->klass == GIT_ERROR_ZLIB || last->klass == GIT_ERROR_ODB ||
         last->klass == GIT_ERROR_OBJECT)) {
      return std::unexpected(Error(ErrorCode::kCorruption, commit.error().message()));
    }
    return std::unexpected(commit.error());
  }
  git_oid oid;
  git_oid_fromstr(&oid, commit->c_str());
  return oid;
}

// The root tree of the commit `oid`; `revision` names it in errors.
Result<GitPtr<git_tree>> TreeOf(git_repository* repository, const git_oid& oid,
                                std::string_view revision) {
  git_commit* raw_commit = nullptr;
  if (int rc = git_commit_lookup(&raw_commit, repository, &oid); rc < 0) {
    return std::unexpected(ObjectError(rc, fmt::format("cannot read commit '{}'", revision)));
  }
  GitPtr<git_commit> commit(raw_commit);
  git_tree* raw_tree = nullptr;
  if (int rc = git_commit_tree(&raw_tree, commit.get()); rc < 0) {
    return std::unexpected(ObjectError(rc, fmt::format("cannot read the tree of '{}'", revision)));
  }
  return GitPtr<git_tree>(raw_tree);
}

}  // namespace

std::string_view ChangedPathKindName(ChangedPath::Kind kind) {
  switch (kind) {
    case ChangedPath::Kind::kAdded:
      return "added";
    case ChangedPath::Kind::kModified:
      return "modified";
    case ChangedPath::Kind::kDeleted:
      return "deleted";
    case ChangedPath::Kind::kRenamed:
      return "renamed";
    case ChangedPath::Kind::kModeChanged:
      return "mode changed";
    case ChangedPath::Kind::kTypeChanged:
      return "type changed";
  }
  return "unknown";
}

Result<std::vector<ChangedPath>> Repository::ChangedPaths(std::string_view from_commit,
                                                          std::string_view to_commit) const {
  git_repository* repository = impl_->repository.get();
  Result<git_oid> from = ResolveForRange(*this, repository, from_commit);
  if (!from) return std::unexpected(from.error());
  Result<git_oid> to = ResolveForRange(*this, repository, to_commit);
  if (!to) return std::unexpected(to.error());
  Result<GitPtr<git_tree>> old_tree = TreeOf(repository, *from, from_commit);
  if (!old_tree) return std::unexpected(old_tree.error());
  Result<GitPtr<git_tree>> new_tree = TreeOf(repository, *to, to_commit);
  if (!new_tree) return std::unexpected(new_tree.error());

  // `git diff -M`: renames need 50% similarity.
  Result<std::vector<ChangedPath>> changes =
      DiffTrees(repository, old_tree->get(), new_tree->get(), /*rename_threshold=*/50);
  if (!changes) return std::unexpected(changes.error());
  std::vector<ChangedPath>& sorted = *changes;
  std::sort(sorted.begin(), sorted.end(), [](const ChangedPath& a, const ChangedPath& b) {
    return a.path != b.path ? a.path < b.path : a.old_path < b.old_path;
  });
  return changes;
}

Result<std::vector<std::string>> Repository::CommitsInRange(std::string_view from,
                                                            std::string_view to) const {
  git_repository* repository = impl_->repository.get();
  Result<git_oid> to_oid = ResolveForRange(*this, repository, to);
  if (!to_oid) return std::unexpected(to_oid.error());
  std::optional<git_oid> from_oid;
  if (!from.empty()) {
    Result<git_oid> resolved = ResolveForRange(*this, repository, from);
    if (!resolved) return std::unexpected(resolved.error());
    from_oid = *resolved;
  }

  if (git_repository_is_shallow(repository) == 1) {
    return ShallowCommitsInRange(repository, from_oid ? &*from_oid : nullptr, *to_oid);
  }

  git_revwalk* raw_walk = nullptr;
  if (int rc = git_revwalk_new(&raw_walk, repository); rc < 0) {
    return std::unexpected(GitError(rc, "cannot walk history"));
  }
  RevwalkPtr walk(raw_walk);
  // git rev-list's default order: newest commit time first, and never a parent before its
  // child (the two agree unless clocks were skewed).
  git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
  std::string range = fmt::format("{}..{}", from, to);
  if (int rc = git_revwalk_push(walk.get(), &*to_oid); rc < 0) {
    return std::unexpected(ObjectError(rc, fmt::format("cannot walk '{}'", range)));
  }
  if (from_oid) {
    if (int rc = git_revwalk_hide(walk.get(), &*from_oid); rc < 0) {
      return std::unexpected(ObjectError(rc, fmt::format("cannot walk '{}'", range)));
    }
  }
  std::vector<std::string> commits;
  git_oid oid;
  int rc = 0;
  while ((rc = git_revwalk_next(&oid, walk.get())) == 0) commits.push_back(OidHex(&oid));
  if (rc != GIT_ITEROVER) {
    return std::unexpected(ObjectError(rc, fmt::format("cannot walk '{}'", range)));
  }
  return commits;
}

Result<std::string> Repository::MergeBase(std::string_view a, std::string_view b) const {
  git_repository* repository = impl_->repository.get();
  Result<git_oid> a_oid = ResolveForRange(*this, repository, a);
  if (!a_oid) return std::unexpected(a_oid.error());
  Result<git_oid> b_oid = ResolveForRange(*this, repository, b);
  if (!b_oid) return std::unexpected(b_oid.error());
  if (git_repository_is_shallow(repository) == 1) {
    Result<std::optional<std::string>> base = ShallowMergeBase(repository, *a_oid, *b_oid);
    if (!base) return std::unexpected(base.error());
    if (*base) return **base;
    return Fail(ErrorCode::kNotFound,
                fmt::format("no common ancestor of '{}' and '{}' in this shallow clone; fetch "
                            "more history (git fetch --deepen=N)",
                            a, b));
  }
  git_oid base;
  int rc = git_merge_base(&base, repository, &*a_oid, &*b_oid);
  if (rc == GIT_ENOTFOUND) {
    return Fail(ErrorCode::kNotFound, fmt::format("no common ancestor of '{}' and '{}'", a, b));
  }
  if (rc < 0) {
    return std::unexpected(ObjectError(rc, fmt::format("cannot find the merge base of '{}' and "
                                                       "'{}'",
                                                       a, b)));
  }
  return OidHex(&base);
}

}  // namespace lockstep::git
