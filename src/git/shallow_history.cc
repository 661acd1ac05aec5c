#include "git/shallow_history.h"

#include <fmt/core.h>

#include <algorithm>
#include <fstream>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "git/git_handle.h"

namespace lockstep::git {
namespace {

struct CommitInfo {
  int64_t time = 0;
  std::vector<std::string> parents;  // empty for a root or a shallow boundary commit
};

// The commits of a shallow repository, loaded on demand.
class History {
 public:
  explicit History(git_repository* repository) : repository_(repository) {
    // One full id per line; a missing file means nothing is cut off.
    std::ifstream file(std::string(git_repository_commondir(repository)) + "shallow");
    for (std::string line; std::getline(file, line);) {
      if (!line.empty()) boundary_.insert(line);
    }
  }

  // Every commit reachable from `start`, itself included, stopping at boundary commits.
  Result<std::unordered_set<std::string>> Ancestors(const std::string& start) {
    std::unordered_set<std::string> seen;
    std::vector<std::string> stack = {start};
    while (!stack.empty()) {
      std::string id = std::move(stack.back());
      stack.pop_back();
      if (!seen.insert(id).second) continue;
      Result<const CommitInfo*> info = Get(id);
      if (!info) return std::unexpected(info.error());
      for (const std::string& parent : (*info)->parents) stack.push_back(parent);
    }
    return seen;
  }

  Result<const CommitInfo*> Get(const std::string& id) {
    if (auto it = commits_.find(id); it != commits_.end()) return &it->second;
    git_oid oid;
    git_oid_fromstr(&oid, id.c_str());
    git_commit* raw = nullptr;
    if (int rc = git_commit_lookup(&raw, repository_, &oid); rc < 0) {
      if (rc == GIT_ENOTFOUND) {
        return Fail(ErrorCode::kNotFound,
                    fmt::format("commit {} is not in this shallow clone; fetch more history "
                                "(git fetch --deepen=N)",
                                id));
      }
      return std::unexpected(GitError(rc, fmt::format("cannot read commit {}", id)));
    }
    GitPtr<git_commit> commit(raw);
    CommitInfo info;
    info.time = git_commit_time(commit.get());
    if (!boundary_.contains(id)) {
      unsigned count = git_commit_parentcount(commit.get());
      for (unsigned i = 0; i < count; ++i) {
        char hex[GIT_OID_HEXSZ + 1];
        git_oid_tostr(hex, sizeof hex, git_commit_parent_id(commit.get(), i));
        info.parents.emplace_back(hex);
      }
    }
    return &commits_.emplace(id, std::move(info)).first->second;
  }

  // The commit time of a commit already loaded.
  int64_t Time(const std::string& id) const { return commits_.at(id).time; }

 private:
  git_repository* repository_;
  std::unordered_set<std::string> boundary_;
  std::unordered_map<std::string, CommitInfo> commits_;
};

std::string Hex(const git_oid& oid) {
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, &oid);
  return hex;
}

}  // namespace

Result<std::vector<std::string>> ShallowCommitsInRange(git_repository* repository,
                                                       const git_oid* from, const git_oid& to) {
  History history(repository);
  Result<std::unordered_set<std::string>> selected = history.Ancestors(Hex(to));
  if (!selected) return std::unexpected(selected.error());
  if (from != nullptr) {
    Result<std::unordered_set<std::string>> hidden = history.Ancestors(Hex(*from));
    if (!hidden) return std::unexpected(hidden.error());
    std::erase_if(*selected, [&](const std::string& id) { return hidden->contains(id); });
  }
  // Kahn's algorithm: a commit is ready once all its selected children are out; among the
  // ready ones the newest goes first (ties by id, for a stable order).
  std::unordered_map<std::string, int> children;
  for (const std::string& id : *selected) {
    for (const std::string& parent : history.Get(id).value()->parents) {
      if (selected->contains(parent)) ++children[parent];
    }
  }
  auto older = [&](const std::string& a, const std::string& b) {
    int64_t ta = history.Time(a), tb = history.Time(b);
    return ta != tb ? ta < tb : a > b;
  };
  std::priority_queue<std::string, std::vector<std::string>, decltype(older)> ready(older);
  for (const std::string& id : *selected) {
    if (!children.contains(id)) ready.push(id);
  }
  std::vector<std::string> order;
  order.reserve(selected->size());
  while (!ready.empty()) {
    std::string id = ready.top();
    ready.pop();
    for (const std::string& parent : history.Get(id).value()->parents) {
      if (selected->contains(parent) && --children[parent] == 0) ready.push(parent);
    }
    order.push_back(std::move(id));
  }
  return order;
}

Result<std::optional<std::string>> ShallowMergeBase(git_repository* repository, const git_oid& a,
                                                    const git_oid& b) {
  History history(repository);
  Result<std::unordered_set<std::string>> common = history.Ancestors(Hex(a));
  if (!common) return std::unexpected(common.error());
  Result<std::unordered_set<std::string>> of_b = history.Ancestors(Hex(b));
  if (!of_b) return std::unexpected(of_b.error());
  std::erase_if(*common, [&](const std::string& id) { return !of_b->contains(id); });
  // The best common ancestors are those that are not an ancestor of another common one.
  std::unordered_set<std::string> dominated;
  for (const std::string& id : *common) {
    for (const std::string& parent : history.Get(id).value()->parents) {
      if (dominated.contains(parent)) continue;
      Result<std::unordered_set<std::string>> below = history.Ancestors(parent);
      if (!below) return std::unexpected(below.error());
      dominated.insert(below->begin(), below->end());
    }
  }
  std::optional<std::string> best;
  for (const std::string& id : *common) {
    if (dominated.contains(id)) continue;
    if (!best || history.Time(id) > history.Time(*best) ||
        (history.Time(id) == history.Time(*best) && id < *best)) {
      best = id;
    }
  }
  return best;
}

}  // namespace lockstep::git
