#include "base/file.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace lockstep {

Result<std::string> ReadFile(const std::filesystem::path& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(ErrnoError(errno, path.string()));
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    int saved = errno;
    ::close(fd);
    return std::unexpected(ErrnoError(saved, path.string()));
  }
  if (S_ISDIR(info.st_mode)) {
    ::close(fd);
    return Fail(ErrorCode::kInvalidArgument, fmt::format("{}: is a directory", path.string()));
  }
  if (static_cast<size_t>(info.st_size) > max_bytes) {
    ::close(fd);
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: file is larger than {} bytes", path.string(), max_bytes));
  }
  std::string data;
  data.reserve(static_cast<size_t>(info.st_size));  // usually the whole file, read once
  char buffer[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      ::close(fd);
      return std::unexpected(ErrnoError(saved, path.string()));
    }
    if (n == 0) break;
    data.append(buffer, static_cast<size_t>(n));
    if (data.size() > max_bytes) {
      ::close(fd);
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("{}: file is larger than {} bytes", path.string(), max_bytes));
    }
  }
  ::close(fd);
  return data;
}

Result<void> RemoveTree(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  fs::remove_all(path, error);
  if (!error) return {};
  // Make every folder writable (parents first, so the walk can go on), then try again.
  fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, error);
  for (auto it = fs::recursive_directory_iterator(path, error);
       !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    std::error_code ignored;
    if (it->is_directory(ignored) && !it->is_symlink(ignored))
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ignored);
  }
  error.clear();
  fs::remove_all(path, error);
  if (error) return std::unexpected(ErrnoError(error.value(), "cannot remove " + path.string()));
  return {};
}

Result<void> WriteFileAtomically(const std::filesystem::path& path, std::string_view text) {
  std::filesystem::path temporary = path;
  temporary += ".tmp";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0666);
  if (fd < 0) return std::unexpected(ErrnoError(errno, temporary.string()));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  while (!text.empty()) {
    ssize_t written = ::write(fd, text.data(), text.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(ErrnoError(errno, temporary.string()));
    }
    text.remove_prefix(static_cast<size_t>(written));
  }
  if (::fsync(fd) != 0) return std::unexpected(ErrnoError(errno, temporary.string()));
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    return std::unexpected(ErrnoError(errno, path.string()));
  }
  return {};
}

}  // namespace lockstep
