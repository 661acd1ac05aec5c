#include "sync/verify.h"

#include "sync/hash_tree.h"

namespace lockstep::sync {

std::string_view DifferenceKindName(Difference::Kind kind) {
  switch (kind) {
    case Difference::Kind::kAdded:
      return "added";
    case Difference::Kind::kRemoved:
      return "removed";
    case Difference::Kind::kModified:
      return "modified";
    case Difference::Kind::kModeChanged:
      return "mode changed";
  }
  return "unknown";
}

std::vector<Difference> CompareEntries(const std::vector<ManifestEntry>& expected,
                                       const std::vector<ManifestEntry>& actual) {
  // A merge of two lists sorted by path: one pass, no lookups.
  std::vector<Difference> differences;
  size_t e = 0;
  size_t a = 0;
  while (e < expected.size() || a < actual.size()) {
    if (a == actual.size() || (e < expected.size() && expected[e].path < actual[a].path)) {
      differences.push_back({Difference::Kind::kRemoved, expected[e++].path});
    } else if (e == expected.size() || actual[a].path < expected[e].path) {
      differences.push_back({Difference::Kind::kAdded, actual[a++].path});
    } else {
      const ManifestEntry& want = expected[e++];
      const ManifestEntry& have = actual[a++];
      bool was_link = want.mode == kModeSymlink;
      bool is_link = have.mode == kModeSymlink;
      if (want.size != have.size || want.sha256 != have.sha256 || was_link != is_link) {
        differences.push_back({Difference::Kind::kModified, want.path});
      } else if (want.mode != have.mode) {
        differences.push_back({Difference::Kind::kModeChanged, want.path});
      }
    }
  }
  return differences;
}

Result<std::vector<Difference>> VerifyTree(const std::filesystem::path& directory, int threads) {
  Result<Manifest> manifest = ReadManifest(directory);
  if (!manifest) return std::unexpected(manifest.error());
  Result<std::vector<ManifestEntry>> actual = HashTree(directory, threads);
  if (!actual) return std::unexpected(actual.error());
  return CompareEntries(manifest->files, *actual);
}

}  // namespace lockstep::sync
