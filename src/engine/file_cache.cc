#include "engine/file_cache.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <system_error>
#include <utility>

#include "base/file.h"
#include "engine/file_glob.h"

// Layout of the cache folder:
//
//   root/<key>/meta.json   {"path": the entry's Path as written}
//   root/<key>/data        the saved file, symbolic link or folder
//   root/.lock-<key>       flock(2) target that orders restores against replacements
//   root/.tmp-<key>-<id>/  a save in progress (or abandoned by a crash)
//   root/.old-<key>-<id>/  a replaced copy being removed
//
// Keys are limited to [A-Za-z0-9_-] (as CodeCatalyst's are), so a key is its own directory name
// and can never collide with the dot-prefixed names.
//
// A save copies into a temporary sibling without any lock, so the folder under a key is always
// one complete save. It then takes the key's lock exclusively only to swap its copy in: rename(2)
// cannot replace a non-empty directory, so an existing copy is exchanged with
// renameat2(RENAME_EXCHANGE) (or, on filesystems without it, renamed aside first) and removed
// after the lock is released. With two processes saving at once, the last swap wins. A restore
// holds the lock shared while it copies, so no swap can happen under it and it never mixes two
// saves. Locks die with their process, so a crash cannot leave a key locked.

namespace lockstep::engine {
namespace fs = std::filesystem;

namespace {

constexpr const char* kMetaName = "meta.json";
constexpr const char* kDataName = "data";
constexpr int kSwapAttempts = 3;

// A held flock(2) on a key's lock file; released when destroyed. Move-only.
class KeyLock {
 public:
  // Blocks until the lock on `key` under `root` is held, shared or exclusive.
  static Result<KeyLock> Acquire(const fs::path& root, const std::string& key, bool exclusive) {
    fs::path file = root / fmt::format(".lock-{}", key);
    int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) return std::unexpected(ErrnoError(errno, file.string()));
    while (::flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::close(fd);
      return std::unexpected(ErrnoError(saved, fmt::format("locking {}", file.string())));
    }
    return KeyLock(fd);
  }

  KeyLock(KeyLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  KeyLock& operator=(KeyLock&&) = delete;
  ~KeyLock() {
    if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the lock
  }

 private:
  explicit KeyLock(int fd) : fd_(fd) {}
  int fd_;
};

Result<void> CheckKey(std::string_view key) {
  bool valid = !key.empty() && std::ranges::all_of(key, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
  if (valid) return {};
  return Fail(ErrorCode::kInvalidArgument,
              fmt::format("invalid cache key \"{}\": use only letters, digits, '_' and '-'", key));
}

// The absolute location of an entry's Path: "~" and "~/…" under $HOME, absolute paths as they
// are (CodeCatalyst caches such as ~/.npm live outside the source), relative paths under
// `directory` and never above it.
Result<fs::path> ResolvePath(const std::string& path, const fs::path& directory) {
  if (path.empty()) return Fail(ErrorCode::kInvalidArgument, "cache path is empty");
  if (path == "~" || path.starts_with("~/")) {
    const char* home = std::getenv("HOME");
    if (home == nullptr || *home == '\0') {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("cache path \"{}\" starts with \"~\" but HOME is not set", path));
    }
    fs::path expanded = path.size() > 2 ? fs::path(home) / path.substr(2) : fs::path(home);
    return expanded.lexically_normal();
  }
  fs::path given(path);
  if (given.is_absolute()) return given.lexically_normal();
  fs::path normal = given.lexically_normal();
  if (!normal.empty() && *normal.begin() == "..") {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("cache path \"{}\" leaves the action's directory", path));
  }
  if (normal == "." || normal.empty()) return directory;
  return directory / normal;
}

std::string UniqueId() {
  std::random_device device;
  uint64_t value = (uint64_t{device()} << 32) ^ device();
  return fmt::format("{}-{:016x}", ::getpid(), value);
}

// Whether `saved` holds a complete copy: the metadata is written last, before the rename.
bool HasCopy(const fs::path& saved) {
  std::error_code ignored;
  return fs::is_regular_file(saved / kMetaName, ignored);
}

Result<void> WriteMeta(const fs::path& staged, const std::string& path) {
  nlohmann::json meta = {{"path", path}};
  fs::path file = staged / kMetaName;
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  // Replace rather than throw on bytes that are not UTF-8: the path is only informative.
  out << meta.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  out.close();
  if (!out) return Fail(ErrorCode::kIoError, fmt::format("{}: cannot write", file.string()));
  return {};
}

Error PathError(const std::error_code& error, const fs::path& path) {
  return ErrnoError(error.value(), path.string());
}

// Copies a file, symbolic link or folder at `from` to `to`. A folder is merged into an existing
// folder at `to` (files of the same name replaced); anything else at `to` is replaced.
Result<void> CopyEntry(const fs::path& from, const fs::path& to) {
  std::error_code error;
  fs::file_status status = fs::symlink_status(from, error);
  if (error) return std::unexpected(PathError(error, from));
  if (fs::is_directory(status)) {
    Result<int64_t> copied = CopyTree(from, to);
    if (!copied) return std::unexpected(copied.error());
    return {};
  }
  fs::create_directories(to.parent_path(), error);
  if (error) return std::unexpected(PathError(error, to.parent_path()));
  // symlink_status reports a missing path as an error too; only other errors matter here.
  if (fs::exists(fs::symlink_status(to, error))) fs::remove_all(to, error);
  if (error && error != std::errc::no_such_file_or_directory) {
    return std::unexpected(PathError(error, to));
  }
  error.clear();
  if (fs::is_symlink(status)) {
    fs::copy_symlink(from, to, error);
  } else if (fs::is_regular_file(status)) {
    fs::copy_file(from, to, error);  // contents and permissions
  } else {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: not a regular file, folder or symbolic link", from.string()));
  }
  if (error) return std::unexpected(PathError(error, to));
  return {};
}

// Makes the complete copy in `staged` the one under `dest`, replacing any older copy. Called
// with the key's lock held exclusively. Returns the directory now holding the older copy (to be
// removed once the lock is released), or an empty path when there was none.
Result<fs::path> Swap(const fs::path& staged, const fs::path& dest, const std::string& id) {
  fs::path old = dest.parent_path() / fmt::format(".old-{}-{}", dest.filename().string(), id);
  for (int attempt = 0; attempt < kSwapAttempts; ++attempt) {
    if (::rename(staged.c_str(), dest.c_str()) == 0) return fs::path();
    if (errno != ENOTEMPTY && errno != EEXIST) {
      return std::unexpected(ErrnoError(errno, fmt::format("renaming into {}", dest.string())));
    }
    if (::renameat2(AT_FDCWD, staged.c_str(), AT_FDCWD, dest.c_str(), RENAME_EXCHANGE) == 0) {
      return staged;  // now the older copy
    }
    if (errno == ENOENT) continue;  // removed meanwhile by hand; a plain rename will do
    if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) {
      return std::unexpected(ErrnoError(errno, fmt::format("replacing {}", dest.string())));
    }
    // No exchange on this filesystem: move the old copy aside; the lock hides the gap.
    if (::rename(dest.c_str(), old.c_str()) != 0 && errno != ENOENT) {
      return std::unexpected(ErrnoError(errno, fmt::format("moving aside {}", dest.string())));
    }
    if (::rename(staged.c_str(), dest.c_str()) == 0) return old;
    return std::unexpected(ErrnoError(errno, fmt::format("renaming into {}", dest.string())));
  }
  return Fail(ErrorCode::kUnavailable,
              fmt::format("{}: could not replace the saved copy after {} attempts", dest.string(),
                          kSwapAttempts));
}

