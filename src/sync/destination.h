// The rules a sync destination must meet before anything is written, and the folders made
// for it. Internal to the sync module. Thread-compatible.
#pragma once

#include <filesystem>
#include <vector>

#include "base/error.h"
#include "git/repository.h"
#include "sync/manifest.h"

namespace lockstep::sync {

// Refuses a destination that is a symbolic link, a file, a mount point or the root of a git
// repository, and one inside the source repository or containing it.
Result<void> CheckDestination(const std::filesystem::path& destination,
                              const git::Repository& source);

// Refuses a destination with uncommitted changes in the repository that holds it. What the
// previous sync wrote and nobody committed yet is not a change of anyone's: a path counts
// when it differs from `previous` (hashing only the paths git reports).
Result<void> CheckCommitted(const std::filesystem::path& destination, const Manifest* previous);

// Whether `path` is a folder with nothing in it.
bool IsEmptyDirectory(const std::filesystem::path& path);

// Creates the missing folders of a path and removes them again (deepest first, only while
// empty) unless Keep() is called.
class CreatedFolders {
 public:
  static Result<CreatedFolders> Make(const std::filesystem::path& path);
  CreatedFolders() = default;
  CreatedFolders(CreatedFolders&&) = default;
  CreatedFolders& operator=(CreatedFolders&&) = default;
  ~CreatedFolders();
  void Keep() { folders_.clear(); }

 private:
  std::vector<std::filesystem::path> folders_;
};

}  // namespace lockstep::sync
