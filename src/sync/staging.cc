#include "sync/staging.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <set>

#include "base/file.h"

namespace lockstep::sync {
namespace {

namespace fs = std::filesystem;

constexpr const char* kStagedManifest = "manifest.json";  // an update's commit marker
constexpr const char* kRemoveList = "remove";
constexpr const char* kFilesFolder = "files";
constexpr const char* kTreeFolder = "tree";
constexpr const char* kOldFolder = "old";

// Beyond this many files, one syncfs is cheaper than an fsync each.
constexpr size_t kMaxFsyncs = 32;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

Result<Fd> OpenDirectory(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::unexpected(ErrnoError(errno, path.string()));
  return Fd(fd);
}

Result<void> FsyncDirectory(int fd, const fs::path& name) {
  if (::fsync(fd) != 0) return std::unexpected(ErrnoError(errno, name.string()));
  return {};
}

// The folder `relative` ("a/b", "" for the root itself) under `root_fd`, opened component by
// component without following symbolic links, so nothing placed in the destination can
// redirect a write outside it. Missing folders are created when `create` is set; otherwise
// a missing one is kNotFound.
Result<Fd> OpenBeneath(int root_fd, std::string_view relative, bool create, const fs::path& root) {
  Fd current(::dup(root_fd));
  if (current.get() < 0) return std::unexpected(ErrnoError(errno, root.string()));
  size_t start = 0;
  while (start < relative.size()) {
    size_t slash = relative.find('/', start);
    if (slash == std::string_view::npos) slash = relative.size();
    std::string name(relative.substr(start, slash - start));
    start = slash + 1;
    if (name.empty() || name == "." || name == "..") {
      return Fail(ErrorCode::kCorruption,
                  fmt::format("{}: unsafe path '{}'", root.string(), relative));
    }
    int fd = ::openat(current.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
      if (::mkdirat(current.get(), name.c_str(), 0777) != 0 && errno != EEXIST) {
        return std::unexpected(ErrnoError(errno, (root / relative.substr(0, slash)).string()));
      }
      fd = ::openat(current.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
      std::string where = (root / relative.substr(0, slash)).string();
      bool missing = errno == ENOENT || errno == ENOTDIR || errno == ELOOP;
      if (missing && !create) {
        return Fail(ErrorCode::kNotFound, fmt::format("{}: no such folder", where));
      }
      if (errno == ELOOP) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("{}: a symbolic link where a folder must be", where));
      }
      return std::unexpected(ErrnoError(errno, where));
    }
    current = Fd(fd);
  }
  return current;
}

std::pair<std::string_view, std::string_view> SplitParent(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return {"", path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

// The numbered files an incremental update staged, by their index in the new manifest.
Result<std::vector<size_t>> StagedIndexes(const fs::path& files) {
  std::vector<size_t> indexes;
  DIR* listing = ::opendir(files.c_str());
  if (listing == nullptr) {
    if (errno == ENOENT) return indexes;
    return std::unexpected(ErrnoError(errno, files.string()));
  }
  while (dirent* item = ::readdir(listing)) {
    std::string_view name = item->d_name;
    size_t index = 0;
    auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), index);
    if (error == std::errc() && end == name.data() + name.size()) indexes.push_back(index);
  }
  ::closedir(listing);
  return indexes;
}

Result<std::vector<std::string>> ReadRemoveList(const fs::path& path) {
  Result<std::string> text = ReadFile(path, size_t{1} << 30);
  if (!text) return std::unexpected(text.error());
  std::vector<std::string> paths;
  size_t start = 0;
  while (start < text->size()) {
    size_t end = text->find('\0', start);
    if (end == std::string::npos) {
      return Fail(ErrorCode::kCorruption, fmt::format("{}: truncated", path.string()));
    }
    paths.emplace_back(text->substr(start, end - start));
    start = end + 1;
  }
  return paths;
}

// Whether `path` is a folder in `manifest` (some entry lies below it).
bool IsFolderOf(const Manifest& manifest, std::string_view path) {
  std::string prefix = std::string(path) + "/";
  auto it = std::ranges::lower_bound(manifest.files, prefix, {}, &ManifestEntry::path);
  return it != manifest.files.end() && it->path.starts_with(prefix);
}

// Removes the folder `relative` and then its parents while they are empty, up to the root.
void RemoveEmptyFolders(int root_fd, std::string relative, const fs::path& root) {
  while (!relative.empty()) {
    auto [parent, name] = SplitParent(relative);
    Result<Fd> parent_fd = OpenBeneath(root_fd, parent, false, root);
    if (!parent_fd) return;
    // Gone already (an interrupted roll-forward removed it): its parent may still be empty.
    if (::unlinkat(parent_fd->get(), std::string(name).c_str(), AT_REMOVEDIR) != 0 &&
        errno != ENOENT) {
      return;
    }
    relative = std::string(parent);
  }
}

// Rolls a committed update forward. Every step tolerates having been done before. `known` is
// the staged manifest when the caller has it; otherwise it is read back.
Result<void> ApplyUpdate(const fs::path& destination, const fs::path& staging,
                         const Manifest* known) {
  Result<Manifest> read = Fail(ErrorCode::kInternal, "unread");
  if (known == nullptr) {
    Result<std::string> text = ReadFile(staging / kStagedManifest);
    if (!text) return std::unexpected(text.error());
    read = ParseManifestJson(*text, (staging / kStagedManifest).string());
    if (!read) return std::unexpected(read.error());
    known = &*read;
  }
  const Manifest* manifest = known;
  Result<std::vector<std::string>> remove = ReadRemoveList(staging / kRemoveList);
  if (!remove) return std::unexpected(remove.error());
  Result<Fd> root = OpenDirectory(destination);
  if (!root) return std::unexpected(root.error());
  Result<Fd> files = OpenDirectory(staging / kFilesFolder);
  if (!files) return std::unexpected(files.error());

  std::set<std::string> touched;  // folders whose entries changed, to make durable
  std::set<std::string> emptied;  // folders that may have become empty
  for (const std::string& path : *remove) {
    auto [parent, name] = SplitParent(path);
    Result<Fd> folder = OpenBeneath(root->get(), parent, false, destination);
    if (!folder) {
      if (folder.error().code() != ErrorCode::kNotFound) return std::unexpected(folder.error());
      // Removed by an interrupted roll-forward, maybe with some of its empty parents.
      if (!parent.empty()) emptied.emplace(parent);
      continue;
    }
    if (::unlinkat(folder->get(), std::string(name).c_str(), 0) != 0 && errno != ENOENT) {
      // Done before: the removed file's name is now a folder of the new tree.
      if (errno != EISDIR || !IsFolderOf(*manifest, path)) {
        return std::unexpected(ErrnoError(errno, (destination / path).string()));
      }
    }
    touched.emplace(parent);
    if (!parent.empty()) emptied.emplace(parent);
  }
  // Deepest first, so a parent is tried after its children.
  for (auto it = emptied.rbegin(); it != emptied.rend(); ++it) {
    RemoveEmptyFolders(root->get(), *it, destination);
  }

  Result<std::vector<size_t>> staged = StagedIndexes(staging / kFilesFolder);
  if (!staged) return std::unexpected(staged.error());
  for (size_t index : *staged) {
    if (index >= manifest->files.size()) {
      return Fail(ErrorCode::kCorruption, fmt::format("{}: staged file {} is not in the manifest",
                                                      staging.string(), index));
    }
    const std::string& path = manifest->files[index].path;
    auto [parent, name] = SplitParent(path);
    Result<Fd> folder = OpenBeneath(root->get(), parent, true, destination);
    if (!folder) return std::unexpected(folder.error());
    std::string number = std::to_string(index);
    if (::renameat(files->get(), number.c_str(), folder->get(), std::string(name).c_str()) != 0) {
      return std::unexpected(ErrnoError(errno, (destination / path).string()));
    }
    // A folder made for the file, and every one above it, changed too.
    for (std::string_view folder_path = parent; !folder_path.empty();
         folder_path = SplitParent(folder_path).first) {
      touched.emplace(folder_path);
    }
    touched.emplace("");
  }
  for (const std::string& folder : touched) {
    Result<Fd> fd = OpenBeneath(root->get(), folder, false, destination);
    if (!fd) continue;  // removed since, as an empty folder
    if (Result<void> synced = FsyncDirectory(fd->get(), destination / folder); !synced) {
      return synced;
    }
  }
  // Last: the new manifest, which from now on describes what is there.
  Result<Fd> staging_fd = OpenDirectory(staging);
  if (!staging_fd) return std::unexpected(staging_fd.error());
  std::string manifest_name(kManifestFileName);
  if (::renameat(staging_fd->get(), kStagedManifest, root->get(), manifest_name.c_str()) != 0) {
    return std::unexpected(ErrnoError(errno, (destination / manifest_name).string()));
  }
  if (Result<void> synced = FsyncDirectory(root->get(), destination); !synced) return synced;
  return RemoveTree(staging);
}

}  // namespace

