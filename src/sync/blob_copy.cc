#include "sync/blob_copy.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

#include "base/sha256.h"
#include "sync/sync_paths.h"

namespace lockstep::sync {
namespace {

Result<void> WriteAll(int fd, std::string_view data, const std::filesystem::path& target) {
  while (!data.empty()) {
    ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(ErrnoError(errno, target.string()));
    }
    data.remove_prefix(static_cast<size_t>(written));
  }
  return {};
}

Result<void> CopyOne(const git::Repository& repository, const BlobCopy& copy,
                     ManifestEntry& entry) {
  entry.path = copy.path;
  entry.mode = copy.mode;
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
        return std::unexpected(ErrnoError(errno, copy.target.string()));
      }
      return {};
    }
    mode_t mode = copy.mode == kModeExecutable ? 0777 : 0666;
    int fd =
        ::open(copy.target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) return std::unexpected(ErrnoError(errno, copy.target.string()));
    Result<void> written = WriteAll(fd, content, copy.target);
    if (::close(fd) != 0 && written) {
      return std::unexpected(ErrnoError(errno, copy.target.string()));
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
    while (!failed.load(std::memory_order_relaxed)) {
      size_t index = next.fetch_add(1, std::memory_order_relaxed);
      if (index >= copies.size()) return;
      if (Result<void> done = CopyOne(handle, copies[index], entries[index]); !done) {
        record(index, done.error());
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
