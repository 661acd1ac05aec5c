// Internal to the git module: the tree-to-tree comparison behind Repository::ChangedPaths.
//
// libgit2 1.5's git_diff_tree_to_tree expands every subtree, and git_diff_find_similar
// compares every delta with every other one, so a 50,000-file tree with 5,000 changes took
// several times as long as `git diff`. This walks the two trees together the way git does,
// descending only into subtrees whose ids differ, then pairs renames: exact ones through a
// hash map of blob ids, the rest by libgit2's similarity signature (git_hashsig, the metric
// git_diff_find_similar uses by default). Thread-safe as the repository passed in.
#pragma once

#include <git2.h>

#include <string_view>
#include <vector>

#include "base/error.h"
#include "git/changes.h"

namespace lockstep::git {

// GitError, except that a failure to decode an object (zlib, a truncated or garbled object
// file) is kCorruption: the data on disk is wrong, and retrying will not help.
Error ObjectError(int code, std::string_view context);

// Deleted and added files are paired as renames only while (deleted x added) stays at or
// under this many pairs for the inexact pass, as git's diff.renameLimit (1000 files each).
inline constexpr size_t kMaxInexactRenamePairs = 1000 * 1000;

// A rename threshold that pairs exact renames only (no similarity scores are computed).
inline constexpr int kNoInexactRenames = 101;

// The changes from `old_tree` to `new_tree`, unsorted. Renames need at least
// `rename_threshold` percent similarity.
Result<std::vector<ChangedPath>> DiffTrees(git_repository* repository, const git_tree* old_tree,
                                           const git_tree* new_tree, int rename_threshold);

}  // namespace lockstep::git
