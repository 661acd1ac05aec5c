// Internal to the git module: the state behind a Repository, shared by the .cc files that
// implement its methods (repository.cc, changes.cc). Not thread-safe, as Repository.
#pragma once

#include "git/git_handle.h"
#include "git/repository.h"

namespace lockstep::git {

struct Repository::Impl {
  GitPtr<git_repository> repository;
};

}  // namespace lockstep::git
