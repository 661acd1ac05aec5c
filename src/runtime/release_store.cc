#include "runtime/release_store.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/file.h"
#include "base/sha256.h"
#include "sync/hash_tree.h"
#include "sync/manifest.h"
#include "sync/sync_paths.h"

namespace lockstep::runtime {
namespace {

namespace fs = std::filesystem;

constexpr size_t kIdLength = 20;

bool IsServiceName(std::string_view name) {
  if (name.empty() || name.size() > 63 || name == "." || name == "..") return false;
  return std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

std::string ReleaseId(const std::vector<sync::ManifestEntry>& entries) {
  Sha256 hasher;
  for (const sync::ManifestEntry& entry : entries) {
    hasher.Update(fmt::format("{:o} {} {} ", entry.mode, entry.size, entry.sha256));
    hasher.Update(entry.path);
    hasher.Update(std::string_view("\0", 1));
  }
  return ToHex(hasher.Finish()).substr(0, kIdLength);
}

Result<void> CopyFile(const fs::path& from, const fs::path& to, uint32_t mode) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (in < 0) return std::unexpected(ErrnoError(errno, from.string()));
  // Read-only from the start: a release never changes.
  int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                   mode == sync::kModeExecutable ? 0555 : 0444);
  if (out < 0) {
    int error = errno;
    ::close(in);
    return std::unexpected(ErrnoError(error, to.string()));
  }
  Result<void> result;
  while (true) {
    ssize_t copied = ::copy_file_range(in, nullptr, out, nullptr, size_t{1} << 30, 0);
    if (copied == 0) break;
    if (copied < 0) {
      if (errno == EINTR) continue;
      result = std::unexpected(ErrnoError(errno, to.string()));
      break;
    }
  }
  ::close(in);
  if (::close(out) != 0 && result) result = std::unexpected(ErrnoError(errno, to.string()));
  return result;
}

// Refuses a link that is absolute or leaves the directory: a release is self-contained.
Result<void> CheckLinks(const fs::path& source, const std::vector<sync::ManifestEntry>& entries) {
  std::error_code error;
  for (const sync::ManifestEntry& entry : entries) {
    if (entry.mode != sync::kModeSymlink) continue;
    fs::path link = fs::read_symlink(source / entry.path, error);
    if (error) return std::unexpected(ErrnoError(error.value(), (source / entry.path).string()));
    if (Result<void> inside = sync::CheckLinkTarget(entry.path, link.string()); !inside) {
      return inside;
    }
  }
  return {};
}

// Copies the listed entries of `source` into the new folder `target`.
Result<void> CopyEntries(const fs::path& source, const fs::path& target,
                         const std::vector<sync::ManifestEntry>& entries) {
  std::error_code error;
  for (const sync::ManifestEntry& entry : entries) {
    fs::path to = target / entry.path;
    fs::create_directories(to.parent_path(), error);
    if (error) return std::unexpected(ErrnoError(error.value(), to.parent_path().string()));
    if (entry.mode == sync::kModeSymlink) {
      fs::path link = fs::read_symlink(source / entry.path, error);
      if (error) return std::unexpected(ErrnoError(error.value(), (source / entry.path).string()));
      if (::symlink(link.c_str(), to.c_str()) != 0) {
        return std::unexpected(ErrnoError(errno, to.string()));
      }
      continue;
    }
    if (Result<void> copied = CopyFile(source / entry.path, to, entry.mode); !copied) {
      return copied;
    }
  }
  return {};
}

Result<std::optional<ReleaseSpec>> ReadSpec(const fs::path& folder) {
  fs::path file = folder / kReleaseSpecFile;
  std::error_code error;
  if (!fs::exists(fs::symlink_status(file, error))) return std::optional<ReleaseSpec>();
  Result<std::string> text = ReadFile(file, size_t{1} << 20);
  if (!text) return std::unexpected(text.error());
  Result<ReleaseSpec> spec = ParseReleaseSpec(*text, file.string());
  if (!spec) return std::unexpected(spec.error());
  return std::optional<ReleaseSpec>(std::move(*spec));
}

Release Describe(std::string_view service, const std::string& id, const fs::path& path,
                 const std::vector<sync::ManifestEntry>& entries) {
  Release release;
  release.service = std::string(service);
  release.id = id;
  release.path = path;
  release.files = static_cast<int64_t>(entries.size());
  for (const sync::ManifestEntry& entry : entries) release.bytes += entry.size;
  return release;
}

}  // namespace

