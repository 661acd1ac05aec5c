// Local bare mirrors of repositories given by URL, so that change detection and exports read
// from a copy lockstep owns. Only local sources (a path or a file:// URL) are supported.
// Thread-safe as far as libgit2 is; two processes updating the same mirror at once are not
// coordinated (the second fetch may fail on a locked ref and can be retried).
#pragma once

#include <filesystem>
#include <string_view>

#include "base/error.h"

namespace lockstep::git {

// Creates or updates the bare mirror of `url` under `mirrors_dir` and returns its path,
// `mirrors_dir/<name>-<12 hex>.git`: <name> is the source's last path component with
// anything but [A-Za-z0-9._-] replaced by '_' and a trailing ".git" dropped, and the hex is
// the start of the SHA-256 of the source's absolute path, so two sources with the same
// name do not share a mirror. A new mirror is cloned bare with the refspec `+refs/*:refs/*`
// into a temporary name and renamed into place (a failed first clone leaves nothing); an
// existing one is fetched with pruning, so refs deleted upstream are deleted here too.
// `url` is a path (relative to the current directory, or absolute) or a file:// URL; any
// other scheme, or an scp-like "host:path", fails with kInvalidArgument "only local
// repositories (path or file://) are supported". A source that does not exist is kNotFound.
Result<std::filesystem::path> MirrorRepository(std::string_view url,
                                               const std::filesystem::path& mirrors_dir);

}  // namespace lockstep::git
