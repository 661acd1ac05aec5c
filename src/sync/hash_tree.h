// Hashing a directory tree into manifest entries, the shared measure of "what is on disk" for
// writing a sync manifest and for verifying one. Thread-safe: HashTree keeps no state between
// calls (it starts and joins its own threads).
#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "sync/manifest.h"

namespace lockstep::sync {

// Walks `root` and returns one entry per regular file and symbolic link under it, sorted by
// path in byte order (the manifest's order):
//  - a regular file gets kModeExecutable when its owner-execute bit is set (git's rule), else
//    kModeRegular; size and SHA-256 of the bytes read;
//  - a symbolic link is recorded, never followed: kModeSymlink, size and SHA-256 of its target
//    text, wherever it points (deciding whether a target is acceptable is the caller's job);
//  - directories are walked, not recorded, so an empty directory leaves no trace;
//  - `root`/kManifestFileName itself is skipped (only at the top).
// File contents are hashed on `threads` threads (<= 0: one per core), each reading whole
// files in 1 MiB blocks; the walk itself is sequential.
// Fails with kNotFound when `root` is missing, kInvalidArgument when `root` is not a
// directory, when a name is not valid UTF-8 (a manifest is JSON), or on a file of another
// type (FIFO, socket, device), and with the errno-derived error of the first file that cannot
// be listed or read, naming it. Files changing during the walk give whatever was read.
Result<std::vector<ManifestEntry>> HashTree(const std::filesystem::path& root, int threads);

// The entry HashTree would give for the one file or symbolic link `root`/`relative`
// (`relative` as in a manifest). kNotFound when nothing is there, kInvalidArgument for a
// folder or another type of file.
Result<ManifestEntry> HashPath(const std::filesystem::path& root, std::string_view relative);

}  // namespace lockstep::sync
