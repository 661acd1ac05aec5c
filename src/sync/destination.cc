#include "sync/destination.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "sync/hash_tree.h"
#include "sync/sync_paths.h"

namespace lockstep::sync {
namespace {

namespace fs = std::filesystem;

constexpr size_t kListedChanges = 5;  // uncommitted paths named in a refusal

// The real path of `path`, resolving links in the part that exists.
fs::path RealPath(const fs::path& path) {
  std::error_code error;
  fs::path real = fs::weakly_canonical(path, error);
  return error ? path.lexically_normal() : real;
}

// The nearest folder at or above `path` that exists.
fs::path NearestExisting(fs::path path) {
  std::error_code error;
  while (!path.empty() && !fs::exists(path, error) && path != path.parent_path()) {
    path = path.parent_path();
  }
  return path;
}

}  // namespace

bool IsEmptyDirectory(const fs::path& path) {
  std::error_code error;
  return fs::is_empty(path, error) && !error;
}

Result<void> CheckDestination(const fs::path& destination, const git::Repository& source) {
  struct stat info {};
  if (::lstat(destination.c_str(), &info) == 0) {
    if (S_ISLNK(info.st_mode)) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("destination {} is a symbolic link; give the folder it points to",
                              destination.string()));
    }
    if (!S_ISDIR(info.st_mode)) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("destination {} exists and is not a folder", destination.string()));
    }
    struct statx mount_info {};
    if (::statx(AT_FDCWD, destination.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS,
                &mount_info) == 0 &&
        (mount_info.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0 &&
        (mount_info.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("destination {} is a mount point; a sync prepares the new files "
                              "beside the destination and renames them in, which cannot cross "
                              "mounts: sync into a folder inside it",
                              destination.string()));
    }
    std::error_code error;
    if (fs::exists(fs::symlink_status(destination / ".git", error))) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("destination {} is the root of a git repository; sync into a "
                              "folder inside it",
                              destination.string()));
    }
  }
  fs::path real = RealPath(destination);
  for (const fs::path& root : {source.work_tree(), source.git_directory()}) {
    if (root.empty()) continue;
    fs::path real_root = RealPath(root);
    if (IsWithin(real, real_root)) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("destination {} is inside the source repository {}",
                              destination.string(), real_root.string()));
    }
    if (IsWithin(real_root, real)) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("the source repository {} is inside the destination {}",
                              real_root.string(), destination.string()));
    }
  }
  return {};
}

Result<void> CheckCommitted(const fs::path& destination, const Manifest* previous) {
  Result<git::Repository> holder = git::Repository::Open(NearestExisting(destination));
  if (!holder || holder->work_tree().empty()) return {};  // not in a work tree: nothing to check
  fs::path relative = RealPath(destination).lexically_relative(RealPath(holder->work_tree()));
  if (relative.empty() || *relative.begin() == "..") return {};
  const std::string prefix = relative == "." ? "" : relative.generic_string();
  Result<std::vector<std::string>> changes = holder->UncommittedChanges(prefix);
  if (!changes) return std::unexpected(changes.error());
  std::vector<std::string> foreign;
  for (const std::string& path : *changes) {
    std::string_view inside = path;
    if (!prefix.empty()) inside.remove_prefix(std::min(inside.size(), prefix.size() + 1));
    if (previous != nullptr) {
      if (inside == kManifestFileName) continue;
      auto entry = std::ranges::lower_bound(previous->files, inside, {}, &ManifestEntry::path);
      bool listed = entry != previous->files.end() && entry->path == inside;
      Result<ManifestEntry> found = HashPath(destination, inside);
      if (!found && found.error().code() == ErrorCode::kNotFound && !listed) continue;
      if (found && listed && *found == *entry) continue;
    }
    foreign.push_back(path);
  }
  if (foreign.empty()) return {};
  std::vector<std::string> shown(foreign.begin(),
                                 foreign.begin() + std::min(foreign.size(), kListedChanges));
  std::string more = foreign.size() > kListedChanges
                         ? fmt::format(" and {} more", foreign.size() - kListedChanges)
                         : "";
  return Fail(ErrorCode::kInvalidArgument,
              fmt::format("destination {} has uncommitted changes ({}{}); commit or discard "
                          "them, or pass --force to overwrite them",
                          destination.string(), fmt::join(shown, ", "), more));
}

Result<CreatedFolders> CreatedFolders::Make(const std::filesystem::path& path) {
  CreatedFolders made;
  std::vector<std::filesystem::path> missing;
  std::error_code error;
  for (std::filesystem::path at = path;
       !at.empty() && !std::filesystem::exists(std::filesystem::symlink_status(at, error));
       at = at.parent_path()) {
    missing.push_back(at);
    if (at == at.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0777) != 0 && errno != EEXIST) {
      return std::unexpected(ErrnoError(errno, it->string()));
    }
    made.folders_.push_back(*it);
  }
  return made;
}

CreatedFolders::~CreatedFolders() {
  for (auto it = folders_.rbegin(); it != folders_.rend(); ++it) ::rmdir(it->c_str());
}

}  // namespace lockstep::sync
