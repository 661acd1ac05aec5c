#include "sync/hash_tree.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <system_error>
#include <thread>

#include "base/sha256.h"
#include "base/strings.h"

namespace lockstep::sync {
namespace {

namespace fs = std::filesystem;

constexpr size_t kReadBlockBytes = size_t{1} << 20;

// What the walk found: entries with path filled in (symbolic links complete) and, for regular
// files, where to read them.
struct Listing {
  std::vector<ManifestEntry> entries;
  std::vector<size_t> files;             // indexes into entries of regular files to hash
  std::vector<fs::path> file_locations;  // parallel to `files`
};

Result<void> Walk(const fs::path& directory, const std::string& prefix, Listing& listing) {
  std::error_code error;
  fs::directory_iterator it(directory, error);
  if (error) return std::unexpected(ErrnoError(error.value(), directory.string()));
  for (; it != fs::directory_iterator(); it.increment(error)) {
    const fs::directory_entry& entry = *it;
    std::string name = entry.path().filename().native();
    if (prefix.empty() && name == kManifestFileName) continue;
    std::string relative = prefix.empty() ? name : prefix + "/" + name;
    if (!IsValidUtf8(name)) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("{}: the name is not valid UTF-8, which a manifest cannot record",
                              entry.path().string()));
    }
    // The type comes from the directory listing where the file system gives it, so the walk
    // costs no stat per file; the hashing threads stat the files they open.
    fs::file_status status = entry.symlink_status(error);
    if (error) return std::unexpected(ErrnoError(error.value(), entry.path().string()));
    if (fs::is_directory(status)) {
      if (Result<void> walked = Walk(entry.path(), relative, listing); !walked) return walked;
    } else if (fs::is_symlink(status)) {
      fs::path target = fs::read_symlink(entry.path(), error);
      if (error) return std::unexpected(ErrnoError(error.value(), entry.path().string()));
      const std::string& text = target.native();
      listing.entries.push_back(ManifestEntry{std::move(relative), kModeSymlink,
                                              static_cast<int64_t>(text.size()), Sha256Hex(text)});
    } else if (fs::is_regular_file(status)) {
      listing.files.push_back(listing.entries.size());
      listing.file_locations.push_back(entry.path());
      listing.entries.push_back(ManifestEntry{std::move(relative), 0, 0, ""});
    } else {
      return Fail(
          ErrorCode::kInvalidArgument,
          fmt::format("{}: not a regular file, directory or symbolic link", entry.path().string()));
    }
  }
  if (error) return std::unexpected(ErrnoError(error.value(), directory.string()));
  return {};
}

// Fills in mode, size and SHA-256 of the regular file at `location`, reading through `buffer`.
Result<void> HashFile(const fs::path& location, std::span<char> buffer, ManifestEntry& entry) {
  // O_NOFOLLOW and O_NONBLOCK: a file swapped for a link or a FIFO since the walk is refused
  // below instead of being followed or blocking the open.
  int fd = open(location.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return std::unexpected(ErrnoError(errno, location.string()));
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  struct stat info {};
  if (fstat(fd, &info) != 0) return std::unexpected(ErrnoError(errno, location.string()));
  if (!S_ISREG(info.st_mode)) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: no longer a regular file", location.string()));
  }
  entry.mode = (info.st_mode & S_IXUSR) != 0 ? kModeExecutable : kModeRegular;
  // A hint only: the kernel reads ahead more aggressively; failure changes nothing.
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  Sha256 hasher;
  int64_t size = 0;
  while (true) {
    ssize_t got = read(fd, buffer.data(), buffer.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(ErrnoError(errno, location.string()));
    }
    if (got == 0) break;
    hasher.Update(std::string_view(buffer.data(), static_cast<size_t>(got)));
    size += got;
  }
  entry.size = size;
  entry.sha256 = ToHex(hasher.Finish());
  return {};
}

