// Writing git blobs to files while hashing them: the data path of a sync. Each blob is read
// once from the object database, hashed with SHA-256 and written, on several threads with a
// repository handle each. Thread-safe (keeps no state between calls).
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "base/error.h"
#include "git/repository.h"
#include "sync/manifest.h"

namespace lockstep::sync {

struct BlobCopy {
  std::string path;     // in the synced subtree: the manifest path, for errors
  uint32_t mode = 0;    // kModeRegular, kModeExecutable or kModeSymlink
  std::string blob_id;  // 40 hex digits
  // Where to write: a new file (missing folders are made). Paths are plain strings here, as
  // std::filesystem::path keeps a list of components, 500 bytes a file for 20,000 files.
  std::string target;
  // The same file in the source's work tree and what the index says about it: when the file
  // still matches (git::StatMatches) it holds exactly this blob, and is read instead of the
  // object database (no decompression). Empty path: read the blob.
  std::string work_tree_file;
  const git::IndexedStat* indexed = nullptr;
};

// Writes every copy (a symbolic link as a link, after checking that its target stays in the
// subtree; files 0666 or 0777 less the umask, as git checks out) and returns their manifest
// entries, parallel to `copies`. Data is not flushed to disk (see MakeDurable). On failure
// the error of the earliest failing copy in `copies` order; files already written stay.
Result<std::vector<ManifestEntry>> CopyBlobs(const git::Repository& repository,
                                             std::span<const BlobCopy> copies, int threads);

}  // namespace lockstep::sync
