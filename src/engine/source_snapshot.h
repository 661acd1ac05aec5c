// A run's source tree at its commit, exported once and handed to each action as its own
// writable copy made from hard links. Thread-compatible.
//
// Why this is safe: the snapshot's files are made read-only (mode a-w) and every action's copy
// has its own directories, so an action can create, delete and rename files freely, and tools
// that rewrite a file by writing a new one and renaming it (compilers, sed -i, git, editors)
// leave the shared inode alone. What hard links cannot stop is an in-place write by a process
// that ignores the read-only mode (root, or a chmod first). So after each action the snapshot
// is checked: the inode, mode, size and mtime of every file, recorded at export. A write
// changes the mtime; a chmod changes the mode (and would leak into every copy). A changed
// file fails the action that changed it and is restored from git before any later action
// gets a copy. Not compared: the ctime, because linking and unlinking a file (making and
// removing copies) changes it too. So a write that deliberately sets the mtime back goes
// unnoticed; hashing every file after every action would catch it, at about 40 ms per action
// for a 5,000-file tree.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "git/repository.h"

namespace lockstep::engine {

class SourceSnapshot {
 public:
  // Exports `commit` (a full id) of `repository` into `directory` (which must not exist) and
  // records the identity of every file. Files and directories are left read-only: deleting
  // the snapshot as a user other than root needs its directories made writable first.
  static Result<SourceSnapshot> Create(const git::Repository& repository, std::string commit,
                                       std::filesystem::path directory);

  // Makes `destination` (which must not exist) a copy of the snapshot: directories created,
  // regular files hard-linked, symbolic links recreated. Falls back to copying a file when
  // linking fails with EXDEV (another file system).
  Result<void> LinkInto(const std::filesystem::path& destination) const;

  // Brings `copy`, made by LinkInto and then used by an action, back to what LinkInto would
  // make, touching only what differs: entries the action added are removed, and files it
  // removed, replaced or that no longer share the snapshot's inode are linked again. Folder
  // listings carry inode numbers, so an untouched copy costs one listing per folder rather
  // than a call per file, which is what lets workspace slots keep their copy from one action
  // to the next. Fails on anything unexpected (a folder turned into a file, a folder that
  // cannot be read); the caller then removes the copy and links it afresh.
  Result<void> Refresh(const std::filesystem::path& copy) const;

  // Paths (relative, sorted) of snapshot files that changed since export: missing, replaced,
  // resized, retimed or re-moded.
  Result<std::vector<std::string>> FindModified() const;

  // Rewrites `paths` (as FindModified names them) from git with fresh inodes, so later copies
  // are clean again. Copies made before keep the damaged inode. kInvalidArgument for a path
  // that is not a file of the snapshot.
  Result<void> Restore(const git::Repository& repository, const std::vector<std::string>& paths);

  // Deletes a snapshot folder (its folders are read-only, so they are made writable first).
  // Missing is fine.
  static Result<void> Remove(const std::filesystem::path& directory);

  const std::filesystem::path& directory() const { return directory_; }
  int64_t file_count() const { return static_cast<int64_t>(files_.size()); }

 private:
  struct FileIdentity {
    std::string path;  // relative
    uint64_t inode = 0;
    int64_t size = 0;
    int64_t mtime_ns = 0;
    uint32_t mode = 0;  // st_mode: type and (read-only) permission bits
  };
  // One directory of the snapshot as LinkInto recreates it.
  struct Directory {
    std::string path;                                           // relative; "" for the root
    std::vector<std::string> files;                             // names of regular files
    std::vector<std::pair<std::string, std::string>> symlinks;  // name, target
    std::vector<std::string> subdirectories;                    // names
  };
  Result<void> RefreshDirectory(int copy_fd, const Directory& directory,
                                const std::filesystem::path& copy_path) const;
  SourceSnapshot(std::string commit, std::filesystem::path directory)
      : commit_(std::move(commit)), directory_(std::move(directory)) {}
  Result<void> RecordIdentities();
  Result<void> RecordDirectory(int directory_fd, const std::string& path);

  std::string commit_;
  std::filesystem::path directory_;
  std::vector<FileIdentity> files_;     // sorted by path
  std::vector<Directory> directories_;  // parents before children
};

}  // namespace lockstep::engine
