// Matching files against CodeCatalyst `Files` globs (artifacts, reports, caches). Pure apart
// from reading directories; thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace lockstep::engine {

// Whether relative path `path` ("a/b/c.txt", '/'-separated) matches `pattern`: `*` matches
// within one path segment, `?` one character, `[abc]`/`[a-z]`/`[!a]` a class, `**` as a whole
// segment any number of segments (zero included), and a pattern naming a directory matches
// everything under it.
bool GlobMatch(std::string_view pattern, std::string_view path);

// Checks a pattern: relative, no ".." segment, classes closed. kInvalidArgument saying why.
Result<void> CheckGlob(std::string_view pattern);

// Regular files and symbolic links under `root` that match any of `patterns`, as sorted
// relative paths; symbolic links are not followed into directories. Fails on an invalid
// pattern or an unreadable directory.
Result<std::vector<std::string>> FindMatchingFiles(const std::filesystem::path& root,
                                                   const std::vector<std::string>& patterns);

// Copies `files` (relative to `from`) to the same relative paths under `to`, creating
// directories, keeping modes and symbolic links. Returns the bytes copied.
Result<int64_t> CopyFiles(const std::filesystem::path& from, const std::vector<std::string>& files,
                          const std::filesystem::path& to);

// Copies a whole directory tree (modes and links kept). Returns the bytes copied.
Result<int64_t> CopyTree(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace lockstep::engine
