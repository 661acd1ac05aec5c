// Checking a synced directory against its manifest: which files were added, removed or changed
// since the sync wrote it. Thread-safe: no state is kept between calls.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "sync/manifest.h"

namespace lockstep::sync {

struct Difference {
  enum class Kind {
    kAdded,        // on disk, not in the manifest
    kRemoved,      // in the manifest, not on disk
    kModified,     // content (size or SHA-256) or type (file <-> symbolic link) differs
    kModeChanged,  // same content, only the executable bit differs
  };
  Kind kind;
  std::string path;

  bool operator==(const Difference&) const = default;
};

// "added", "removed", "modified" or "mode changed".
std::string_view DifferenceKindName(Difference::Kind kind);

// The differences between what a manifest lists (`expected`) and what is there (`actual`),
// both sorted by path as HashTree and ParseManifestJson give them; at most one difference per
// path, the result sorted by path.
std::vector<Difference> CompareEntries(const std::vector<ManifestEntry>& expected,
                                       const std::vector<ManifestEntry>& actual);

// Reads `directory`/kManifestFileName, checks its digest, re-hashes the directory on
// `threads` threads (<= 0: one per core; see HashTree) and returns every difference, sorted
// by path; empty when the directory is exactly as the manifest describes it. Fails with
// kNotFound when there is no manifest, kCorruption when its digest does not match (it cannot
// be trusted to compare against), and otherwise the errors of ReadManifest and HashTree.
Result<std::vector<Difference>> VerifyTree(const std::filesystem::path& directory, int threads);

}  // namespace lockstep::sync
