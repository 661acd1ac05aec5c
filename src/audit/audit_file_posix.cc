#include <fcntl.h>
#include <fmt/core.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "audit/audit_file.h"

namespace lockstep::audit {

Result<FileLock> FileLock::Acquire(int fd, bool exclusive, const std::filesystem::path& path) {
  while (::flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0) {
    if (errno != EINTR) return std::unexpected(ErrnoError(errno, "cannot lock " + path.string()));
  }
  return FileLock(fd);
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::flock(fd_, LOCK_UN);
}

Result<AuditFile> AuditFile::OpenForAppend(const std::filesystem::path& path, bool* created) {
  // O_EXCL first, to tell the caller whether the file is new.
  int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  *created = fd >= 0;
  if (fd < 0 && errno == EEXIST) fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  if (fd < 0) return std::unexpected(ErrnoError(errno, "cannot open " + path.string()));
  return AuditFile(fd, path);
}

Result<AuditFile> AuditFile::OpenForReading(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(ErrnoError(errno, "cannot open " + path.string()));
  return AuditFile(fd, path);
}

AuditFile::~AuditFile() {
  if (fd_ >= 0) ::close(fd_);
}

Result<int64_t> AuditFile::Size() const {
  struct stat status {};
  if (::fstat(fd_, &status) != 0) {
    return std::unexpected(ErrnoError(errno, "cannot read the size of " + path_.string()));
  }
  return static_cast<int64_t>(status.st_size);
}

Result<size_t> AuditFile::ReadAt(int64_t offset, char* buffer, size_t size) const {
  for (;;) {
    ssize_t got = ::pread(fd_, buffer, size, static_cast<off_t>(offset));
    if (got >= 0) return static_cast<size_t>(got);
    if (errno != EINTR) return std::unexpected(ErrnoError(errno, "cannot read " + path_.string()));
  }
}

Result<AuditFile::Tail> AuditFile::ReadTail(size_t max_line) const {
  Tail tail;
  Result<int64_t> size = Size();
  if (!size) return std::unexpected(size.error());
  tail.size = *size;
  // Read backwards in blocks until the text read holds the last complete line whole: the
  // "\n" that ends it and the one before it (or the start of the file).
  constexpr int64_t kBlock = 4096;
  std::string text;  // the last bytes of the file
  int64_t start = tail.size;
  for (;;) {
    size_t end_of_last = text.rfind('\n');
    if (end_of_last != std::string::npos) {
      size_t begin = end_of_last == 0 ? std::string::npos : text.rfind('\n', end_of_last - 1);
      if (begin != std::string::npos || start == 0) {
        size_t first = begin == std::string::npos ? 0 : begin + 1;
        tail.has_line = true;
        tail.last_line = text.substr(first, end_of_last - first);
        tail.partial = text.substr(end_of_last + 1);
        return tail;
      }
    } else if (start == 0) {
      tail.partial = std::move(text);  // no complete line at all
      return tail;
    }
    if (text.size() > max_line + kBlock) {
      return Fail(ErrorCode::kCorruption, fmt::format("{}: its last line is longer than {} bytes",
                                                      path_.string(), max_line));
    }
    int64_t from = std::max<int64_t>(0, start - kBlock);
    std::string block(static_cast<size_t>(start - from), '\0');
    size_t done = 0;
    while (done < block.size()) {
      Result<size_t> got =
          ReadAt(from + static_cast<int64_t>(done), block.data() + done, block.size() - done);
      if (!got) return std::unexpected(got.error());
      if (*got == 0) {
        return Fail(ErrorCode::kIoError, path_.string() + ": shrank while being read");
      }
      done += *got;
    }
    text.insert(0, block);
    start = from;
  }
}

Result<void> AuditFile::Append(std::string_view text) {
  while (!text.empty()) {
    ssize_t wrote = ::write(fd_, text.data(), text.size());
    if (wrote < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(ErrnoError(errno, "cannot append to " + path_.string()));
    }
    text.remove_prefix(static_cast<size_t>(wrote));
  }
  return {};
}

Result<void> AuditFile::Truncate(int64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
    return std::unexpected(ErrnoError(errno, "cannot truncate " + path_.string()));
  }
  return {};
}

}  // namespace lockstep::audit
