// `lockstep sync`: make a folder hold exactly a subtree of a git repository at a commit, with
// an integrity manifest (manifest.h), all or nothing (staging.h). The first sync into a
// folder copies everything; later ones read the previous manifest and write only what
// changed between its tree and the new one, so unchanged files are not touched or re-read.
// Thread-compatible: one sync per destination at a time (a lock serialises processes).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/error.h"
#include "sync/manifest.h"

namespace lockstep::sync {

// "REPOSITORY:PATH[@REVISION]" taken apart. REPOSITORY is a path or a file:// URL; PATH may
// be empty (the whole tree); REVISION defaults to HEAD.
struct SyncSource {
  std::string repository;
  std::string path;
  std::string revision = "HEAD";
};

// kInvalidArgument, naming the expected form, when there is no ':' or no repository.
Result<SyncSource> ParseSyncSource(std::string_view text);

struct SyncRequest {
  SyncSource source;
  std::filesystem::path destination;
  std::string actor;                  // recorded in the manifest
  bool force = false;                 // see SyncTree
  int threads = 0;                    // <= 0: one per core
  std::filesystem::path mirrors_dir;  // where sources given by URL are mirrored
};

struct SyncReport {
  enum class Kind {
    kFull,         // every file written into a new tree that replaced the destination
    kIncremental,  // only the files that changed since the previous sync
    kUpToDate,     // the destination already holds this commit's subtree: nothing written
  };
  Kind kind = Kind::kFull;
  Manifest manifest;             // as written (or as found, when up to date)
  std::string previous_commit;   // of the manifest found; empty when there was none
  std::string full_copy_reason;  // why a full copy when there was a previous manifest
  int64_t added = 0, modified = 0, removed = 0, unchanged = 0;
  int64_t bytes_written = 0;
  std::vector<std::string> submodules;  // in the subtree, not followed
  bool recovered = false;               // an interrupted sync was finished first
};

// Syncs `request.source` into `request.destination`. Refuses (kInvalidArgument, nothing
// changed) a source path that is absolute or has "..", a symbolic link in the subtree
// pointing outside it, a destination inside the source repository or containing it, one
// that is a symbolic link, a file, or the root of a repository; and unless `force`: a
// destination with uncommitted changes in its repository, a non-empty destination without a
// manifest, a manifest that does not verify (kCorruption). `force` also makes the copy full.
Result<SyncReport> SyncTree(const SyncRequest& request);

// "full", "incremental" or "up to date".
std::string_view SyncKindName(SyncReport::Kind kind);

}  // namespace lockstep::sync
