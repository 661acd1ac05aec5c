// audit.jsonl as a file: opening it, the flock(2) that orders every appender (in this process
// and others) and verify's snapshot, reading its last line, appending. The format of a line is
// canonical.h's. Internal to audit/. Thread-compatible: AuditLog serialises its use.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#include "base/error.h"

namespace lockstep::audit {

// Holds flock(2) on a file descriptor until destroyed. Move-only.
class FileLock {
 public:
  // Waits for the lock (exclusive or shared), retrying on EINTR.
  static Result<FileLock> Acquire(int fd, bool exclusive, const std::filesystem::path& path);
  FileLock(FileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileLock& operator=(FileLock&&) = delete;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

// An open audit.jsonl. Move-only; closes the file on destruction.
class AuditFile {
 public:
  // Opens `path` for appending, creating it (mode 0644) when missing. `created` tells the
  // caller whether it did. Fails naming the file.
  static Result<AuditFile> OpenForAppend(const std::filesystem::path& path, bool* created);
  // Opens `path` for reading; kNotFound when it does not exist.
  static Result<AuditFile> OpenForReading(const std::filesystem::path& path);

  AuditFile(AuditFile&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}
  AuditFile& operator=(AuditFile&&) = delete;
  AuditFile(const AuditFile&) = delete;
  AuditFile& operator=(const AuditFile&) = delete;
  ~AuditFile();

  const std::filesystem::path& path() const { return path_; }

  // Locks the file against other AuditFile objects (their own open files), in this process or
  // another: exclusive for appending, shared for taking a consistent snapshot.
  Result<FileLock> Lock(bool exclusive) { return FileLock::Acquire(fd_, exclusive, path_); }

  // The file's size in bytes.
  Result<int64_t> Size() const;

  // The end of the file: its size, its last complete line (without "\n"; empty when there is
  // none) and what follows that line's "\n" (a line cut short by a crash; usually empty).
  // kCorruption when the last line is longer than `max_line` bytes.
  struct Tail {
    int64_t size = 0;
    bool has_line = false;  // whether the file holds a complete line at all
    std::string last_line;
    std::string partial;
  };
  Result<Tail> ReadTail(size_t max_line) const;

  // Appends `text` in one write where the OS allows, retrying the rest of short writes.
  Result<void> Append(std::string_view text);
  // Cuts the file to `size` bytes (for dropping a line cut short by a crash).
  Result<void> Truncate(int64_t size);

  // Reads up to `size` bytes at `offset`; returns how many were read (0 at the end).
  Result<size_t> ReadAt(int64_t offset, char* buffer, size_t size) const;

 private:
  AuditFile(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}

  int fd_;
  std::filesystem::path path_;
};

}  // namespace lockstep::audit
