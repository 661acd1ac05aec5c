#include "git/tree_diff.h"

#include <fmt/core.h>
#include <git2/sys/hashsig.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "git/git_handle.h"

namespace lockstep::git {
namespace {

struct HashsigDeleter {
  void operator()(git_hashsig* p) const { git_hashsig_free(p); }
};
using HashsigPtr = std::unique_ptr<git_hashsig, HashsigDeleter>;

// A file on one side of a change (blob, link or submodule).
struct Side {
  std::string path;
  git_oid id;
  uint32_t mode;
};

bool IsTree(uint32_t mode) { return (mode & 0170000) == 0040000; }
// 0100000 regular (either permission), 0120000 link, 0160000 submodule.
uint32_t TypeOf(uint32_t mode) { return mode & 0170000; }

// git's order of tree entries: names compared bytewise as if trees ended in '/'.
int CompareEntries(std::string_view a, bool a_tree, std::string_view b, bool b_tree) {
  size_t common = std::min(a.size(), b.size());
  if (int c = std::memcmp(a.data(), b.data(), common); c != 0) return c;
  unsigned char ca = a.size() > common ? static_cast<unsigned char>(a[common]) : a_tree ? '/' : 0;
  unsigned char cb = b.size() > common ? static_cast<unsigned char>(b[common]) : b_tree ? '/' : 0;
  return ca < cb ? -1 : ca > cb ? 1 : 0;
}

class Differ {
 public:
  explicit Differ(git_repository* repository) : repository_(repository) {}

  // Compares two trees (either may be null: all added or all deleted) under `prefix`.
  Result<void> Walk(const git_tree* old_tree, const git_tree* new_tree, const std::string& prefix) {
    size_t old_count = old_tree != nullptr ? git_tree_entrycount(old_tree) : 0;
    size_t new_count = new_tree != nullptr ? git_tree_entrycount(new_tree) : 0;
    size_t i = 0, j = 0;
    while (i < old_count || j < new_count) {
      const git_tree_entry* o = i < old_count ? git_tree_entry_byindex(old_tree, i) : nullptr;
      const git_tree_entry* n = j < new_count ? git_tree_entry_byindex(new_tree, j) : nullptr;
      int order =
          o == nullptr ? 1
          : n == nullptr
              ? -1
              : CompareEntries(git_tree_entry_name(o), IsTree(git_tree_entry_filemode_raw(o)),
                               git_tree_entry_name(n), IsTree(git_tree_entry_filemode_raw(n)));
      const git_tree_entry* old_entry = order <= 0 ? o : nullptr;
      const git_tree_entry* new_entry = order >= 0 ? n : nullptr;
      if (old_entry != nullptr) ++i;
      if (new_entry != nullptr) ++j;
      if (Result<void> done = Pair(old_entry, new_entry, prefix); !done) return done;
    }
    return {};
  }

  Result<std::vector<ChangedPath>> Finish(int threshold) {
    if (Result<void> done = PairExactRenames(); !done) return std::unexpected(done.error());
    // Like git's rename limit, counted over what exact renames left unpaired: moving many
    // files and editing one must still find the edited one.
    auto unpaired = [](const std::vector<Side>& sides) {
      return static_cast<size_t>(std::count_if(
          sides.begin(), sides.end(), [](const Side& side) { return !side.path.empty(); }));
    };
    const size_t deleted = unpaired(deleted_);
    const size_t added = unpaired(added_);
    if (threshold <= 100 && deleted > 0 && added > 0 && deleted * added <= kMaxInexactRenamePairs) {
      if (Result<void> done = PairSimilarRenames(threshold); !done) {
        return std::unexpected(done.error());
      }
    }
    for (Side& side : deleted_) {
      if (!side.path.empty()) {
        changes_.push_back({ChangedPath::Kind::kDeleted, std::move(side.path), "", side.mode, 0});
      }
    }
    for (Side& side : added_) {
      if (!side.path.empty()) {
        changes_.push_back({ChangedPath::Kind::kAdded, std::move(side.path), "", 0, side.mode});
      }
    }
    return std::move(changes_);
  }

