// The on-disk protocol that makes a sync all-or-nothing. Everything new is prepared in a
// staging folder beside the destination (same file system, so renames are atomic), made
// durable, and only then moved in:
//
//  - a full copy builds the whole new tree, manifest included, in STAGING/tree and swaps it
//    with the destination in one renameat2(RENAME_EXCHANGE) (or one rename when the
//    destination does not exist);
//  - an incremental update writes only new and changed files to STAGING/files/N (N the
//    entry's index in the new manifest) and the paths to delete to STAGING/remove, then
//    commits by renaming STAGING/manifest.json into place. From that moment the update is
//    rolled forward: the files are renamed in, the deleted ones removed, and the new
//    manifest moved in last. Every step can be repeated, so an update interrupted at any
//    point is finished by RecoverInterruptedSync, which every sync and verify runs first.
//
// A staging folder without a committed manifest is discarded: the destination is as before.
// Concurrent syncs into one destination are serialised with flock on its parent folder.
// Thread-compatible.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/error.h"
#include "sync/manifest.h"

namespace lockstep::sync {

// The staging folder of `destination`: "PARENT/.NAME.lockstep-sync".
std::filesystem::path StagingPath(const std::filesystem::path& destination);

// An exclusive lock on the destination's parent folder, held while the object lives.
class SyncLock {
 public:
  static Result<SyncLock> Acquire(const std::filesystem::path& destination);
  SyncLock(SyncLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  SyncLock& operator=(SyncLock&&) = delete;
  ~SyncLock();

 private:
  explicit SyncLock(int fd) : fd_(fd) {}
  int fd_;
};

// Finishes or discards what an interrupted sync left in the staging folder; returns true when
// an update was rolled forward. Call with the lock held.
Result<bool> RecoverInterruptedSync(const std::filesystem::path& destination);

// Discards whatever an interrupted sync left, committed or not (for --force, which copies
// everything anyway), putting back a destination that a full copy had moved aside.
Result<void> DiscardInterruptedSync(const std::filesystem::path& destination);

// Makes the data of the files in `paths` durable: fsync of each when few, else one syncfs of
// their file system (fsync per file costs a journal commit each).
Result<void> MakeDurable(const std::vector<std::filesystem::path>& paths);

// Flushes the whole file system that holds `path` (one syncfs).
Result<void> SyncFileSystem(const std::filesystem::path& path);

// Full copy: `tree` (STAGING/tree, complete with its manifest and durable) replaces the
// destination in one step; the old contents are removed afterwards.
Result<void> SwapInTree(const std::filesystem::path& destination);

// Incremental update: commits the prepared STAGING (files/N written and durable) with the
// new manifest (sealed, and `text` its file text from SealManifest) and the paths to remove,
// then applies it.
Result<void> CommitUpdate(const std::filesystem::path& destination, const Manifest& manifest,
                          std::string_view text, const std::vector<std::string>& remove);

}  // namespace lockstep::sync