// Whether `inner` is `outer` or lies below it, comparing resolved paths.
bool IsWithin(const fs::path& inner, const fs::path& outer) {
  std::error_code error;
  fs::path a = fs::weakly_canonical(inner, error);
  if (error) return false;
  fs::path b = fs::weakly_canonical(outer, error);
  if (error) return false;
  auto [end_b, end_a] = std::mismatch(b.begin(), b.end(), a.begin(), a.end());
  return end_b == b.end();
}

}  // namespace

Result<std::string> FileCache::Restore(const CacheEntry& entry, const fs::path& directory) {
  if (auto checked = CheckKey(entry.key); !checked) return std::unexpected(checked.error());
  for (const std::string& key : entry.restore_keys) {
    if (auto checked = CheckKey(key); !checked) return std::unexpected(checked.error());
  }
  Result<fs::path> target = ResolvePath(entry.path, directory);
  if (!target) return std::unexpected(target.error());

  std::vector<std::string> candidates = {entry.key};
  candidates.insert(candidates.end(), entry.restore_keys.begin(), entry.restore_keys.end());
  for (const std::string& key : candidates) {
    fs::path saved = root_ / key;
    if (!HasCopy(saved)) continue;
    Result<KeyLock> lock = KeyLock::Acquire(root_, key, /*exclusive=*/false);
    if (!lock) return std::unexpected(lock.error());
    Result<void> copied = CopyEntry(saved / kDataName, *target);
    if (!copied) return std::unexpected(copied.error());
    return key;
  }
  return std::string();
}

Result<bool> FileCache::Save(const CacheEntry& entry, const fs::path& directory) {
  if (auto checked = CheckKey(entry.key); !checked) return std::unexpected(checked.error());
  Result<fs::path> source = ResolvePath(entry.path, directory);
  if (!source) return std::unexpected(source.error());

  std::error_code error;
  fs::file_status status = fs::symlink_status(*source, error);
  if (!fs::exists(status)) {
    if (error && error != std::errc::no_such_file_or_directory) {
      return std::unexpected(PathError(error, *source));
    }
    return false;
  }
  fs::create_directories(root_, error);
  if (error) return std::unexpected(PathError(error, root_));
  // Copying a folder that holds the cache would copy the copy being made, without end.
  if (fs::is_directory(status) && IsWithin(root_, *source)) {
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("cache path \"{}\" contains the cache folder {}", entry.path, root_.string()));
  }

  std::string id = UniqueId();
  fs::path staged = root_ / fmt::format(".tmp-{}-{}", entry.key, id);
  fs::create_directory(staged, error);
  if (error) return std::unexpected(PathError(error, staged));
  Result<void> copied = CopyEntry(*source, staged / kDataName);
  if (copied) copied = WriteMeta(staged, entry.path);
  Result<fs::path> replaced = fs::path();
  if (copied) {
    Result<KeyLock> lock = KeyLock::Acquire(root_, entry.key, /*exclusive=*/true);
    if (lock) {
      replaced = Swap(staged, root_ / entry.key, id);
    } else {
      replaced = std::unexpected(lock.error());
    }
  }
  std::error_code ignored;
  if (!copied || !replaced) {
    fs::remove_all(staged, ignored);
    return std::unexpected(!copied ? copied.error() : replaced.error());
  }
  // The new copy is in place; a leftover older copy would only cost space.
  if (!replaced->empty()) fs::remove_all(*replaced, ignored);
  return true;
}

}  // namespace lockstep::engine
