#include "git/tree_writer.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>

#include "base/strings.h"
#include "git/git_handle.h"

namespace lockstep::git {
namespace {

constexpr mode_t kDirectoryMode = 0755;
constexpr mode_t kFileMode = 0644;
constexpr mode_t kExecutableMode = 0755;

// The process umask, read without changing it (umask(2) can only be read by setting it,
// which would race with other threads creating files). Empty when /proc is unavailable.
std::optional<mode_t> CurrentUmask() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Umask:", 0) == 0) {
      return static_cast<mode_t>(std::strtoul(line.c_str() + 6, nullptr, 8));
    }
  }
  return std::nullopt;
}

// Like git's own checkout, ".git" is refused in any letter case: a planted .git folder would
// hand its config and hooks to every git command an action runs in the export.
bool IsSafeName(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && AsciiLower(name) != ".git" &&
         name.find('/') == std::string_view::npos;
}

class Writer {
 public:
  Writer(git_repository* repository, const std::filesystem::path& destination)
      : repository_(repository), destination_(destination) {
    // Files are created with the mode they need; only a umask that strips some of those bits
    // (027, 077) costs an extra fchmod per file.
    std::optional<mode_t> mask = CurrentUmask();
    force_modes_ = !mask || (*mask & kExecutableMode) != 0;
  }

  Result<void> WriteDirectory(const git_tree* tree, int directory_fd) {
    size_t count = git_tree_entrycount(tree);
    for (size_t i = 0; i < count; ++i) {
      const git_tree_entry* entry = git_tree_entry_byindex(tree, i);
      std::string_view name = git_tree_entry_name(entry);
      size_t saved_length = path_.size();
      if (!path_.empty()) path_ += '/';
      path_ += name;
      if (!IsSafeName(name)) {
        return Fail(
            ErrorCode::kCorruption,
            fmt::format("refusing tree entry '{}': the name would leave the directory", path_));
      }
      Result<void> written = WriteEntry(entry, directory_fd, std::string(name).c_str());
      if (!written) return written;
      path_.resize(saved_length);
    }
    return {};
  }

  ExportSummary& summary() { return summary_; }

 private:
  Result<void> WriteEntry(const git_tree_entry* entry, int directory_fd, const char* name) {
    git_filemode_t mode = git_tree_entry_filemode(entry);
    switch (mode) {
      case GIT_FILEMODE_TREE:
        return WriteSubtree(entry, directory_fd, name);
      case GIT_FILEMODE_BLOB:  // also the 0664 of old trees: libgit2 normalises it
        return WriteFile(entry, directory_fd, name, kFileMode);
      case GIT_FILEMODE_BLOB_EXECUTABLE:
        return WriteFile(entry, directory_fd, name, kExecutableMode);
      case GIT_FILEMODE_LINK:
        return WriteSymlink(entry, directory_fd, name);
      case GIT_FILEMODE_COMMIT:
        // A submodule: git checkout leaves an empty directory where it would be cloned.
        if (::mkdirat(directory_fd, name, kDirectoryMode) != 0) return IoFailure();
        summary_.submodules.push_back(path_);
        return {};
      default:
        return Fail(ErrorCode::kCorruption, fmt::format("tree entry '{}' has unknown mode {:o}",
                                                        path_, static_cast<unsigned>(mode)));
    }
  }

  Result<void> WriteSubtree(const git_tree_entry* entry, int directory_fd, const char* name) {
    git_tree* raw = nullptr;
    if (int rc = git_tree_lookup(&raw, repository_, git_tree_entry_id(entry)); rc < 0) {
      return std::unexpected(GitError(rc, fmt::format("cannot read tree '{}'", path_)));
    }
    GitPtr<git_tree> subtree(raw);
    if (::mkdirat(directory_fd, name, kDirectoryMode) != 0) return IoFailure();
    if (force_modes_ && ::fchmodat(directory_fd, name, kDirectoryMode, 0) != 0) {
      return IoFailure();
    }
    int fd = ::openat(directory_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return IoFailure();
    Result<void> written = WriteDirectory(subtree.get(), fd);
    ::close(fd);
    return written;
  }

  Result<GitPtr<git_blob>> LookupBlob(const git_tree_entry* entry) {
    git_blob* raw = nullptr;
    if (int rc = git_blob_lookup(&raw, repository_, git_tree_entry_id(entry)); rc < 0) {
      return std::unexpected(GitError(rc, fmt::format("cannot read blob '{}'", path_)));
    }
    return GitPtr<git_blob>(raw);
  }

  Result<void> WriteFile(const git_tree_entry* entry, int directory_fd, const char* name,
                         mode_t file_mode) {
    Result<GitPtr<git_blob>> blob = LookupBlob(entry);
    if (!blob) return std::unexpected(blob.error());
    const char* data = static_cast<const char*>(git_blob_rawcontent(blob->get()));
    size_t size = static_cast<size_t>(git_blob_rawsize(blob->get()));
    int fd = ::openat(directory_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                      file_mode);
    if (fd < 0) return IoFailure();
    size_t done = 0;
    while (done < size) {
      ssize_t n = ::write(fd, data + done, size - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int saved = errno;
        ::close(fd);
        return IoFailure(saved);
      }
      done += static_cast<size_t>(n);
    }
    if (force_modes_ && ::fchmod(fd, file_mode) != 0) {
      int saved = errno;
      ::close(fd);
      return IoFailure(saved);
    }
    if (::close(fd) != 0) return IoFailure();
    summary_.files++;
    summary_.bytes += static_cast<int64_t>(size);
    return {};
  }

  Result<void> WriteSymlink(const git_tree_entry* entry, int directory_fd, const char* name) {
    Result<GitPtr<git_blob>> blob = LookupBlob(entry);
    if (!blob) return std::unexpected(blob.error());
    std::string target(static_cast<const char*>(git_blob_rawcontent(blob->get())),
                       static_cast<size_t>(git_blob_rawsize(blob->get())));
    if (target.empty() || target.find('\0') != std::string::npos) {
      return Fail(ErrorCode::kCorruption,
                  fmt::format("symbolic link '{}' has an empty or NUL-containing target", path_));
    }
    if (::symlinkat(target.c_str(), directory_fd, name) != 0) return IoFailure();
    summary_.symlinks++;
    return {};
  }

  std::unexpected<Error> IoFailure(int error = errno) const {
    return std::unexpected(ErrnoError(error, (destination_ / path_).string()));
  }

  git_repository* repository_;
  const std::filesystem::path& destination_;
  bool force_modes_ = true;
  std::string path_;  // of the entry being written, relative to the destination
  ExportSummary summary_;
};

}  // namespace

Result<ExportSummary> WriteTree(git_repository* repository, const git_tree* tree, int directory_fd,
                                const std::filesystem::path& destination) {
  Writer writer(repository, destination);
  if (Result<void> written = writer.WriteDirectory(tree, directory_fd); !written) {
    return std::unexpected(written.error());
  }
  return std::move(writer.summary());
}

}  // namespace lockstep::git