 private:
  Result<void> Pair(const git_tree_entry* old_entry, const git_tree_entry* new_entry,
                    const std::string& prefix) {
    const git_tree_entry* any = old_entry != nullptr ? old_entry : new_entry;
    std::string path = prefix + git_tree_entry_name(any);
    // Normalised modes (100664 reads as 100644), as git compares them.
    uint32_t old_mode = old_entry != nullptr ? git_tree_entry_filemode(old_entry) : 0;
    uint32_t new_mode = new_entry != nullptr ? git_tree_entry_filemode(new_entry) : 0;
    if (old_entry != nullptr && new_entry != nullptr && old_mode == new_mode &&
        git_oid_equal(git_tree_entry_id(old_entry), git_tree_entry_id(new_entry))) {
      return {};  // identical file, or identical subtree: nothing below it changed
    }
    if (IsTree(old_mode) || IsTree(new_mode)) {
      GitPtr<git_tree> old_tree, new_tree;
      if (IsTree(old_mode)) {
        Result<GitPtr<git_tree>> tree = LookupTree(old_entry, path);
        if (!tree) return std::unexpected(tree.error());
        old_tree = std::move(*tree);
      }
      if (IsTree(new_mode)) {
        Result<GitPtr<git_tree>> tree = LookupTree(new_entry, path);
        if (!tree) return std::unexpected(tree.error());
        new_tree = std::move(*tree);
      }
      return Walk(old_tree.get(), new_tree.get(), path + "/");
    }
    if (old_entry == nullptr) {
      added_.push_back({std::move(path), *git_tree_entry_id(new_entry), new_mode});
    } else if (new_entry == nullptr) {
      deleted_.push_back({std::move(path), *git_tree_entry_id(old_entry), old_mode});
    } else {
      ChangedPath::Kind kind =
          TypeOf(old_mode) != TypeOf(new_mode) ? ChangedPath::Kind::kTypeChanged
          : git_oid_equal(git_tree_entry_id(old_entry), git_tree_entry_id(new_entry))
              ? ChangedPath::Kind::kModeChanged
              : ChangedPath::Kind::kModified;
      changes_.push_back({kind, std::move(path), "", old_mode, new_mode});
    }
    return {};
  }

  Result<GitPtr<git_tree>> LookupTree(const git_tree_entry* entry, const std::string& path) {
    git_tree* raw = nullptr;
    if (int rc = git_tree_lookup(&raw, repository_, git_tree_entry_id(entry)); rc < 0) {
      return std::unexpected(ObjectError(rc, fmt::format("cannot read the tree '{}'", path)));
    }
    return GitPtr<git_tree>(raw);
  }

  static bool Renameable(uint32_t mode) {
    return TypeOf(mode) == 0100000 || TypeOf(mode) == 0120000;
  }

  void Rename(Side& from, Side& to) {
    changes_.push_back({ChangedPath::Kind::kRenamed, std::move(to.path), std::move(from.path),
                        from.mode, to.mode});
    from.path.clear();  // an empty path marks a side as used
    to.path.clear();
  }

  // Same blob, same kind of file: a rename with 100% similarity.
  Result<void> PairExactRenames() {
    std::unordered_map<std::string, std::vector<size_t>> by_id;
    for (size_t k = 0; k < deleted_.size(); ++k) {
      if (!Renameable(deleted_[k].mode)) continue;
      by_id[std::string(reinterpret_cast<const char*>(deleted_[k].id.id), GIT_OID_RAWSZ)].push_back(
          k);
    }
    if (by_id.empty()) return {};
    for (Side& to : added_) {
      if (!Renameable(to.mode)) continue;
      auto it = by_id.find(std::string(reinterpret_cast<const char*>(to.id.id), GIT_OID_RAWSZ));
      if (it == by_id.end()) continue;
      // Among sources with the same content, git prefers one with the same file name.
      auto base_name = [](std::string_view path) { return path.substr(path.rfind('/') + 1); };
      Side* chosen = nullptr;
      for (size_t k : it->second) {
        Side& from = deleted_[k];
        if (from.path.empty() || TypeOf(from.mode) != TypeOf(to.mode)) continue;
        if (chosen == nullptr) chosen = &from;
        if (base_name(from.path) == base_name(to.path)) {
          chosen = &from;
          break;
        }
      }
      if (chosen != nullptr) Rename(*chosen, to);
    }
    return {};
  }

