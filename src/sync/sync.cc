#include "sync/sync.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/core.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "base/file.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "git/mirror.h"
#include "git/repository.h"
#include "sync/blob_copy.h"
#include "sync/destination.h"
#include "sync/hash_tree.h"
#include "sync/staging.h"
#include "sync/sync_paths.h"

namespace lockstep::sync {
namespace {

namespace fs = std::filesystem;

// An update of fewer files reads them from the object database, not the work tree.
constexpr size_t kWorkTreeFromCopies = 256;

std::string NowUtc() {
  auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                     fmt::gmtime(std::chrono::system_clock::to_time_t(now)));
}

bool IsUrl(std::string_view text) { return text.find("://") != std::string_view::npos; }

// Counts what differs between two sorted entry lists.
void CountChanges(const std::vector<ManifestEntry>& before, const std::vector<ManifestEntry>& after,
                  SyncReport& report) {
  size_t b = 0, a = 0;
  while (b < before.size() || a < after.size()) {
    if (a == after.size() || (b < before.size() && before[b].path < after[a].path)) {
      ++report.removed, ++b;
    } else if (b == before.size() || after[a].path < before[b].path) {
      ++report.added, ++a;
    } else {
      (before[b] == after[a] ? report.unchanged : report.modified) += 1;
      ++a, ++b;
    }
  }
}

Result<void> MakeFolder(const fs::path& path) {
  if (::mkdir(path.c_str(), 0777) != 0) return std::unexpected(ErrnoError(errno, path.string()));
  return {};
}

Manifest NewManifest(const SyncRequest& request, std::string_view subpath, std::string commit,
                     std::string tree_id) {
  Manifest manifest;
  manifest.source_repository = request.source.repository;
  manifest.source_path = std::string(subpath);
  manifest.commit = std::move(commit);
  manifest.tree_id = std::move(tree_id);
  manifest.time = NowUtc();
  manifest.actor = request.actor;
  return manifest;
}

class Syncer {
 public:
  Syncer(const SyncRequest& request, const git::Repository& repository, fs::path destination)
      : request_(request),
        repository_(repository),
        destination_(std::move(destination)),
        staging_(StagingPath(destination_)) {}

  Result<void> Full(Manifest manifest, const std::vector<ManifestEntry>* previous,
                    SyncReport& report) {
    std::future<IndexResult> index = LoadIndexInBackground(manifest.source_path);
    Result<git::TreeFiles> listing = repository_.ListFiles(manifest.tree_id);
    if (!listing) return std::unexpected(listing.error());
    for (const git::TreeFile& file : listing->files) {
      if (Result<void> allowed = CheckSourcePath(file.path); !allowed) return allowed;
    }
    report.submodules = listing->submodules;
    const fs::path tree = staging_ / "tree";
    if (Result<void> made = MakeFolder(staging_); !made) return made;
    if (Result<void> made = MakeFolder(tree); !made) return made;
    std::vector<BlobCopy> copies;
    copies.reserve(listing->files.size());
    for (git::TreeFile& file : listing->files) {
      std::string target = (tree / file.path).string();
      copies.push_back({std::move(file.path),
                        file.mode,
                        std::move(file.blob_id),
                        std::move(target),
                        {},
                        nullptr});
    }
    if (Result<void> found = UseWorkTree(index, manifest.source_path, copies); !found) return found;
    Result<std::vector<ManifestEntry>> entries = CopyBlobs(repository_, copies, request_.threads);
    if (!entries) return std::unexpected(entries.error());
    for (const ManifestEntry& entry : *entries) report.bytes_written += entry.size;
    manifest.files = std::move(*entries);
    std::string text = SealManifest(manifest);
    if (previous != nullptr) {
      CountChanges(*previous, manifest.files, report);
    } else {
      report.added = static_cast<int64_t>(manifest.files.size());
    }
    // Written beside the tree and moved in: a temporary name inside it could be a source file.
    if (Result<void> written = WriteFileAtomically(staging_ / "tree-manifest.json", text);
        !written) {
      return written;
    }
    if (::rename((staging_ / "tree-manifest.json").c_str(), (tree / kManifestFileName).c_str()) !=
        0) {
      return std::unexpected(ErrnoError(errno, (tree / kManifestFileName).string()));
    }
    // One flush of the file system for every file and folder of the new tree.
    if (Result<void> durable = SyncFileSystem(staging_); !durable) return durable;
    report.manifest = std::move(manifest);
    return SwapInTree(destination_);
  }

