// Repository's work-tree operations: what is uncommitted under a folder, and committing a
// folder's contents.
#include <fmt/core.h>

#include <algorithm>

#include "git/git_handle.h"
#include "git/repository.h"
#include "git/repository_impl.h"

namespace lockstep::git {
namespace {

struct IndexDeleter {
  void operator()(git_index* p) const { git_index_free(p); }
};
struct StatusListDeleter {
  void operator()(git_status_list* p) const { git_status_list_free(p); }
};
struct SignatureDeleter {
  void operator()(git_signature* p) const { git_signature_free(p); }
};

std::string TrimSlashes(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  return std::string(path);
}

// A literal pathspec for `subpath` (a folder or file), or none for the whole tree.
struct Pathspec {
  explicit Pathspec(const std::string& subpath) : text(subpath) {
    pointer = text.data();
    if (!text.empty()) array = {&pointer, 1};
  }
  std::string text;
  char* pointer;
  git_strarray array{nullptr, 0};
};

}  // namespace

Result<std::vector<std::string>> Repository::UncommittedChanges(std::string_view subpath) const {
  git_repository* repository = impl_->repository.get();
  if (git_repository_is_bare(repository)) {
    return Fail(ErrorCode::kInvalidArgument, "a bare repository has no work tree");
  }
  Pathspec spec(TrimSlashes(subpath));
  git_status_options options = GIT_STATUS_OPTIONS_INIT;
  options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
  // Literal paths: a folder name matches everything under it, '*' in it is just a character.
  options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS |
                  GIT_STATUS_OPT_DISABLE_PATHSPEC_MATCH | GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
  options.pathspec = spec.array;
  git_status_list* raw = nullptr;
  if (int rc = git_status_list_new(&raw, repository, &options); rc < 0) {
    return std::unexpected(GitError(rc, "cannot read the work tree's status"));
  }
  std::unique_ptr<git_status_list, StatusListDeleter> list(raw);
  std::vector<std::string> paths;
  size_t count = git_status_list_entrycount(list.get());
  for (size_t i = 0; i < count; ++i) {
    const git_status_entry* entry = git_status_byindex(list.get(), i);
    if (entry->status == GIT_STATUS_CURRENT || (entry->status & GIT_STATUS_IGNORED) != 0) continue;
    const git_diff_delta* delta =
        entry->index_to_workdir != nullptr ? entry->index_to_workdir : entry->head_to_index;
    if (delta == nullptr) continue;
    const char* path =
        delta->new_file.path != nullptr ? delta->new_file.path : delta->old_file.path;
    paths.emplace_back(path);
  }
  std::ranges::sort(paths);
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  return paths;
}

Result<std::string> Repository::CommitSubtree(std::string_view subpath,
                                              std::string_view message) const {
  git_repository* repository = impl_->repository.get();
  if (git_repository_is_bare(repository)) {
    return Fail(ErrorCode::kInvalidArgument, "a bare repository has no work tree to commit from");
  }
  const std::string folder = TrimSlashes(subpath);
  git_index* raw_index = nullptr;
  if (int rc = git_repository_index(&raw_index, repository); rc < 0) {
    return std::unexpected(GitError(rc, "cannot read the index"));
  }
  std::unique_ptr<git_index, IndexDeleter> index(raw_index);
  Pathspec spec(folder);
  // `git add -A -- folder`: new and changed files, then files gone from the work tree.
  if (int rc = git_index_add_all(index.get(), &spec.array, GIT_INDEX_ADD_DISABLE_PATHSPEC_MATCH,
                                 nullptr, nullptr);
      rc < 0) {
    return std::unexpected(GitError(rc, fmt::format("cannot stage '{}'", folder)));
  }
  if (int rc = git_index_update_all(index.get(), &spec.array, nullptr, nullptr); rc < 0) {
    return std::unexpected(GitError(rc, fmt::format("cannot stage '{}'", folder)));
  }
  if (int rc = git_index_write(index.get()); rc < 0) {
    return std::unexpected(GitError(rc, "cannot write the index"));
  }
  git_oid index_tree_id;
  if (int rc = git_index_write_tree(&index_tree_id, index.get()); rc < 0) {
    return std::unexpected(GitError(rc, "cannot write a tree from the index"));
  }

  // The parent: HEAD's commit, or none on an unborn branch.
  GitPtr<git_commit> parent;
  git_oid head_id;
  int head_rc = git_reference_name_to_id(&head_id, repository, "HEAD");
  if (head_rc == 0) {
    git_commit* raw = nullptr;
    if (int rc = git_commit_lookup(&raw, repository, &head_id); rc < 0) {
      return std::unexpected(GitError(rc, "cannot read HEAD's commit"));
    }
    parent.reset(raw);
  } else if (head_rc != GIT_ENOTFOUND && head_rc != GIT_EUNBORNBRANCH) {
    return std::unexpected(GitError(head_rc, "cannot read HEAD"));
  }

  // Only the folder is committed: HEAD's tree with the folder taken from the index, so that
  // changes someone else staged elsewhere stay staged and uncommitted.
  git_oid tree_id = index_tree_id;
  if (!folder.empty()) {
    git_tree* raw_index_tree = nullptr;
    if (int rc = git_tree_lookup(&raw_index_tree, repository, &index_tree_id); rc < 0) {
      return std::unexpected(GitError(rc, "cannot read the index's tree"));
    }
    GitPtr<git_tree> index_tree(raw_index_tree);
    git_tree_entry* raw_entry = nullptr;
    int found = git_tree_entry_bypath(&raw_entry, index_tree.get(), folder.c_str());
    GitPtr<git_tree_entry> folder_entry(found == 0 ? raw_entry : nullptr);
    GitPtr<git_tree> base;
    if (parent) {
      git_tree* raw_base = nullptr;
      if (int rc = git_commit_tree(&raw_base, parent.get()); rc < 0) {
        return std::unexpected(GitError(rc, "cannot read HEAD's tree"));
      }
      base.reset(raw_base);
    } else {
      // No HEAD yet: the folder goes into an empty tree, so that what else is staged stays
      // staged here too.
      git_treebuilder* raw_builder = nullptr;
      if (int rc = git_treebuilder_new(&raw_builder, repository, nullptr); rc < 0) {
        return std::unexpected(GitError(rc, "cannot make an empty tree"));
      }
      git_oid empty_id;
      int written = git_treebuilder_write(&empty_id, raw_builder);
      git_treebuilder_free(raw_builder);
      git_tree* raw_base = nullptr;
      if (written < 0 || (written = git_tree_lookup(&raw_base, repository, &empty_id)) < 0) {
        return std::unexpected(GitError(written, "cannot make an empty tree"));
      }
      base.reset(raw_base);
    }
    git_tree_update update{};
    update.path = folder.c_str();
    if (folder_entry) {
      update.action = GIT_TREE_UPDATE_UPSERT;
      git_oid_cpy(&update.id, git_tree_entry_id(folder_entry.get()));
      update.filemode = git_tree_entry_filemode(folder_entry.get());
    } else {
      update.action = GIT_TREE_UPDATE_REMOVE;
    }
    bool present_in_base = false;
    git_tree_entry* raw_old = nullptr;
    if (git_tree_entry_bypath(&raw_old, base.get(), folder.c_str()) == 0) {
      present_in_base = true;
      git_tree_entry_free(raw_old);
    }
    if (!folder_entry && !present_in_base) return std::string();  // nothing there, then or now
    if (int rc = git_tree_create_updated(&tree_id, repository, base.get(), 1, &update); rc < 0) {
      return std::unexpected(GitError(rc, fmt::format("cannot build the tree for '{}'", folder)));
    }
  }
  if (parent && git_oid_equal(&tree_id, git_commit_tree_id(parent.get()))) return std::string();

  git_signature* raw_signature = nullptr;
  if (git_signature_default(&raw_signature, repository) < 0 &&
      git_signature_now(&raw_signature, "lockstep", "lockstep@localhost") < 0) {
    return std::unexpected(GitError(-1, "cannot make a commit signature"));
  }
  std::unique_ptr<git_signature, SignatureDeleter> signature(raw_signature);
  git_tree* raw_tree = nullptr;
  if (int rc = git_tree_lookup(&raw_tree, repository, &tree_id); rc < 0) {
    return std::unexpected(GitError(rc, "cannot read the tree to commit"));
  }
  GitPtr<git_tree> tree(raw_tree);
  const git_commit* parents[1] = {parent.get()};
  git_oid commit_id;
  std::string text(message);
  if (int rc = git_commit_create(&commit_id, repository, "HEAD", signature.get(), signature.get(),
                                 nullptr, text.c_str(), tree.get(), parent ? 1 : 0, parents);
      rc < 0) {
    return std::unexpected(GitError(rc, "cannot commit"));
  }
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, &commit_id);
  return std::string(hex);
}

}  // namespace lockstep::git
