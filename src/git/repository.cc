#include "git/repository.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "git/git_handle.h"
#include "git/repository_impl.h"
#include "git/tree_writer.h"

namespace lockstep::git {

namespace {

std::string ShortId(std::string_view commit) { return std::string(commit.substr(0, 7)); }

std::string_view TrimSlashes(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  return path;
}

// The root tree of the commit with full id `commit`.
Result<GitPtr<git_tree>> CommitTree(git_repository* repository, std::string_view commit) {
  git_oid oid;
  if (commit.size() != GIT_OID_HEXSZ || git_oid_fromstrn(&oid, commit.data(), commit.size()) < 0) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("'{}' is not a full commit id", commit));
  }
  git_commit* raw_commit = nullptr;
  if (int rc = git_commit_lookup(&raw_commit, repository, &oid); rc < 0) {
    if (rc == GIT_ENOTFOUND) {
      return Fail(ErrorCode::kNotFound, fmt::format("unknown commit '{}'", commit));
    }
    return std::unexpected(GitError(rc, fmt::format("cannot read commit '{}'", commit)));
  }
  GitPtr<git_commit> owned_commit(raw_commit);
  git_tree* raw_tree = nullptr;
  if (int rc = git_commit_tree(&raw_tree, owned_commit.get()); rc < 0) {
    return std::unexpected(GitError(rc, fmt::format("cannot read the tree of '{}'", commit)));
  }
  return GitPtr<git_tree>(raw_tree);
}

// The entry at `path` (not empty) in `tree`, which must be of `wanted` type.
Result<GitPtr<git_tree_entry>> EntryAt(const git_tree* tree, std::string_view commit,
                                       std::string_view path, git_object_t wanted) {
  std::string spec(path);
  git_tree_entry* raw = nullptr;
  if (int rc = git_tree_entry_bypath(&raw, tree, spec.c_str()); rc < 0) {
    if (rc == GIT_ENOTFOUND) {
      return Fail(ErrorCode::kNotFound,
                  fmt::format("path '{}' does not exist at commit {}", path, ShortId(commit)));
    }
    return std::unexpected(GitError(rc, fmt::format("cannot read path '{}'", path)));
  }
  GitPtr<git_tree_entry> entry(raw);
  git_object_t type = git_tree_entry_type(entry.get());
  if (type == wanted) return entry;
  std::string_view is = type == GIT_OBJECT_TREE     ? "a directory"
                        : type == GIT_OBJECT_COMMIT ? "a submodule"
                                                    : "a file";
  std::string_view not_a = wanted == GIT_OBJECT_TREE ? "a directory" : "a file";
  return Fail(ErrorCode::kInvalidArgument, fmt::format("path '{}' at commit {} is {}, not {}", path,
                                                       ShortId(commit), is, not_a));
}

// Opens `destination` for writing a tree into: created (with missing parents) when absent,
// accepted when it is an empty directory.
Result<int> OpenEmptyDirectory(const std::filesystem::path& destination) {
  if (destination.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "the export destination is an empty path");
  }
  std::error_code ignored;  // a failure here shows up as mkdir's ENOENT below
  std::filesystem::create_directories(destination.parent_path(), ignored);
  bool created = ::mkdir(destination.c_str(), 0755) == 0;
  if (!created && errno != EEXIST) return std::unexpected(ErrnoError(errno, destination.string()));
  int fd = ::open(destination.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::unexpected(ErrnoError(errno, destination.string()));
  if (created) return fd;
  int listing_fd = ::dup(fd);
  DIR* listing = listing_fd < 0 ? nullptr : ::fdopendir(listing_fd);
  if (listing == nullptr) {
    int saved = errno;
    if (listing_fd >= 0) ::close(listing_fd);
    ::close(fd);
    return std::unexpected(ErrnoError(saved, destination.string()));
  }
  bool empty = true;
  while (dirent* item = ::readdir(listing)) {
    std::string_view name = item->d_name;
    if (name != "." && name != "..") empty = false;
  }
  ::closedir(listing);
  if (!empty) {
    ::close(fd);
    return Fail(ErrorCode::kAlreadyExists,
                fmt::format("'{}' exists and is not empty", destination.string()));
  }
  return fd;
}

}  // namespace

