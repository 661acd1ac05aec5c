// Whole-file reads and writes with errors that name the file. Thread-compatible.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/error.h"

namespace lockstep {

// Reads the whole file at `path`. Fails with kNotFound, kPermissionDenied or kIoError, the
// message naming the path; refuses files larger than `max_bytes` with kInvalidArgument.
Result<std::string> ReadFile(const std::filesystem::path& path,
                             size_t max_bytes = size_t{64} << 20);

// Writes `text` to `path` through a temporary file beside it ("PATH.tmp"), fsync and rename,
// so that readers see the old file or the new one, never a part. Fails naming the file.
Result<void> WriteFileAtomically(const std::filesystem::path& path, std::string_view text);

// Deletes `path` and everything under it; missing is fine. Folders left read-only (a
// snapshot, a Go module cache) are made writable first, as removing their entries needs it.
// Fails with an error naming what could not be removed.
Result<void> RemoveTree(const std::filesystem::path& path);

}  // namespace lockstep
