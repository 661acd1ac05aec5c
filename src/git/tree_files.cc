#include <fmt/core.h>

#include <algorithm>

#include "base/strings.h"
#include "git/git_handle.h"
#include "git/repository.h"
#include "git/repository_impl.h"
#include "git/tree_diff.h"

namespace lockstep::git {
namespace {

Result<git_oid> ParseId(std::string_view id, std::string_view what) {
  git_oid oid;
  if (id.size() != GIT_OID_HEXSZ || git_oid_fromstrn(&oid, id.data(), id.size()) < 0) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("'{}' is not a full {} id", id, what));
  }
  return oid;
}

std::string Hex(const git_oid* oid) {
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, oid);
  return std::string(hex);
}

Result<GitPtr<git_tree>> LookupTree(git_repository* repository, std::string_view tree_id) {
  Result<git_oid> oid = ParseId(tree_id, "tree");
  if (!oid) return std::unexpected(oid.error());
  git_tree* raw = nullptr;
  if (int rc = git_tree_lookup(&raw, repository, &*oid); rc < 0) {
    if (rc == GIT_ENOTFOUND) {
      return Fail(ErrorCode::kNotFound, fmt::format("no tree '{}' in the repository", tree_id));
    }
    return std::unexpected(ObjectError(rc, fmt::format("cannot read tree '{}'", tree_id)));
  }
  return GitPtr<git_tree>(raw);
}

// As checkout and ExportTree: a name that could leave the directory or plant a repository.
bool IsSafeName(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && AsciiLower(name) != ".git" &&
         name.find('/') == std::string_view::npos;
}

bool IsSafePath(std::string_view path) {
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    if (!IsSafeName(path.substr(start, slash - start))) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

class Lister {
 public:
  explicit Lister(git_repository* repository, TreeFiles& out)
      : repository_(repository), out_(out) {}

  Result<void> List(const git_tree* tree, const std::string& prefix) {
    size_t count = git_tree_entrycount(tree);
    for (size_t i = 0; i < count; ++i) {
      const git_tree_entry* entry = git_tree_entry_byindex(tree, i);
      std::string_view name = git_tree_entry_name(entry);
      std::string path = prefix.empty() ? std::string(name) : prefix + "/" + std::string(name);
      if (!IsSafeName(name)) {
        return Fail(ErrorCode::kCorruption,
                    fmt::format("the tree holds an unsafe path '{}'", path));
      }
      auto mode = static_cast<uint32_t>(git_tree_entry_filemode(entry));
      switch (git_tree_entry_type(entry)) {
        case GIT_OBJECT_TREE: {
          git_tree* raw = nullptr;
          if (int rc = git_tree_lookup(&raw, repository_, git_tree_entry_id(entry)); rc < 0) {
            return std::unexpected(ObjectError(rc, fmt::format("cannot read tree '{}'", path)));
          }
          GitPtr<git_tree> subtree(raw);
          if (Result<void> listed = List(subtree.get(), path); !listed) return listed;
          break;
        }
        case GIT_OBJECT_COMMIT:
          out_.submodules.push_back(std::move(path));
          break;
        default:
          // 0100664 and other historical modes are regular files, as git reads them.
          if (mode != 0120000 && mode != 0100755) mode = 0100644;
          out_.files.push_back(TreeFile{std::move(path), mode, Hex(git_tree_entry_id(entry))});
          break;
      }
    }
    return {};
  }

 private:
  git_repository* repository_;
  TreeFiles& out_;
};

uint32_t FileMode(uint32_t mode) {
  if ((mode & 0170000) == 0100000) return mode == 0100755 ? 0100755 : 0100644;
  return mode == 0120000 ? mode : 0;  // a directory or submodule is no file
}

}  // namespace

std::filesystem::path Repository::git_directory() const {
  std::string_view path = git_repository_path(impl_->repository.get());
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return std::filesystem::path(path);
}

Result<Repository> Repository::Reopen() const {
  return Open(git_repository_path(impl_->repository.get()));
}