fs::path StagingPath(const fs::path& destination) {
  fs::path clean = destination.lexically_normal();
  if (!clean.has_filename()) clean = clean.parent_path();
  return clean.parent_path() / fmt::format(".{}.lockstep-sync", clean.filename().string());
}

Result<SyncLock> SyncLock::Acquire(const fs::path& destination) {
  fs::path parent = StagingPath(destination).parent_path();
  int fd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(ErrnoError(errno, parent.string()));
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    int error = errno;
    ::close(fd);
    return std::unexpected(ErrnoError(error, fmt::format("cannot lock {}", parent.string())));
  }
  return SyncLock(fd);
}

SyncLock::~SyncLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

Result<void> DiscardInterruptedSync(const fs::path& destination) {
  fs::path staging = StagingPath(destination);
  std::error_code error;
  if (!fs::exists(fs::symlink_status(destination, error)) &&
      fs::exists(fs::symlink_status(staging / kOldFolder, error))) {
    if (::rename((staging / kOldFolder).c_str(), destination.c_str()) != 0) {
      return std::unexpected(ErrnoError(errno, destination.string()));
    }
  }
  return RemoveTree(staging);
}

Result<bool> RecoverInterruptedSync(const fs::path& destination) {
  fs::path staging = StagingPath(destination);
  std::error_code error;
  if (!fs::exists(fs::symlink_status(staging, error))) return false;
  // Committed: the remove list is written before the marker, the tree of a full copy never.
  if (fs::exists(staging / kStagedManifest, error) && fs::exists(staging / kRemoveList, error) &&
      !fs::exists(fs::symlink_status(staging / kTreeFolder, error))) {
    if (Result<void> applied = ApplyUpdate(destination, staging, nullptr); !applied) {
      return std::unexpected(Error(
          applied.error().code(),
          fmt::format("cannot finish the interrupted sync into {}: {}; `lockstep sync --force` "
                      "discards it and copies everything",
                      destination.string(), applied.error().message())));
    }
    return true;
  }
  // A full copy never rolls forward: before its swap the destination is untouched, after it
  // complete. Only the fallback's two renames can leave the destination moved aside.
  if (Result<void> discarded = DiscardInterruptedSync(destination); !discarded) {
    return std::unexpected(discarded.error());
  }
  return false;
}