  // What changed since `previous`, from git when its tree is still in the repository (only
  // subtrees whose ids differ are read), else by hashing the new tree's files and comparing
  // them with the manifest (after a force-push that dropped the old commit, say).
  Result<std::vector<git::TreeFileChange>> Changes(const Manifest& manifest,
                                                   const Manifest& previous) {
    if (repository_.HasTree(previous.tree_id)) {
      return repository_.DiffFiles(previous.tree_id, manifest.tree_id);
    }
    Result<git::TreeFiles> listing = repository_.ListFiles(manifest.tree_id);
    if (!listing) return std::unexpected(listing.error());
    std::vector<git::TreeFileChange> changes;
    std::set<std::string_view> present;
    for (const git::TreeFile& file : listing->files) {
      present.insert(file.path);
      auto old = std::ranges::lower_bound(previous.files, file.path, {}, &ManifestEntry::path);
      bool listed = old != previous.files.end() && old->path == file.path;
      if (listed && old->mode == file.mode) {
        std::string sha256;
        Result<void> hashed = repository_.VisitBlob(file.blob_id, [&](std::string_view content) {
          sha256 = Sha256Hex(content);
          return Result<void>();
        });
        if (!hashed) return std::unexpected(hashed.error());
        if (sha256 == old->sha256) continue;
      }
      changes.push_back({file.path, listed ? old->mode : 0, file.mode, file.blob_id});
    }
    for (const ManifestEntry& entry : previous.files) {
      if (!present.contains(entry.path)) changes.push_back({entry.path, entry.mode, 0, ""});
    }
    std::ranges::sort(changes, {}, &git::TreeFileChange::path);
    return changes;
  }

  Result<void> Incremental(Manifest manifest, Manifest previous, SyncReport& report) {
    Result<std::vector<git::TreeFileChange>> changes = Changes(manifest, previous);
    if (!changes) return std::unexpected(changes.error());
    // The new file list: the previous one, less what changed or went, plus what is new.
    std::set<std::string_view> changed;
    for (const git::TreeFileChange& change : *changes) {
      if (Result<void> allowed = CheckSourcePath(change.path); !allowed) return allowed;
      changed.insert(change.path);
    }
    std::vector<ManifestEntry> files;
    files.reserve(previous.files.size() + changes->size());
    for (ManifestEntry& entry : previous.files) {
      if (!changed.contains(entry.path)) files.push_back(std::move(entry));
    }
    report.unchanged = static_cast<int64_t>(files.size());
    std::vector<std::string> remove;
    std::unordered_map<std::string_view, const git::TreeFileChange*> written;
    for (const git::TreeFileChange& change : *changes) {
      if (change.new_mode != 0) {
        files.push_back(ManifestEntry{change.path, 0, 0, ""});
        written.emplace(change.path, &change);
        (change.old_mode != 0 ? report.modified : report.added) += 1;
      } else {
        remove.push_back(change.path);
        ++report.removed;
      }
    }
    // Both parts are sorted (the carried entries and the changes): merge, not sort.
    auto middle = files.begin() + report.unchanged;
    std::ranges::inplace_merge(files, middle, {}, &ManifestEntry::path);

    if (Result<void> made = MakeFolder(staging_); !made) return made;
    if (Result<void> made = MakeFolder(staging_ / "files"); !made) return made;
    std::vector<BlobCopy> copies;
    std::vector<size_t> slots;
    std::vector<fs::path> targets;
    for (size_t i = 0; i < files.size(); ++i) {
      auto found = written.find(files[i].path);
      if (found == written.end()) continue;
      const git::TreeFileChange& change = *found->second;
      std::string target = (staging_ / "files" / std::to_string(i)).string();
      targets.emplace_back(target);
      copies.push_back(
          {change.path, change.new_mode, change.new_blob_id, std::move(target), {}, nullptr});
      slots.push_back(i);
    }
    // Reading the index costs about what inflating a few hundred small blobs does.
    if (copies.size() >= kWorkTreeFromCopies) {
      std::future<IndexResult> index = LoadIndexInBackground(manifest.source_path);
      if (Result<void> found = UseWorkTree(index, manifest.source_path, copies); !found) {
        return found;
      }
    }
    Result<std::vector<ManifestEntry>> entries = CopyBlobs(repository_, copies, request_.threads);
    if (!entries) return std::unexpected(entries.error());
    for (size_t k = 0; k < slots.size(); ++k) {
      report.bytes_written += (*entries)[k].size;
      files[slots[k]] = std::move((*entries)[k]);
    }
    if (Result<void> durable = MakeDurable(targets); !durable) return durable;
    if (Result<void> clear = CheckNothingInTheWay(copies, remove); !clear) return clear;
    manifest.files = std::move(files);
    std::string text = SealManifest(manifest);
    Result<void> committed = CommitUpdate(destination_, manifest, text, remove);
    report.manifest = std::move(manifest);
    return committed;
  }