Repository::Repository(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Repository::Repository(Repository&&) noexcept = default;
Repository& Repository::operator=(Repository&&) noexcept = default;
Repository::~Repository() = default;

Result<Repository> Repository::Open(const std::filesystem::path& path) {
  EnsureLibgit2();
  git_repository* raw = nullptr;
  // Flags 0: search upward from `path` through its parents, as the git command line does.
  int rc = git_repository_open_ext(&raw, path.c_str(), 0, nullptr);
  if (rc == GIT_ENOTFOUND) {
    return Fail(ErrorCode::kNotFound,
                fmt::format("no git repository at or above '{}'", path.string()));
  }
  if (rc < 0) {
    return std::unexpected(
        GitError(rc, fmt::format("cannot open the git repository at '{}'", path.string())));
  }
  auto impl = std::make_unique<Impl>();
  impl->repository.reset(raw);
  return Repository(std::move(impl));
}

std::filesystem::path Repository::work_tree() const {
  const char* workdir = git_repository_workdir(impl_->repository.get());
  if (workdir == nullptr) return {};
  std::string_view root = workdir;
  if (root.size() > 1 && root.back() == '/') root.remove_suffix(1);
  return std::filesystem::path(root);
}

Result<std::string> Repository::ResolveCommit(std::string_view revision) const {
  std::string spec(revision);
  if (spec.find('\0') != std::string::npos) {
    return Fail(ErrorCode::kInvalidArgument, "a revision cannot contain a NUL byte");
  }
  git_object* raw = nullptr;
  int rc = git_revparse_single(&raw, impl_->repository.get(), spec.c_str());
  if (rc == GIT_ENOTFOUND) {
    return Fail(ErrorCode::kNotFound, fmt::format("unknown revision '{}'", revision));
  }
  if (rc == GIT_EAMBIGUOUS) {
    return std::unexpected(GitError(rc, fmt::format("ambiguous revision '{}'", revision)));
  }
  if (rc < 0) {
    return std::unexpected(GitError(rc, fmt::format("cannot resolve revision '{}'", revision)));
  }
  GitPtr<git_object> object(raw);
  git_object* peeled_raw = nullptr;
  if (git_object_peel(&peeled_raw, object.get(), GIT_OBJECT_COMMIT) < 0) {
    // Name what the revision really is; for a tag, what it finally points at.
    git_object_t type = git_object_type(object.get());
    GitPtr<git_object> target;
    if (type == GIT_OBJECT_TAG) {
      git_object* raw_target = nullptr;
      if (git_tag_peel(&raw_target, reinterpret_cast<git_tag*>(object.get())) == 0) {
        target.reset(raw_target);
        type = git_object_type(target.get());
      }
    }
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is a {}, not a commit", revision, git_object_type2string(type)));
  }
  GitPtr<git_object> commit(peeled_raw);
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, git_object_id(commit.get()));
  return std::string(hex);
}

Result<std::string> Repository::CurrentBranch() const {
  git_reference* raw = nullptr;
  int rc = git_repository_head(&raw, impl_->repository.get());
  if (rc == GIT_EUNBORNBRANCH || rc == GIT_ENOTFOUND) return std::string();
  if (rc < 0) return std::unexpected(GitError(rc, "cannot read HEAD"));
  GitPtr<git_reference> head(raw);
  // A detached HEAD comes back as the direct reference "HEAD", not a branch.
  if (!git_reference_is_branch(head.get())) return std::string();
  return std::string(git_reference_shorthand(head.get()));
}

Result<ExportSummary> Repository::ExportTree(std::string_view commit, std::string_view subpath,
                                             const std::filesystem::path& destination) const {
  git_repository* repository = impl_->repository.get();
  Result<GitPtr<git_tree>> tree = CommitTree(repository, commit);
  if (!tree) return std::unexpected(tree.error());
  subpath = TrimSlashes(subpath);
  if (!subpath.empty()) {
    Result<GitPtr<git_tree_entry>> entry = EntryAt(tree->get(), commit, subpath, GIT_OBJECT_TREE);
    if (!entry) return std::unexpected(entry.error());
    git_tree* raw = nullptr;
    if (int rc = git_tree_lookup(&raw, repository, git_tree_entry_id(entry->get())); rc < 0) {
      return std::unexpected(GitError(rc, fmt::format("cannot read tree '{}'", subpath)));
    }
    tree->reset(raw);
  }
  Result<int> fd = OpenEmptyDirectory(destination);
  if (!fd) return std::unexpected(fd.error());
  Result<ExportSummary> summary = WriteTree(repository, tree->get(), *fd, destination);
  ::close(*fd);
  return summary;
}

Result<std::string> Repository::ReadBlob(std::string_view commit, std::string_view path) const {
  git_repository* repository = impl_->repository.get();
  Result<GitPtr<git_tree>> tree = CommitTree(repository, commit);
  if (!tree) return std::unexpected(tree.error());
  path = TrimSlashes(path);
  if (path.empty()) return Fail(ErrorCode::kInvalidArgument, "an empty path names no file");
  Result<GitPtr<git_tree_entry>> entry = EntryAt(tree->get(), commit, path, GIT_OBJECT_BLOB);
  if (!entry) return std::unexpected(entry.error());
  git_blob* raw = nullptr;
  if (int rc = git_blob_lookup(&raw, repository, git_tree_entry_id(entry->get())); rc < 0) {
    return std::unexpected(GitError(rc, fmt::format("cannot read '{}'", path)));
  }
  GitPtr<git_blob> blob(raw);
  return std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                     static_cast<size_t>(git_blob_rawsize(blob.get())));
}

}  // namespace lockstep::git