Result<Release> ImportRelease(const fs::path& source, const fs::path& releases_root,
                              std::string_view service) {
  if (!IsServiceName(service)) {
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("service name '{}' must be 1-63 letters, digits, '-', '_' or '.'", service));
  }
  // The spec is checked first, so a broken chain is refused before anything is copied.
  Result<std::optional<ReleaseSpec>> spec = ReadSpec(source);
  if (!spec) return std::unexpected(spec.error());
  Result<std::vector<sync::ManifestEntry>> entries = sync::HashTree(source, 0);
  if (!entries) return std::unexpected(entries.error());
  if (Result<void> links = CheckLinks(source, *entries); !links) {
    return std::unexpected(links.error());
  }
  std::string id = ReleaseId(*entries);
  fs::path folder = releases_root / service;
  fs::path target = folder / id;
  Release release = Describe(service, id, target, *entries);
  release.spec = std::move(*spec);

  std::error_code error;
  if (fs::exists(target / sync::kManifestFileName, error)) {
    release.existed = true;
    return release;
  }
  fs::create_directories(folder, error);
  if (error) return std::unexpected(ErrnoError(error.value(), folder.string()));
  fs::path staging = folder / fmt::format(".{}.tmp-{}", id, ::getpid());
  (void)RemoveTree(staging);
  if (::mkdir(staging.c_str(), 0755) != 0)
    return std::unexpected(ErrnoError(errno, staging.string()));
  auto discard = [&](const Error& failure) {
    (void)RemoveTree(staging);
    return std::unexpected(failure);
  };
  if (Result<void> copied = CopyEntries(source, staging, *entries); !copied) {
    return discard(copied.error());
  }
  sync::Manifest manifest;
  manifest.source_repository = source.string();
  manifest.commit = std::string(40, '0');  // a release comes from a folder, not a commit
  manifest.tree_id = std::string(40, '0');
  manifest.time = "1970-01-01T00:00:00Z";  // content only: the same bytes, the same manifest
  manifest.actor = "lockstep";
  manifest.files = std::move(*entries);
  std::string text = sync::SealManifest(manifest);
  if (Result<void> written = WriteFileAtomically(staging / sync::kManifestFileName, text);
      !written) {
    return discard(written.error());
  }
  if (::rename(staging.c_str(), target.c_str()) != 0) {
    int failure = errno;
    (void)RemoveTree(staging);
    // Imported at the same moment by someone else: the same content, the same release.
    if ((failure == EEXIST || failure == ENOTEMPTY) &&
        fs::exists(target / sync::kManifestFileName, error)) {
      release.existed = true;
      return release;
    }
    return std::unexpected(ErrnoError(failure, target.string()));
  }
  return release;
}

Result<Release> FindRelease(const fs::path& releases_root, std::string_view service,
                            std::string_view id) {
  if (!IsServiceName(service) || id.size() != kIdLength || !std::ranges::all_of(id, [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      })) {
    return Fail(ErrorCode::kNotFound, fmt::format("no release '{}' of service '{}'", id, service));
  }
  fs::path path = releases_root / service / id;
  Result<sync::Manifest> manifest = sync::ReadManifest(path);
  if (!manifest) {
    if (manifest.error().code() == ErrorCode::kNotFound) {
      return Fail(ErrorCode::kNotFound,
                  fmt::format("no release '{}' of service '{}'", id, service));
    }
    return std::unexpected(manifest.error());
  }
  Release release = Describe(service, std::string(id), path, manifest->files);
  release.existed = true;
  Result<std::optional<ReleaseSpec>> spec = ReadSpec(path);
  if (!spec) return std::unexpected(spec.error());
  release.spec = std::move(*spec);
  return release;
}

}  // namespace lockstep::runtime
