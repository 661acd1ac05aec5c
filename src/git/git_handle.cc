#include "git/git_handle.h"

#include <fmt/core.h>

#include <mutex>
#include <string>

namespace lockstep::git {

void EnsureLibgit2() {
  // git_libgit2_init is reference-counted and each init wants a matching shutdown. We init
  // once and never shut down: a shutdown at exit would race with any thread (or static
  // destructor) still holding a repository, and all it would free is process-wide caches
  // that the operating system reclaims anyway.
  static std::once_flag once;
  std::call_once(once, [] { git_libgit2_init(); });
}

Error GitError(int code, std::string_view context) {
  const git_error* last = git_error_last();
  std::string detail =
      last != nullptr && last->message != nullptr ? last->message : "unknown libgit2 error";
  ErrorCode mapped = ErrorCode::kIoError;
  switch (code) {
    case GIT_ENOTFOUND:
    case GIT_EUNBORNBRANCH:
      mapped = ErrorCode::kNotFound;
      break;
    case GIT_EEXISTS:
      mapped = ErrorCode::kAlreadyExists;
      break;
    case GIT_EAMBIGUOUS:
    case GIT_EINVALIDSPEC:
    case GIT_EINVALID:
    case GIT_EPEEL:
    case GIT_EBAREREPO:
    case GIT_EDIRECTORY:
      mapped = ErrorCode::kInvalidArgument;
      break;
    case GIT_EOWNER:
    case GIT_EAUTH:
      mapped = ErrorCode::kPermissionDenied;
      break;
    case GIT_EMISMATCH:
      mapped = ErrorCode::kCorruption;
      break;
    default:
      break;
  }
  return Error(mapped, fmt::format("{}: {}", context, detail));
}

}  // namespace lockstep::git
