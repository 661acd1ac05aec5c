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
  std::call_once(once, [] {
    git_libgit2_init();
    // As git itself (checkout, cat-file, diff): objects are not re-hashed with SHA-1 on every
    // read. That hash cost three times what copying a blob does; damage is still caught by
    // zlib's checksum of every stored object, and a sync hashes what it writes with SHA-256.
    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
    // Pack files are read through mapped windows; by default up to 8 GiB of them stay
    // mapped, and every page touched counts as the process's memory. 8 MiB in 2 MiB
    // windows keeps a full read of a large pack within a few dozen MiB.
    git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, size_t{2} << 20);
    git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, size_t{8} << 20);
  });
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
