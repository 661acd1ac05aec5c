// Internal to the git module: history walks for shallow repositories. libgit2 1.5 does not
// read .git/shallow, so its revision walker and merge-base look for the parents of the
// boundary commits, which a shallow clone does not have, and fail even for a range that
// lies wholly inside the clone. These walks treat the boundary commits as roots, as git does.
// Thread-safe as the repository passed in.
#pragma once

#include <git2.h>

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace lockstep::git {

// `git rev-list from..to` (every commit reachable from `to` when `from` is null): full ids,
// children before parents, newer commit time first among the ready ones.
Result<std::vector<std::string>> ShallowCommitsInRange(git_repository* repository,
                                                       const git_oid* from, const git_oid& to);

// The best common ancestor of `a` and `b` within the clone (the newest by commit time when
// there are several), or nullopt when the histories present do not meet.
Result<std::optional<std::string>> ShallowMergeBase(git_repository* repository, const git_oid& a,
                                                    const git_oid& b);

}  // namespace lockstep::git