// Hashes every listed regular file. The threads take the next file from a shared counter, so
// a few large files do not leave one thread with all the work. After a failure the others
// stop taking files; the error reported is the one of the earliest file in listing order, so
// which error a caller sees does not depend on scheduling.
Result<void> HashFiles(Listing& listing, int threads) {
  const size_t count = listing.files.size();
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mutex;
  size_t error_index = count;
  std::optional<Error> first_error;

  auto work = [&] {
    auto buffer = std::make_unique_for_overwrite<char[]>(kReadBlockBytes);
    while (!failed.load(std::memory_order_relaxed)) {
      size_t job = next.fetch_add(1, std::memory_order_relaxed);
      if (job >= count) return;
      Result<void> hashed =
          HashFile(listing.file_locations[job], std::span<char>(buffer.get(), kReadBlockBytes),
                   listing.entries[listing.files[job]]);
      if (!hashed) {
        std::lock_guard lock(mutex);
        if (job < error_index) {
          error_index = job;
          first_error = hashed.error();
        }
        failed.store(true, std::memory_order_relaxed);
      }
    }
  };

  // More threads than a few per core only add buffers and contention.
  const size_t cores = std::max(1u, std::thread::hardware_concurrency());
  size_t wanted = threads > 0 ? std::min(static_cast<size_t>(threads), 4 * cores) : cores;
  wanted = std::min(wanted, count);
  std::vector<std::thread> pool;
  for (size_t i = 1; i < wanted; ++i) {
    try {
      pool.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // fewer threads than asked for: slower, not wrong
    }
  }
  // The calling thread takes its share too. Joined whatever happens: an exception with
  // joinable threads would end the process.
  {
    struct Joiner {
      std::vector<std::thread>& threads;
      ~Joiner() {
        for (std::thread& thread : threads) thread.join();
      }
    } joiner{pool};
    work();
  }  // every thread has ended here, before their results are read
  if (first_error) return std::unexpected(*first_error);
  return {};
}

}  // namespace

Result<ManifestEntry> HashPath(const fs::path& root, std::string_view relative) {
  fs::path location = root / relative;
  std::error_code error;
  fs::file_status status = fs::symlink_status(location, error);
  if (!fs::exists(status)) {
    return Fail(ErrorCode::kNotFound, fmt::format("{}: no such file", location.string()));
  }
  ManifestEntry entry{std::string(relative), 0, 0, ""};
  if (fs::is_symlink(status)) {
    fs::path target = fs::read_symlink(location, error);
    if (error) return std::unexpected(ErrnoError(error.value(), location.string()));
    entry.mode = kModeSymlink;
    entry.size = static_cast<int64_t>(target.native().size());
    entry.sha256 = Sha256Hex(target.native());
    return entry;
  }
  if (!fs::is_regular_file(status)) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: not a regular file or symbolic link", location.string()));
  }
  auto buffer = std::make_unique_for_overwrite<char[]>(kReadBlockBytes);
  Result<void> hashed = HashFile(location, std::span<char>(buffer.get(), kReadBlockBytes), entry);
  if (!hashed) return std::unexpected(hashed.error());
  return entry;
}

Result<std::vector<ManifestEntry>> HashTree(const fs::path& root, int threads) {
  std::error_code error;
  fs::file_status status = fs::status(root, error);
  if (error && error != std::errc::no_such_file_or_directory) {
    return std::unexpected(ErrnoError(error.value(), root.string()));
  }
  if (!fs::exists(status)) {
    return Fail(ErrorCode::kNotFound, fmt::format("{}: no such directory", root.string()));
  }
  if (!fs::is_directory(status)) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("{}: not a directory", root.string()));
  }
  Listing listing;
  if (Result<void> walked = Walk(root, "", listing); !walked) {
    return std::unexpected(walked.error());
  }
  if (Result<void> hashed = HashFiles(listing, threads); !hashed) {
    return std::unexpected(hashed.error());
  }
  std::ranges::sort(listing.entries, {}, &ManifestEntry::path);
  return std::move(listing.entries);
}

}  // namespace lockstep::sync