Result<std::string> Repository::TreeIdAt(std::string_view commit, std::string_view subpath) const {
  Result<git_oid> oid = ParseId(commit, "commit");
  if (!oid) return std::unexpected(oid.error());
  git_repository* repository = impl_->repository.get();
  git_commit* raw_commit = nullptr;
  if (int rc = git_commit_lookup(&raw_commit, repository, &*oid); rc < 0) {
    return std::unexpected(ObjectError(rc, fmt::format("cannot read commit '{}'", commit)));
  }
  GitPtr<git_commit> owned(raw_commit);
  while (!subpath.empty() && subpath.back() == '/') subpath.remove_suffix(1);
  if (subpath.empty()) return Hex(git_commit_tree_id(owned.get()));
  git_tree* raw_tree = nullptr;
  if (int rc = git_commit_tree(&raw_tree, owned.get()); rc < 0) {
    return std::unexpected(ObjectError(rc, fmt::format("cannot read the tree of '{}'", commit)));
  }
  GitPtr<git_tree> tree(raw_tree);
  git_tree_entry* raw_entry = nullptr;
  std::string spec(subpath);
  if (int rc = git_tree_entry_bypath(&raw_entry, tree.get(), spec.c_str()); rc < 0) {
    if (rc == GIT_ENOTFOUND) {
      return Fail(ErrorCode::kNotFound, fmt::format("path '{}' does not exist at commit {}",
                                                    subpath, commit.substr(0, 7)));
    }
    return std::unexpected(ObjectError(rc, fmt::format("cannot read path '{}'", subpath)));
  }
  GitPtr<git_tree_entry> entry(raw_entry);
  if (git_tree_entry_type(entry.get()) != GIT_OBJECT_TREE) {
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format(
            "path '{}' at commit {} is {}, not a directory", subpath, commit.substr(0, 7),
            git_tree_entry_type(entry.get()) == GIT_OBJECT_COMMIT ? "a submodule" : "a file"));
  }
  return Hex(git_tree_entry_id(entry.get()));
}

bool Repository::HasTree(std::string_view tree_id) const {
  return LookupTree(impl_->repository.get(), tree_id).has_value();
}

Result<TreeFiles> Repository::ListFiles(std::string_view tree_id) const {
  Result<GitPtr<git_tree>> tree = LookupTree(impl_->repository.get(), tree_id);
  if (!tree) return std::unexpected(tree.error());
  TreeFiles out;
  out.tree_id = std::string(tree_id);
  Lister lister(impl_->repository.get(), out);
  if (Result<void> listed = lister.List(tree->get(), ""); !listed) {
    return std::unexpected(listed.error());
  }
  // Git orders a directory as if its name ended in '/'; the listing is in plain byte order.
  std::ranges::sort(out.files, {}, &TreeFile::path);
  return out;
}

Result<std::vector<TreeFileChange>> Repository::DiffFiles(std::string_view old_tree_id,
                                                          std::string_view new_tree_id) const {
  git_repository* repository = impl_->repository.get();
  Result<GitPtr<git_tree>> old_tree = LookupTree(repository, old_tree_id);
  if (!old_tree) return std::unexpected(old_tree.error());
  Result<GitPtr<git_tree>> new_tree = LookupTree(repository, new_tree_id);
  if (!new_tree) return std::unexpected(new_tree.error());
  Result<std::vector<ChangedPath>> changes =
      DiffTrees(repository, old_tree->get(), new_tree->get(), kNoInexactRenames);
  if (!changes) return std::unexpected(changes.error());

  std::vector<TreeFileChange> files;
  for (ChangedPath& change : *changes) {
    // Both sides: a path from the old tree is deleted by a sync, so it must be safe too.
    for (const std::string& path : {change.path, change.old_path}) {
      if (!path.empty() && !IsSafePath(path)) {
        return Fail(ErrorCode::kCorruption,
                    fmt::format("the tree holds an unsafe path '{}'", path));
      }
    }
    if (change.kind == ChangedPath::Kind::kRenamed) {
      files.push_back({std::move(change.old_path), FileMode(change.old_mode), 0, ""});
      change.old_mode = 0;
    }
    TreeFileChange file{std::move(change.path), FileMode(change.old_mode),
                        FileMode(change.new_mode), ""};
    if (file.old_mode == 0 && file.new_mode == 0) continue;  // submodules only
    files.push_back(std::move(file));
  }
  // The new side's blob ids, looked up by path: only changed files are visited.
  for (TreeFileChange& file : files) {
    if (file.new_mode == 0) continue;
    git_tree_entry* raw = nullptr;
    if (int rc = git_tree_entry_bypath(&raw, new_tree->get(), file.path.c_str()); rc < 0) {
      return std::unexpected(ObjectError(rc, fmt::format("cannot read path '{}'", file.path)));
    }
    GitPtr<git_tree_entry> entry(raw);
    file.new_blob_id = Hex(git_tree_entry_id(entry.get()));
  }
  std::ranges::sort(files, {}, &TreeFileChange::path);
  return files;
}

Result<void> Repository::VisitBlob(
    std::string_view blob_id,
    const std::function<Result<void>(std::string_view content)>& visit) const {
  Result<git_oid> oid = ParseId(blob_id, "blob");
  if (!oid) return std::unexpected(oid.error());
  git_blob* raw = nullptr;
  if (int rc = git_blob_lookup(&raw, impl_->repository.get(), &*oid); rc < 0) {
    if (rc == GIT_ENOTFOUND) {
      return Fail(ErrorCode::kNotFound, fmt::format("no blob '{}' in the repository", blob_id));
    }
    return std::unexpected(ObjectError(rc, fmt::format("cannot read blob '{}'", blob_id)));
  }
  GitPtr<git_blob> blob(raw);
  return visit(std::string_view(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                                static_cast<size_t>(git_blob_rawsize(blob.get()))));
}

}  // namespace lockstep::git
