// The files of a git tree as plain values, for copying a subtree file by file (the sync
// module): a recursive listing, the file-level difference between two trees, and blob reads
// by id. Plain data; thread-safe as values.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <vector>

namespace lockstep::git {

// One file or symbolic link in a tree.
struct TreeFile {
  std::string path;     // relative to the listed tree, '/'-separated
  uint32_t mode = 0;    // 0100644, 0100755 or 0120000 (a symbolic link)
  std::string blob_id;  // 40 lower-case hex digits

  bool operator==(const TreeFile&) const = default;
};

// Every file of a tree, recursively.
struct TreeFiles {
  std::string tree_id;                  // the listed tree (hex)
  std::vector<TreeFile> files;          // sorted by path, bytewise
  std::vector<std::string> submodules;  // paths of submodules, not followed
};

// One path whose file differs between two trees. Renames are not paired: a moved file is
// its old path with new_mode 0 and its new path with old_mode 0.
struct TreeFileChange {
  std::string path;
  uint32_t old_mode = 0;    // 0: absent in the old tree (or a directory or submodule there)
  uint32_t new_mode = 0;    // 0: absent in the new tree (or a directory or submodule there)
  std::string new_blob_id;  // the new content's id when new_mode is set; empty otherwise

  bool operator==(const TreeFileChange&) const = default;
};

// What the index recorded about a work-tree file when it was staged: git's cache of stat
// data, by which `git status` knows a file is unchanged without reading it. Fields are as
// the index stores them (32 bits each).
struct IndexedStat {
  uint32_t mtime_seconds = 0, mtime_nanoseconds = 0;
  uint32_t ctime_seconds = 0, ctime_nanoseconds = 0;
  uint32_t device = 0, inode = 0, mode = 0, uid = 0, gid = 0, size = 0;
  std::string blob_id;  // the content staged (40 hex)
};

// Whether `info` (an lstat or fstat of the file now) matches what the index recorded: same
// times, inode, device, owner, size and file type and executable bit, as git compares them.
bool StatMatches(const IndexedStat& indexed, const struct stat& info);

}  // namespace lockstep::git