Result<void> SyncFileSystem(const fs::path& path) {
  Result<Fd> folder = OpenDirectory(path);
  if (!folder) return std::unexpected(folder.error());
  if (::syncfs(folder->get()) != 0) return std::unexpected(ErrnoError(errno, path.string()));
  return {};
}

Result<void> MakeDurable(const std::vector<fs::path>& paths) {
  if (paths.empty()) return {};
  if (paths.size() > kMaxFsyncs) return SyncFileSystem(paths.front().parent_path());
  for (const fs::path& path : paths) {
    // A symbolic link has no data of its own to flush; its folder is synced by the caller.
    struct stat info {};
    if (::lstat(path.c_str(), &info) == 0 && S_ISLNK(info.st_mode)) continue;
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (fd.get() < 0 || ::fsync(fd.get()) != 0) {
      return std::unexpected(ErrnoError(errno, path.string()));
    }
  }
  return {};
}

Result<void> SwapInTree(const fs::path& destination) {
  fs::path staging = StagingPath(destination);
  fs::path tree = staging / kTreeFolder;
  struct stat info {};
  if (::lstat(destination.c_str(), &info) != 0) {
    if (errno != ENOENT) return std::unexpected(ErrnoError(errno, destination.string()));
    if (::rename(tree.c_str(), destination.c_str()) != 0) {
      return std::unexpected(ErrnoError(errno, destination.string()));
    }
  } else if (::renameat2(AT_FDCWD, tree.c_str(), AT_FDCWD, destination.c_str(), RENAME_EXCHANGE) !=
             0) {
    if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) {
      return std::unexpected(ErrnoError(errno, destination.string()));
    }
    // No atomic exchange on this file system: move the old tree aside, then the new one in.
    // Recovery moves the old one back if only the first rename happened.
    fs::path old = staging / kOldFolder;
    if (::rename(destination.c_str(), old.c_str()) != 0) {
      return std::unexpected(ErrnoError(errno, destination.string()));
    }
    if (::rename(tree.c_str(), destination.c_str()) != 0) {
      int error = errno;
      ::rename(old.c_str(), destination.c_str());
      return std::unexpected(ErrnoError(error, destination.string()));
    }
  }
  Result<Fd> parent = OpenDirectory(staging.parent_path());
  if (!parent) return std::unexpected(parent.error());
  if (Result<void> synced = FsyncDirectory(parent->get(), staging.parent_path()); !synced) {
    return synced;
  }
  return RemoveTree(staging);
}

Result<void> CommitUpdate(const fs::path& destination, const Manifest& manifest,
                          std::string_view text, const std::vector<std::string>& remove) {
  fs::path staging = StagingPath(destination);
  std::string list;
  for (const std::string& path : remove) {
    list += path;
    list += '\0';
  }
  if (Result<void> written = WriteFileAtomically(staging / kRemoveList, list); !written) {
    return written;
  }
  std::error_code ignored;
  fs::create_directories(staging / kFilesFolder, ignored);
  // The commit point: once manifest.json is there, the update is finished whatever happens.
  if (Result<void> written = WriteFileAtomically(staging / kStagedManifest, text); !written) {
    return written;
  }
  for (const fs::path& folder : {staging / kFilesFolder, staging}) {
    Result<Fd> fd = OpenDirectory(folder);
    if (!fd) return std::unexpected(fd.error());
    if (Result<void> synced = FsyncDirectory(fd->get(), folder); !synced) return synced;
  }
  return ApplyUpdate(destination, staging, &manifest);
}

}  // namespace lockstep::sync
