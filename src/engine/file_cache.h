// CodeCatalyst `Caching.FileCaching`: named paths saved after a successful action and restored
// before the next run of the same workflow. Stored under the state directory per workflow and
// key. Thread-compatible; safe across processes (a save is written beside and renamed in).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/error.h"

namespace lockstep::engine {

struct CacheEntry {
  std::string key;                        // the FileCaching key
  std::string path;                       // Path: relative to the action's default directory,
                                          // or absolute
  std::vector<std::string> restore_keys;  // tried in order when `key` has no saved copy
};

class FileCache {
 public:
  // `root` is the cache folder of one workflow (created when missing).
  explicit FileCache(std::filesystem::path root) : root_(std::move(root)) {}

  // Restores `entry` into `directory`/path from the copy saved under its key, else under the
  // first restore key that has one. Returns the key restored from, or "" when none existed.
  // Keys match exactly, not as prefixes. A saved folder is merged into an existing one (files
  // of the same name replaced); a saved file replaces whatever is at the path.
  Result<std::string> Restore(const CacheEntry& entry, const std::filesystem::path& directory);

  // Saves `directory`/path (file or folder) under the entry's key, replacing an older copy
  // atomically. A missing path is not an error (nothing is saved); returns whether saved.
  Result<bool> Save(const CacheEntry& entry, const std::filesystem::path& directory);

 private:
  std::filesystem::path root_;
};

}  // namespace lockstep::engine