 private:
  // Before the commit point: every new file's place must be free once the removals are done.
  // Something the previous sync did not write (an ignored __pycache__ in a folder that
  // becomes a file, a hand-made file where a folder must go) would stop the update half-way.
  Result<void> CheckNothingInTheWay(const std::vector<BlobCopy>& copies,
                                    const std::vector<std::string>& remove) {
    std::unordered_set<std::string_view> removed(remove.begin(), remove.end());
    auto refuse = [&](std::string_view path, std::string_view why) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("cannot update {}: {} {}; remove it, or pass --force to replace "
                              "the folder",
                              destination_.string(), path, why));
    };
    for (const BlobCopy& copy : copies) {
      std::string_view path = copy.path;
      for (size_t slash = path.find('/');; slash = path.find('/', slash + 1)) {
        std::string_view part = path.substr(0, slash);
        struct stat info {};
        if (::lstat((destination_ / part).c_str(), &info) != 0) break;  // free from here on
        bool last = slash == std::string_view::npos;
        if (!last && !S_ISDIR(info.st_mode) && !removed.contains(part)) {
          return refuse(part, "is in the way of a folder of the new tree");
        }
        if (last && S_ISDIR(info.st_mode)) {
          std::error_code error;
          for (fs::recursive_directory_iterator it(destination_ / part, error), end;
               !error && it != end; it.increment(error)) {
            if (it->is_directory(error) && !it->is_symlink(error)) continue;
            std::string inside = fs::path(it->path()).lexically_relative(destination_).string();
            if (!removed.contains(inside)) {
              return refuse(inside,
                            "was not written by the previous sync and is in the way of "
                            "a new file");
            }
          }
        }
        if (last || !S_ISDIR(info.st_mode)) break;
      }
    }
    return {};
  }

  using IndexResult = Result<std::unordered_map<std::string, git::IndexedStat>>;

  // Reads the source's index on another thread (with its own handle) while the caller lists
  // the tree: for 20,000 files each takes a few percent of the whole sync.
  std::future<IndexResult> LoadIndexInBackground(const std::string& subpath) {
    auto load = [subpath](const git::Repository& repository) -> IndexResult {
      if (repository.work_tree().empty()) return {};
      return repository.TrustedIndexEntries(subpath);
    };
    Result<git::Repository> handle = repository_.Reopen();
    if (handle) {
      try {
        return std::async(std::launch::async,
                          [load, owned = std::move(*handle)] { return load(owned); });
      } catch (const std::system_error&) {
        // No thread to spare: read it here instead.
      }
    }
    std::promise<IndexResult> now;
    now.set_value(load(repository_));
    return now.get_future();
  }

  // Points each copy at its file in the source's work tree where the index vouches for it.
  Result<void> UseWorkTree(std::future<IndexResult>& index, const std::string& subpath,
                           std::vector<BlobCopy>& copies) {
    IndexResult trusted = index.get();
    if (!trusted) return std::unexpected(trusted.error());
    fs::path root = repository_.work_tree();
    if (root.empty() || copies.empty()) return {};
    indexed_ = std::move(*trusted);
    fs::path base = subpath.empty() ? root : root / subpath;
    for (BlobCopy& copy : copies) {
      auto found = indexed_.find(copy.path);
      if (found == indexed_.end() || found->second.blob_id != copy.blob_id) continue;
      copy.indexed = &found->second;
      copy.work_tree_file = (base / copy.path).string();
    }
    return {};
  }

  const SyncRequest& request_;
  const git::Repository& repository_;
  fs::path destination_;
  fs::path staging_;
  std::unordered_map<std::string, git::IndexedStat> indexed_;
};

}  // namespace

Result<SyncSource> ParseSyncSource(std::string_view text) {
  // The separator is the last ':' after any "scheme://", so "file:///r:src" works.
  size_t scheme = text.find("://");
  size_t search_from = scheme == std::string_view::npos ? 0 : scheme + 3;
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon < search_from || colon == 0) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not REPOSITORY:PATH[@REVISION] (use REPOSITORY: for the "
                            "whole tree)",
                            text));
  }
  SyncSource source;
  source.repository = std::string(text.substr(0, colon));
  std::string_view rest = text.substr(colon + 1);
  // "@" starts the revision unless it is git's "@{...}" inside one.
  for (size_t at = rest.rfind('@'); at != std::string_view::npos;
       at = at == 0 ? std::string_view::npos : rest.rfind('@', at - 1)) {
    if (at + 1 < rest.size() && rest[at + 1] == '{') continue;
    source.revision = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    if (source.revision.empty()) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("'{}' has an empty revision after '@'", text));
    }
    break;
  }
  source.path = std::string(rest);
  return source;
}

std::string_view SyncKindName(SyncReport::Kind kind) {
  switch (kind) {
    case SyncReport::Kind::kFull:
      return "full";
    case SyncReport::Kind::kIncremental:
      return "incremental";
    case SyncReport::Kind::kUpToDate:
      return "up to date";
  }
  return "unknown";
}

