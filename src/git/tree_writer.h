// Internal to the git module: writes a libgit2 tree into a directory with *at() system calls
// on directory descriptors, the engine of Repository::ExportTree. Not thread-safe (shares the
// caller's git_repository).
#pragma once

#include <git2.h>

#include <filesystem>

#include "base/error.h"
#include "git/repository.h"

namespace lockstep::git {

// Writes every entry of `tree` into the empty directory open as `directory_fd`: directories
// 0755, files 0644 or 0755 (whatever the umask), symbolic links as links, submodules as empty
// directories listed in the summary. Entry names that could leave the directory or plant a
// repository in it ("", ".", "..", ".git" in any case, or containing '/') fail with
// kCorruption. `destination` is the directory's
// path, used only in error messages and never opened. On failure the directory holds what
// was written so far.
Result<ExportSummary> WriteTree(git_repository* repository, const git_tree* tree, int directory_fd,
                                const std::filesystem::path& destination);

}  // namespace lockstep::git
