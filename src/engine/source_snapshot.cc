#include "engine/source_snapshot.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <map>
#include <string_view>
#include <utility>

#include "base/file.h"

namespace lockstep::engine {
namespace {

constexpr mode_t kWriteBits = S_IWUSR | S_IWGRP | S_IWOTH;

// Closes a descriptor when it goes out of scope.
class ScopedFd {
 public:
  explicit ScopedFd(int fd = -1) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  ScopedFd(ScopedFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  ScopedFd& operator=(ScopedFd&&) = delete;
  int get() const { return fd_; }
  void release() { fd_ = -1; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_;
};

int64_t Nanoseconds(const timespec& time) {
  return static_cast<int64_t>(time.tv_sec) * 1'000'000'000 + time.tv_nsec;
}

std::string Join(const std::string& directory, std::string_view name) {
  return directory.empty() ? std::string(name) : directory + "/" + std::string(name);
}

std::unexpected<Error> Errno(const std::filesystem::path& root, std::string_view relative,
                             int error = errno) {
  return std::unexpected(ErrnoError(error, (root / relative).string()));
}

Result<void> WriteAll(int fd, std::string_view data, const std::filesystem::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(ErrnoError(errno, path.string()));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

// Copies the file `name` from `from_fd` into `to_fd` with the same permission bits, for when
// it cannot be linked (another file system, or the inode's link count is at its limit).
Result<void> CopyFile(int from_fd, int to_fd, const char* name, const std::filesystem::path& from,
                      const std::filesystem::path& to) {
  ScopedFd in(::openat(from_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  struct stat info {};
  if (!in.valid() || ::fstat(in.get(), &info) != 0) {
    return std::unexpected(ErrnoError(errno, (from / name).string()));
  }
  ScopedFd out(::openat(to_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        info.st_mode & 07777));
  if (!out.valid()) return std::unexpected(ErrnoError(errno, (to / name).string()));
  char buffer[1 << 16];
  for (;;) {
    ssize_t n = ::read(in.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(ErrnoError(errno, (from / name).string()));
    if (n == 0) break;
    Result<void> written =
        WriteAll(out.get(), std::string_view(buffer, static_cast<size_t>(n)), to / name);
    if (!written) return written;
  }
  // The umask may have narrowed the mode given to openat.
  if (::fchmod(out.get(), info.st_mode & 07777) != 0) {
    return std::unexpected(ErrnoError(errno, (to / name).string()));
  }
  return {};
}

// Replaces the file `name` in the directory open as `directory_fd` (at `directory`, for
// messages) by a new inode holding `content` with permission bits `mode`: written beside it
// under a temporary name, then renamed over it.
Result<void> ReplaceFile(int directory_fd, const std::string& name, std::string_view content,
                         mode_t mode, const std::filesystem::path& directory) {
  std::string temporary;
  int fd = -1;
  for (int attempt = 0; fd < 0; ++attempt) {
    temporary = fmt::format(".lockstep-restore-{}", attempt);
    fd = ::openat(directory_fd, temporary.c_str(),
                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && (errno != EEXIST || attempt == 99)) {
      return std::unexpected(ErrnoError(errno, (directory / temporary).string()));
    }
  }
  ScopedFd out(fd);
  Result<void> written = WriteAll(out.get(), content, directory / temporary);
  if (written && ::fchmod(out.get(), mode) != 0) {
    written = std::unexpected(ErrnoError(errno, (directory / temporary).string()));
  }
  if (written && ::renameat(directory_fd, temporary.c_str(), directory_fd, name.c_str()) != 0) {
    written = std::unexpected(ErrnoError(errno, (directory / name).string()));
  }
  if (!written) ::unlinkat(directory_fd, temporary.c_str(), 0);
  return written;
}

// Creates `destination` (missing parents too); fails if it exists.
Result<ScopedFd> MakeFreshDirectory(const std::filesystem::path& destination) {
  std::error_code ignored;  // a failure shows up as mkdir's ENOENT below
  std::filesystem::create_directories(destination.parent_path(), ignored);
  if (::mkdir(destination.c_str(), 0755) != 0) {
    return std::unexpected(ErrnoError(errno, destination.string()));
  }
  ScopedFd fd(::open(destination.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return std::unexpected(ErrnoError(errno, destination.string()));
  return fd;
}

}  // namespace

Result<SourceSnapshot> SourceSnapshot::Create(const git::Repository& repository, std::string commit,
                                              std::filesystem::path directory) {
  struct stat info {};
  if (::lstat(directory.c_str(), &info) == 0) {
    return Fail(ErrorCode::kAlreadyExists,
                fmt::format("snapshot directory '{}' exists already", directory.string()));
  }
  Result<git::ExportSummary> exported = repository.ExportTree(commit, "", directory);
  if (!exported) return std::unexpected(exported.error());
  SourceSnapshot snapshot(std::move(commit), std::move(directory));
  if (Result<void> recorded = snapshot.RecordIdentities(); !recorded) {
    return std::unexpected(recorded.error());
  }
  return snapshot;
}

Result<void> SourceSnapshot::RecordIdentities() {
  files_.clear();
  directories_.clear();
  ScopedFd root(::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root.valid()) return Errno(directory_, "");
  if (Result<void> recorded = RecordDirectory(root.get(), ""); !recorded) return recorded;
  // Directories are made read-only after their contents (a read-only directory cannot be
  // written into by anyone but root); the root last.
  if (::fchmod(root.get(), 0555) != 0) return Errno(directory_, "");
  std::sort(files_.begin(), files_.end(),
            [](const FileIdentity& a, const FileIdentity& b) { return a.path < b.path; });
  return {};
}

// Records the directory open as `directory_fd` at relative `path`, depth first: makes every
// file read-only, then records its identity (after the chmod, which changes the mode).
Result<void> SourceSnapshot::RecordDirectory(int directory_fd, const std::string& path) {
  size_t index = directories_.size();
  directories_.push_back(Directory{path, {}, {}, {}});

  ScopedFd listing_fd(::dup(directory_fd));
  DIR* listing = listing_fd.valid() ? ::fdopendir(listing_fd.get()) : nullptr;
  if (listing == nullptr) return Errno(directory_, path);
  listing_fd.release();  // the DIR owns it now
  std::vector<std::pair<std::string, unsigned char>> entries;
  while (dirent* item = ::readdir(listing)) {
    std::string_view name = item->d_name;
    if (name != "." && name != "..") entries.emplace_back(name, item->d_type);
  }
  ::closedir(listing);
  std::sort(entries.begin(), entries.end());

  std::vector<std::string> subdirectories;
  for (auto& [name, type] : entries) {
    std::string relative = Join(path, name);
    struct stat info {};
    if (type == DT_UNKNOWN) {  // file systems without d_type
      if (::fstatat(directory_fd, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
        return Errno(directory_, relative);
      }
      type = S_ISDIR(info.st_mode)   ? DT_DIR
             : S_ISLNK(info.st_mode) ? DT_LNK
             : S_ISREG(info.st_mode) ? DT_REG
                                     : DT_UNKNOWN;
    }
    if (type == DT_DIR) {
      subdirectories.push_back(std::move(name));
    } else if (type == DT_LNK) {
      char target[PATH_MAX];
      ssize_t length = ::readlinkat(directory_fd, name.c_str(), target, sizeof target);
      if (length < 0) return Errno(directory_, relative);
      directories_[index].symlinks.emplace_back(name,
                                                std::string(target, static_cast<size_t>(length)));
    } else if (type == DT_REG) {
      ScopedFd fd(::openat(directory_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (!fd.valid() || ::fstat(fd.get(), &info) != 0 ||
          ::fchmod(fd.get(), info.st_mode & 07777 & ~kWriteBits) != 0 ||
          ::fstat(fd.get(), &info) != 0) {
        return Errno(directory_, relative);
      }
      files_.push_back(FileIdentity{relative, static_cast<uint64_t>(info.st_ino),
                                    static_cast<int64_t>(info.st_size), Nanoseconds(info.st_mtim),
                                    static_cast<uint32_t>(info.st_mode)});
      directories_[index].files.push_back(std::move(name));
    } else {
      return Fail(ErrorCode::kInternal,
                  fmt::format("'{}' is neither a file, a link nor a directory",
                              (directory_ / relative).string()));
    }
  }

  directories_[index].subdirectories = subdirectories;
  for (const std::string& name : subdirectories) {
    std::string relative = Join(path, name);
    ScopedFd fd(
        ::openat(directory_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) return Errno(directory_, relative);
    if (Result<void> recorded = RecordDirectory(fd.get(), relative); !recorded) return recorded;
    if (::fchmod(fd.get(), 0555) != 0) return Errno(directory_, relative);
  }
  return {};
}

// Each directory is opened once on both sides and its entries are made relative to those
// descriptors, so the kernel resolves one path component per file.
Result<void> SourceSnapshot::LinkInto(const std::filesystem::path& destination) const {
  ScopedFd source_root(::open(directory_.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!source_root.valid()) return Errno(directory_, "");
  Result<ScopedFd> destination_root = MakeFreshDirectory(destination);
  if (!destination_root) return std::unexpected(destination_root.error());

  for (const Directory& directory : directories_) {
    const bool is_root = directory.path.empty();
    const char* relative = directory.path.c_str();
    if (!is_root && ::mkdirat(destination_root->get(), relative, 0755) != 0) {
      return Errno(destination, directory.path);
    }
    ScopedFd from(is_root ? -1
                          : ::openat(source_root.get(), relative,
                                     O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    ScopedFd to(is_root ? -1
                        : ::openat(destination_root->get(), relative,
                                   O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    int from_fd = is_root ? source_root.get() : from.get();
    int to_fd = is_root ? destination_root->get() : to.get();
    if (from_fd < 0) return Errno(directory_, directory.path);
    if (to_fd < 0) return Errno(destination, directory.path);
    std::filesystem::path to_path = destination / directory.path;

    for (const std::string& name : directory.files) {
      if (::linkat(from_fd, name.c_str(), to_fd, name.c_str(), 0) == 0) continue;
      if (errno != EXDEV && errno != EMLINK) return Errno(to_path, name);
      if (Result<void> copied =
              CopyFile(from_fd, to_fd, name.c_str(), directory_ / directory.path, to_path);
          !copied) {
        return copied;
      }
    }
    for (const auto& [name, target] : directory.symlinks) {
      if (::symlinkat(target.c_str(), to_fd, name.c_str()) != 0) return Errno(to_path, name);
    }
  }
  return {};
}

Result<void> SourceSnapshot::Refresh(const std::filesystem::path& copy) const {
  for (const Directory& directory : directories_) {
    std::filesystem::path path = copy / directory.path;
    ScopedFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) return std::unexpected(ErrnoError(errno, path.string()));
    if (Result<void> refreshed = RefreshDirectory(fd.get(), directory, path); !refreshed)
      return refreshed;
  }
  return {};
}

// One folder of a copy: compares its listing with the snapshot's folder and repairs the
// difference. Subfolders are only created here; their contents are the next folders' work.
Result<void> SourceSnapshot::RefreshDirectory(int copy_fd, const Directory& directory,
                                              const std::filesystem::path& copy_path) const {
  struct Entry {
    unsigned char type;
    ino_t inode;
  };
  std::map<std::string, Entry, std::less<>> present;
  {
    ScopedFd listing_fd(::dup(copy_fd));
    DIR* listing = listing_fd.valid() ? ::fdopendir(listing_fd.get()) : nullptr;
    if (listing == nullptr) return Errno(copy_path, "");
    listing_fd.release();
    while (dirent* item = ::readdir(listing)) {
      std::string_view name = item->d_name;
      if (name == "." || name == "..") continue;
      unsigned char type = item->d_type;
      if (type == DT_UNKNOWN) {
        struct stat info {};
        if (::fstatat(copy_fd, item->d_name, &info, AT_SYMLINK_NOFOLLOW) != 0) continue;
        type = S_ISDIR(info.st_mode) ? DT_DIR : S_ISLNK(info.st_mode) ? DT_LNK : DT_REG;
      }
      present.emplace(std::string(name), Entry{type, item->d_ino});
    }
    ::closedir(listing);
  }
  ScopedFd source(
      ::open((directory_ / directory.path).c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!source.valid()) return Errno(directory_, directory.path);

  // Removes whatever is at `name` in the copy, folder or not.
  auto remove = [&](const std::string& name, unsigned char type) -> Result<void> {
    if (type == DT_DIR) return RemoveTree(copy_path / name);
    if (::unlinkat(copy_fd, name.c_str(), 0) != 0) return Errno(copy_path, name);
    return {};
  };
  for (const std::string& name : directory.files) {
    auto file = std::lower_bound(
        files_.begin(), files_.end(), Join(directory.path, name),
        [](const FileIdentity& identity, const std::string& key) { return identity.path < key; });
    auto it = present.find(name);
    if (it != present.end()) {
      const bool same = it->second.type == DT_REG && file != files_.end() &&
                        static_cast<uint64_t>(it->second.inode) == file->inode;
      Entry entry = it->second;
      present.erase(it);
      if (same) continue;
      if (Result<void> removed = remove(name, entry.type); !removed) return removed;
    }
    if (::linkat(source.get(), name.c_str(), copy_fd, name.c_str(), 0) != 0) {
      if (errno != EXDEV && errno != EMLINK) return Errno(copy_path, name);
      if (Result<void> copied =
              CopyFile(source.get(), copy_fd, name.c_str(), directory_ / directory.path, copy_path);
          !copied) {
        return copied;
      }
    }
  }
  for (const auto& [name, target] : directory.symlinks) {
    auto it = present.find(name);
    if (it != present.end()) {
      Entry entry = it->second;
      present.erase(it);
      if (entry.type == DT_LNK) {
        char current[PATH_MAX];
        ssize_t length = ::readlinkat(copy_fd, name.c_str(), current, sizeof current);
        if (length >= 0 && std::string_view(current, static_cast<size_t>(length)) == target)
          continue;
      }
      if (Result<void> removed = remove(name, entry.type); !removed) return removed;
    }
    if (::symlinkat(target.c_str(), copy_fd, name.c_str()) != 0) return Errno(copy_path, name);
  }
  for (const std::string& name : directory.subdirectories) {
    auto it = present.find(name);
    if (it != present.end()) {
      Entry entry = it->second;
      present.erase(it);
      if (entry.type == DT_DIR) continue;
      if (Result<void> removed = remove(name, entry.type); !removed) return removed;
    }
    if (::mkdirat(copy_fd, name.c_str(), 0755) != 0) return Errno(copy_path, name);
  }
  for (const auto& [name, entry] : present) {  // what the action added
    if (Result<void> removed = remove(name, entry.type); !removed) return removed;
  }
  return {};
}

Result<std::vector<std::string>> SourceSnapshot::FindModified() const {
  ScopedFd root(::open(directory_.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root.valid()) return Errno(directory_, "");
  std::vector<std::string> modified;
  for (const FileIdentity& file : files_) {
    struct stat info {};
    if (::fstatat(root.get(), file.path.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT && errno != ENOTDIR) return Errno(directory_, file.path);
      modified.push_back(file.path);
      continue;
    }
    if (static_cast<uint64_t>(info.st_ino) != file.inode ||
        static_cast<uint32_t>(info.st_mode) != file.mode ||
        static_cast<int64_t>(info.st_size) != file.size ||
        Nanoseconds(info.st_mtim) != file.mtime_ns) {
      modified.push_back(file.path);
      continue;
    }
  }
  return modified;
}

Result<void> SourceSnapshot::Restore(const git::Repository& repository,
                                     const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    auto file = std::lower_bound(
        files_.begin(), files_.end(), path,
        [](const FileIdentity& identity, const std::string& key) { return identity.path < key; });
    if (file == files_.end() || file->path != path) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("'{}' is not a file of the snapshot", path));
    }
    Result<std::string> content = repository.ReadBlob(commit_, path);
    if (!content) return std::unexpected(content.error());

    std::filesystem::path relative(path);
    std::string parent = relative.parent_path().string();
    std::string name = relative.filename().string();
    std::filesystem::path parent_path = directory_ / parent;
    ScopedFd directory(
        ::open(parent_path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    struct stat directory_info {};
    if (!directory.valid() || ::fstat(directory.get(), &directory_info) != 0) {
      return Errno(directory_, parent);
    }
    // The directory is read-only; only root could write into it as it is.
    mode_t directory_mode = directory_info.st_mode & 07777;
    if (::fchmod(directory.get(), directory_mode | S_IWUSR) != 0) return Errno(directory_, parent);
    Result<void> replaced =
        ReplaceFile(directory.get(), name, *content, file->mode & 07777, parent_path);
    if (::fchmod(directory.get(), directory_mode) != 0 && replaced) {
      return Errno(directory_, parent);
    }
    if (!replaced) return replaced;

    struct stat info {};
    if (::fstatat(directory.get(), name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
      return Errno(directory_, path);
    }
    file->inode = static_cast<uint64_t>(info.st_ino);
    file->size = static_cast<int64_t>(info.st_size);
    file->mtime_ns = Nanoseconds(info.st_mtim);
    file->mode = static_cast<uint32_t>(info.st_mode);
  }
  return {};
}

Result<void> SourceSnapshot::Remove(const std::filesystem::path& directory) {
  return RemoveTree(directory);
}

}  // namespace lockstep::engine