Result<SyncReport> SyncTree(const SyncRequest& request) {
  Result<std::string> subpath = NormalizeSubpath(request.source.path);
  if (!subpath) return std::unexpected(subpath.error());
  fs::path source_folder = request.source.repository;
  if (IsUrl(request.source.repository)) {
    Result<fs::path> mirror = git::MirrorRepository(request.source.repository, request.mirrors_dir);
    if (!mirror) return std::unexpected(mirror.error());
    source_folder = *mirror;
  }
  Result<git::Repository> repository = git::Repository::Open(source_folder);
  if (!repository) return std::unexpected(repository.error());
  Result<std::string> commit = repository->ResolveCommit(request.source.revision);
  if (!commit) {
    if (commit.error().code() == ErrorCode::kNotFound &&
        request.source.revision.find('/') != std::string::npos) {
      // "src:pkg/@scope/lib" reads "scope/lib" as the revision.
      return Fail(ErrorCode::kNotFound,
                  fmt::format("{} (a path with '@' in it needs the revision spelled out: "
                              "{}:PATH@HEAD)",
                              commit.error().message(), request.source.repository));
    }
    return std::unexpected(commit.error());
  }
  Result<std::string> tree_id = repository->TreeIdAt(*commit, *subpath);
  if (!tree_id) return std::unexpected(tree_id.error());

  fs::path destination = fs::absolute(request.destination).lexically_normal();
  if (!destination.has_filename()) destination = destination.parent_path();
  if (destination == destination.root_path()) {
    return Fail(ErrorCode::kInvalidArgument, "the destination cannot be the root folder");
  }
  if (Result<void> allowed = CheckDestination(destination, *repository); !allowed) {
    return std::unexpected(allowed.error());
  }
  // Folders made for the destination's parent are removed again if the sync fails, so a
  // refused sync leaves nothing behind.
  Result<CreatedFolders> parents = CreatedFolders::Make(destination.parent_path());
  if (!parents) return std::unexpected(parents.error());
  std::error_code error;

  Result<SyncLock> lock = SyncLock::Acquire(destination);
  if (!lock) return std::unexpected(lock.error());
  SyncReport report;
  Result<bool> recovered = RecoverInterruptedSync(destination);
  if (!recovered) {
    if (!request.force) return std::unexpected(recovered.error());
    // --force copies everything: what the interrupted sync left does not matter.
    if (Result<void> discarded = DiscardInterruptedSync(destination); !discarded) {
      return std::unexpected(discarded.error());
    }
  }
  report.recovered = recovered.value_or(false);
  Result<Manifest> previous = ReadManifest(destination);
  if (!previous && !request.force) {
    if (previous.error().code() == ErrorCode::kNotFound) {
      if (fs::exists(destination, error) && !IsEmptyDirectory(destination)) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("destination {} is not empty and has no {}: it was not written "
                                "by lockstep sync; pass --force to replace its contents",
                                destination.string(), kManifestFileName));
      }
    } else {
      return Fail(previous.error().code(),
                  fmt::format("{}; the destination cannot be trusted: check it with `lockstep "
                              "sync verify`, then pass --force for a full copy",
                              previous.error().message()));
    }
  }
  if (!request.force) {
    if (Result<void> committed = CheckCommitted(destination, previous ? &*previous : nullptr);
        !committed) {
      return std::unexpected(committed.error());
    }
  }
  if (previous) report.previous_commit = previous->commit;

  Manifest manifest = NewManifest(request, *subpath, *commit, *tree_id);
  Syncer syncer(request, *repository, destination);
  if (previous && !request.force) {
    if (previous->tree_id == *tree_id && previous->commit == *commit &&
        previous->source_repository == manifest.source_repository &&
        previous->source_path == manifest.source_path) {
      report.kind = SyncReport::Kind::kUpToDate;
      report.unchanged = static_cast<int64_t>(previous->files.size());
      report.manifest = std::move(*previous);
      parents->Keep();
      return report;
    }
    report.kind = SyncReport::Kind::kIncremental;
    Result<void> done = syncer.Incremental(std::move(manifest), std::move(*previous), report);
    if (!done) {
      (void)RecoverInterruptedSync(destination);  // discards it, or finishes a committed one
      return std::unexpected(done.error());
    }
    parents->Keep();
    return report;
  }
  if (previous) {
    report.full_copy_reason = "--force";
  }
  report.kind = SyncReport::Kind::kFull;
  Result<void> done =
      syncer.Full(std::move(manifest), previous ? &previous->files : nullptr, report);
  if (!done) {
    (void)RecoverInterruptedSync(destination);
    return std::unexpected(done.error());
  }
  parents->Keep();
  return report;
}

}  // namespace lockstep::sync
