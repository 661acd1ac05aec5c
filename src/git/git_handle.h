// Internal to the git module: RAII owners for libgit2 objects, the once-per-process library
// initialisation, and the translation of libgit2 failures into Error. Nothing outside src/git
// includes this (or <git2.h>). Thread-safe (the functions); the owners are as their objects.
#pragma once

#include <git2.h>

#include <memory>
#include <string_view>

#include "base/error.h"

namespace lockstep::git {

struct GitDeleter {
  void operator()(git_repository* p) const { git_repository_free(p); }
  void operator()(git_object* p) const { git_object_free(p); }
  void operator()(git_commit* p) const { git_commit_free(p); }
  void operator()(git_tree* p) const { git_tree_free(p); }
  void operator()(git_tree_entry* p) const { git_tree_entry_free(p); }
  void operator()(git_blob* p) const { git_blob_free(p); }
  void operator()(git_reference* p) const { git_reference_free(p); }
  void operator()(git_diff* p) const { git_diff_free(p); }
};

// Owns one libgit2 object; frees it with the matching git_*_free.
template <class T>
using GitPtr = std::unique_ptr<T, GitDeleter>;

// Initialises libgit2 the first time it is called in the process; later calls return at
// once. Never shut down (see the definition for why).
void EnsureLibgit2();

// The Error for libgit2 return code `code` (negative): "`context`: <git_error_last message>",
// with kNotFound, kAlreadyExists, kInvalidArgument, kPermissionDenied or kIoError by code.
Error GitError(int code, std::string_view context);

}  // namespace lockstep::git