  // The similarity signature of a blob (null for one too uniform to have one, such as an
  // empty file), and its size in `size`.
  Result<HashsigPtr> Signature(const Side& side, size_t& size) {
    git_blob* raw = nullptr;
    if (int rc = git_blob_lookup(&raw, repository_, &side.id); rc < 0) {
      return std::unexpected(ObjectError(rc, fmt::format("cannot read '{}'", side.path)));
    }
    GitPtr<git_blob> blob(raw);
    size = static_cast<size_t>(git_blob_rawsize(blob.get()));
    git_hashsig* sig = nullptr;
    int rc =
        git_hashsig_create(&sig, static_cast<const char*>(git_blob_rawcontent(blob.get())), size,
                           static_cast<git_hashsig_option_t>(GIT_HASHSIG_SMART_WHITESPACE |
                                                             GIT_HASHSIG_ALLOW_SMALL_FILES));
    if (rc < 0) return HashsigPtr();
    return HashsigPtr(sig);
  }

  // Pairs the remaining deleted and added files of the same kind by similarity, best
  // scores first, as git does; pairs under `threshold` percent stay deleted and added.
  Result<void> PairSimilarRenames(int threshold) {
    std::vector<HashsigPtr> from_sigs(deleted_.size()), to_sigs(added_.size());
    std::vector<size_t> from_sizes(deleted_.size()), to_sizes(added_.size());
    for (size_t k = 0; k < deleted_.size(); ++k) {
      if (deleted_[k].path.empty() || TypeOf(deleted_[k].mode) != 0100000) continue;
      Result<HashsigPtr> sig = Signature(deleted_[k], from_sizes[k]);
      if (!sig) return std::unexpected(sig.error());
      from_sigs[k] = std::move(*sig);
    }
    for (size_t k = 0; k < added_.size(); ++k) {
      if (added_[k].path.empty() || TypeOf(added_[k].mode) != 0100000) continue;
      Result<HashsigPtr> sig = Signature(added_[k], to_sizes[k]);
      if (!sig) return std::unexpected(sig.error());
      to_sigs[k] = std::move(*sig);
    }
    struct Candidate {
      int score;
      size_t from, to;
    };
    std::vector<Candidate> candidates;
    for (size_t t = 0; t < added_.size(); ++t) {
      if (!to_sigs[t]) continue;
      for (size_t f = 0; f < deleted_.size(); ++f) {
        if (!from_sigs[f]) continue;
        // As git: when the sizes alone differ by more than the threshold allows, the pair
        // cannot score enough, and comparing signatures is the expensive part.
        size_t larger = std::max(from_sizes[f], to_sizes[t]);
        size_t difference = larger - std::min(from_sizes[f], to_sizes[t]);
        if (difference * 100 > larger * static_cast<size_t>(100 - threshold)) continue;
        int score = git_hashsig_compare(from_sigs[f].get(), to_sigs[t].get());
        if (score >= threshold) candidates.push_back({score, f, t});
      }
    }
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
    for (const Candidate& c : candidates) {
      if (!deleted_[c.from].path.empty() && !added_[c.to].path.empty()) {
        Rename(deleted_[c.from], added_[c.to]);
      }
    }
    return {};
  }

  git_repository* repository_;
  std::vector<Side> deleted_;
  std::vector<Side> added_;
  std::vector<ChangedPath> changes_;
};

}  // namespace

Error ObjectError(int code, std::string_view context) {
  const git_error* last = git_error_last();
  if (code != GIT_ENOTFOUND && last != nullptr &&
      (last->klass == GIT_ERROR_ZLIB || last->klass == GIT_ERROR_ODB ||
       last->klass == GIT_ERROR_OBJECT)) {
    return Error(ErrorCode::kCorruption, GitError(code, context).message());
  }
  return GitError(code, context);
}

Result<std::vector<ChangedPath>> DiffTrees(git_repository* repository, const git_tree* old_tree,
                                           const git_tree* new_tree, int rename_threshold) {
  Differ differ(repository);
  if (Result<void> done = differ.Walk(old_tree, new_tree, ""); !done) {
    return std::unexpected(done.error());
  }
  return differ.Finish(rename_threshold);
}

}  // namespace lockstep::git
