#include "sync/blob_copy.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <system_error>
#include <thread>

#include "base/sha256.h"
#include "sync/sync_paths.h"

namespace lockstep::sync {
namespace {

Result<void> WriteAll(int fd, std::string_view data, const std::string& target) {
  while (!data.empty()) {
    ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(ErrnoError(errno, target));
    }
    data.remove_prefix(static_cast<size_t>(written));
  }
  return {};
}

constexpr size_t kBlockBytes = size_t{1} << 20;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// The folder part of a '/'-separated path.
std::string_view Folder(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

int CreateFile(const BlobCopy& copy) {
  mode_t mode = copy.mode == kModeExecutable ? 0777 : 0666;
  return ::open(copy.target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
}

// Copies the work-tree file when it still is what the index recorded; false (nothing
// written) when it is not, and the blob must be read instead.
Result<bool> CopyFromWorkTree(const BlobCopy& copy, std::span<char> buffer, ManifestEntry& entry) {
  // O_NONBLOCK: a FIFO put where the file was must not hang the open (StatMatches refuses it).
  Fd source(::open(copy.work_tree_file.c_str(),
                   O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK));
  if (source.get() < 0) return false;
  struct stat info {};
  if (::fstat(source.get(), &info) != 0 || !git::StatMatches(*copy.indexed, info)) return false;
  Fd target(CreateFile(copy));
  if (target.get() < 0) return std::unexpected(ErrnoError(errno, copy.target));
  Sha256 hasher;
  int64_t size = 0;
  while (true) {
    ssize_t got = ::read(source.get(), buffer.data(), buffer.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(ErrnoError(errno, copy.work_tree_file));
    }
    if (got == 0) break;
    std::string_view block(buffer.data(), static_cast<size_t>(got));
    hasher.Update(block);
    if (Result<void> written = WriteAll(target.get(), block, copy.target); !written) {
      return std::unexpected(written.error());
    }
    size += got;
  }
  // Changed while it was read: the copy may be a mix, so take the blob after all.
  struct stat after {};
  if (::fstat(source.get(), &after) != 0 || !git::StatMatches(*copy.indexed, after) ||
      size != info.st_size) {
    if (::ftruncate(target.get(), 0) != 0) {
      return std::unexpected(ErrnoError(errno, copy.target));
    }
    ::close(target.release());
    ::unlink(copy.target.c_str());
    return false;
  }
  if (::close(target.release()) != 0) {
    return std::unexpected(ErrnoError(errno, copy.target));
  }
  entry.size = size;
  entry.sha256 = ToHex(hasher.Finish());
  return true;
}

Result<void> CopyOne(const git::Repository& repository, const BlobCopy& copy,
                     std::span<char> buffer, ManifestEntry& entry) {
  entry.path = copy.path;
  entry.mode = copy.mode;
  if (copy.indexed != nullptr && copy.indexed->blob_id == copy.blob_id &&
      copy.mode != kModeSymlink) {
    Result<bool> copied = CopyFromWorkTree(copy, buffer, entry);
    if (!copied) return std::unexpected(copied.error());
    if (*copied) return {};
  }
  return repository.VisitBlob(copy.blob_id, [&](std::string_view content) -> Result<void> {
    entry.size = static_cast<int64_t>(content.size());
    entry.sha256 = Sha256Hex(content);
    if (copy.mode == kModeSymlink) {
      if (Result<void> inside = CheckLinkTarget(copy.path, content); !inside) return inside;
      if (content.find('\0') != std::string_view::npos) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("symbolic link '{}' has a NUL byte in its target", copy.path));
      }
      if (::symlink(std::string(content).c_str(), copy.target.c_str()) != 0) {
        return std::unexpected(ErrnoError(errno, copy.target));
      }
      return {};
    }
    mode_t mode = copy.mode == kModeExecutable ? 0777 : 0666;
    int fd =
        ::open(copy.target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) return std::unexpected(ErrnoError(errno, copy.target));
    Result<void> written = WriteAll(fd, content, copy.target);
    if (::close(fd) != 0 && written) {
      return std::unexpected(ErrnoError(errno, copy.target));
    }
    return written;
  });
}

}  // namespace

Result<std::vector<ManifestEntry>> CopyBlobs(const git::Repository& repository,
                                             std::span<const BlobCopy> copies, int threads) {
  std::vector<ManifestEntry> entries(copies.size());
  const size_t cores = std::max(1u, std::thread::hardware_concurrency());
  size_t wanted = threads > 0 ? std::min(static_cast<size_t>(threads), 4 * cores) : cores;
  wanted = std::max<size_t>(1, std::min(wanted, copies.size()));

  // Work is handed out a folder at a time: two threads creating files in one folder take
  // turns on its lock.
  std::vector<size_t> chunk_starts;
  for (size_t i = 0; i < copies.size(); ++i) {
    if (i == 0 || Folder(copies[i].target) != Folder(copies[i - 1].target)) {
      chunk_starts.push_back(i);
    }
  }
  chunk_starts.push_back(copies.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mutex;
  size_t error_index = copies.size();
  std::optional<Error> first_error;
  auto record = [&](size_t index, const Error& error) {
    std::lock_guard lock(mutex);
    if (index < error_index) {
      error_index = index;
      first_error = error;
    }
    failed.store(true, std::memory_order_relaxed);
  };
  // Takes the next copy from a shared counter, so large files do not pile up on one thread.
  auto work = [&](const git::Repository& handle) {
    auto buffer = std::make_unique_for_overwrite<char[]>(kBlockBytes);
    while (!failed.load(std::memory_order_relaxed)) {
      size_t chunk = next.fetch_add(1, std::memory_order_relaxed);
      if (chunk + 1 >= chunk_starts.size()) return;
      // Folders are made here rather than up front, so that making them is shared out too.
      std::error_code error;
      std::string_view folder = Folder(copies[chunk_starts[chunk]].target);
      std::filesystem::create_directories(folder, error);
      if (error) {
        record(chunk_starts[chunk], ErrnoError(error.value(), folder));
        break;
      }
      for (size_t index = chunk_starts[chunk]; index < chunk_starts[chunk + 1]; ++index) {
        std::span<char> block(buffer.get(), kBlockBytes);
        if (Result<void> done = CopyOne(handle, copies[index], block, entries[index]); !done) {
          record(index, done.error());
          break;
        }
      }
    }
  };

  std::vector<std::thread> pool;
  {
    // Joined whatever happens: an exception with joinable threads would end the process.
    struct Joiner {
      std::vector<std::thread>& threads;
      ~Joiner() {
        for (std::thread& thread : threads) thread.join();
      }
    } joiner{pool};
    for (size_t i = 1; i < wanted; ++i) {
      // libgit2 handles are not shared between threads: each worker opens its own.
      Result<git::Repository> handle = repository.Reopen();
      if (!handle) break;  // fewer threads: slower, not wrong
      try {
        pool.emplace_back([&work, owned = std::move(*handle)]() { work(owned); });
      } catch (const std::system_error&) {
        break;
      }
    }
    work(repository);
  }
  if (first_error) return std::unexpected(*first_error);
  return entries;
}

}  // namespace lockstep::sync
