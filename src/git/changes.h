// What changed between two commits: the value type returned by Repository::ChangedPaths.
// Plain data; thread-safe as a value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lockstep::git {

// One path that differs between two trees, as `git diff -M --raw` reports it.
struct ChangedPath {
  enum class Kind {
    kAdded,        // only in the new tree; old_mode is 0
    kModified,     // content changed (a mode change at the same time is kModified too,
                   // with old_mode and new_mode both set and different)
    kDeleted,      // only in the old tree; new_mode is 0
    kRenamed,      // moved from old_path, content at least 50% similar (maybe edited too)
    kModeChanged,  // same content, only the mode changed (100644 <-> 100755)
    kTypeChanged,  // a file became a symbolic link or submodule, or the other way round
  };

  Kind kind = Kind::kModified;
  std::string path;       // in the new tree (the old tree for kDeleted); '/'-separated
  std::string old_path;   // kRenamed only: the path in the old tree; empty otherwise
  uint32_t old_mode = 0;  // git modes: 0100644, 0100755, 0120000 (link), 0160000 (submodule)
  uint32_t new_mode = 0;

  bool operator==(const ChangedPath&) const = default;
};

// "added", "modified", "deleted", "renamed", "mode changed", "type changed".
std::string_view ChangedPathKindName(ChangedPath::Kind kind);

}  // namespace lockstep::git
