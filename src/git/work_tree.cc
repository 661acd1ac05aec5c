// Repository's work-tree operations: what is uncommitted under a folder, and committing a
// folder's contents.
#include <fmt/core.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <utility>

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
struct ConfigDeleter {
  void operator()(git_config* p) const { git_config_free(p); }
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

// Whether this repository could convert any file between blob and work tree: core.autocrlf
// or core.eol set, or an attributes file anywhere git looks for one.
Result<bool> ContentFiltersConfigured(git_repository* repository) {
  git_config* raw_config = nullptr;
  if (int rc = git_repository_config_snapshot(&raw_config, repository); rc < 0) {
    return std::unexpected(GitError(rc, "cannot read the repository's configuration"));
  }
  std::unique_ptr<git_config, ConfigDeleter> config(raw_config);
  for (const char* name : {"core.autocrlf", "core.eol", "core.attributesfile"}) {
    git_buf value = GIT_BUF_INIT;
    int rc = git_config_get_string_buf(&value, config.get(), name);
    bool set = rc == 0 && value.size > 0 && std::string_view(value.ptr) != "false";
    git_buf_dispose(&value);
    if (set) return true;
  }
  std::vector<std::filesystem::path> sources = {
      std::filesystem::path(git_repository_path(repository)) / "info" / "attributes",
      "/etc/gitattributes"};
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0') {
    sources.push_back(std::filesystem::path(xdg) / "git" / "attributes");
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    sources.push_back(std::filesystem::path(home) / ".config" / "git" / "attributes");
  }
  std::error_code error;
  for (const std::filesystem::path& source : sources) {
    if (std::filesystem::exists(source, error)) return true;
  }
  // .gitattributes files in the tree: any tracked one counts.
  git_index* raw_index = nullptr;
  if (git_repository_index(&raw_index, repository) < 0) return true;
  std::unique_ptr<git_index, IndexDeleter> index(raw_index);
  size_t count = git_index_entrycount(index.get());
  for (size_t i = 0; i < count; ++i) {
    std::string_view path = git_index_get_byindex(index.get(), i)->path;
    if (path == ".gitattributes" || path.ends_with("/.gitattributes")) return true;
  }
  const char* workdir = git_repository_workdir(repository);
  return workdir != nullptr &&
         std::filesystem::exists(std::filesystem::path(workdir) / ".gitattributes", error);
}

// Whether an attribute that changes content on checkout applies to `path`.
bool MayBeFiltered(git_repository* repository, const char* path) {
  const char* names[] = {"filter", "text", "eol", "ident", "working-tree-encoding", "crlf"};
  const char* values[std::size(names)] = {};
  if (git_attr_get_many(values, repository, GIT_ATTR_CHECK_FILE_THEN_INDEX, path, std::size(names),
                        names) < 0) {
    return true;
  }
  for (size_t i = 0; i < std::size(names); ++i) {
    git_attr_value_t value = git_attr_value(values[i]);
    // "-text", "-crlf", "-ident": explicitly no conversion.
    bool harmless = value == GIT_ATTR_VALUE_UNSPECIFIED ||
                    (value == GIT_ATTR_VALUE_FALSE && (i == 1 || i == 3 || i == 5));
    if (!harmless) return true;
  }
  return false;
}

}  // namespace

bool StatMatches(const IndexedStat& indexed, const struct stat& info) {
  // Git's index keeps the low 32 bits of each field.
  auto low = [](auto value) { return static_cast<uint32_t>(value); };
  uint32_t mode = S_ISREG(info.st_mode) ? ((info.st_mode & S_IXUSR) != 0 ? 0100755 : 0100644) : 0;
  return mode != 0 && mode == indexed.mode && low(info.st_mtim.tv_sec) == indexed.mtime_seconds &&
         low(info.st_mtim.tv_nsec) == indexed.mtime_nanoseconds &&
         low(info.st_ctim.tv_sec) == indexed.ctime_seconds &&
         low(info.st_ctim.tv_nsec) == indexed.ctime_nanoseconds &&
         low(info.st_ino) == indexed.inode && low(info.st_dev) == indexed.device &&
         low(info.st_uid) == indexed.uid && low(info.st_gid) == indexed.gid &&
         low(info.st_size) == indexed.size;
}

Result<std::unordered_map<std::string, IndexedStat>> Repository::TrustedIndexEntries(
    std::string_view subpath) const {
  std::unordered_map<std::string, IndexedStat> trusted;
  git_repository* repository = impl_->repository.get();
  if (git_repository_is_bare(repository)) return trusted;
  // The index file's own time, taken before the index is read: an entry staged in the same
  // clock tick as the file was written may have changed again without its stat data showing it.
  struct stat index_info {};
  if (::stat((git_directory() / "index").c_str(), &index_info) != 0) return trusted;
  git_index* raw_index = nullptr;
  if (int rc = git_repository_index(&raw_index, repository); rc < 0) {
    return std::unexpected(GitError(rc, "cannot read the index"));
  }
  std::unique_ptr<git_index, IndexDeleter> index(raw_index);
  // Line-ending conversion, ident and filter drivers make the work tree's bytes differ from
  // the blob's; where one may apply, the blob must be read.
  Result<bool> may_filter = ContentFiltersConfigured(repository);
  if (!may_filter) return std::unexpected(may_filter.error());
  const std::string prefix = subpath.empty() ? "" : TrimSlashes(subpath) + "/";
  size_t count = git_index_entrycount(index.get());
  for (size_t i = 0; i < count; ++i) {
    const git_index_entry* entry = git_index_get_byindex(index.get(), i);
    std::string_view path = entry->path;
    if (!path.starts_with(prefix) || GIT_INDEX_ENTRY_STAGE(entry) != 0) continue;
    if ((entry->mode & 0170000) != 0100000) continue;  // links and submodules: read from git
    if ((entry->flags_extended & GIT_INDEX_ENTRY_INTENT_TO_ADD) != 0) continue;
    // Racily clean, as git with nanosecond times judges it: modified no earlier than the
    // index was written, so a change in the same clock tick would not show in its stat data.
    const struct timespec& written = index_info.st_mtim;
    if (std::pair<int64_t, int64_t>(entry->mtime.seconds, entry->mtime.nanoseconds) >=
        std::pair<int64_t, int64_t>(written.tv_sec, written.tv_nsec)) {
      continue;
    }
    if (*may_filter && MayBeFiltered(repository, entry->path)) continue;
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, &entry->id);
    trusted.emplace(
        std::string(path.substr(prefix.size())),
        IndexedStat{static_cast<uint32_t>(entry->mtime.seconds), entry->mtime.nanoseconds,
                    static_cast<uint32_t>(entry->ctime.seconds), entry->ctime.nanoseconds,
                    entry->dev, entry->ino, entry->mode, entry->uid, entry->gid, entry->file_size,
                    hex});
  }
  return trusted;
}

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
  if (int rc = git_index_add_all(index.get(), &spec.array,
                                 GIT_INDEX_ADD_DISABLE_PATHSPEC_MATCH | GIT_INDEX_ADD_FORCE,
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
