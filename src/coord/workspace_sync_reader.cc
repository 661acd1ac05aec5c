// `sync:` rules: "REPO:PATH" on both sides, checked against the repositories and each other.
#include <fmt/core.h>

#include <algorithm>

#include "base/strings.h"
#include "coord/workspace_reader.h"
#include "sync/sync_paths.h"

namespace lockstep::coord {
namespace {

struct Side {
  std::string repository;
  std::string path;
};

// Reads one side of a rule, "REPO:PATH", checking that REPO is a repository of the workspace
// and PATH a relative path without "." or "..". Reports and returns nullopt otherwise.
std::optional<Side> ReadSide(const yaml::Node& node, std::string_view key, FieldReader& reader,
                             const Workspace& workspace) {
  std::optional<std::string> text = reader.Text(node, key);
  if (!text) return std::nullopt;
  size_t colon = text->find(':');
  if (colon == std::string::npos || colon == 0) {
    reader.Error(
        node.mark,
        fmt::format("expected REPOSITORY:PATH for '{}' (e.g. registry-api:src), found '{}'", key,
                    SanitizedName(*text)));
    return std::nullopt;
  }
  Side side{text->substr(0, colon), text->substr(colon + 1)};
  if (side.path.find('@') != std::string::npos && key == "from") {
    reader.Error(node.mark,
                 fmt::format("'from' takes no @REVISION ('{}'): a rollout syncs the source "
                             "repository's head",
                             SanitizedName(*text)));
    return std::nullopt;
  }
  if (workspace.FindRepository(side.repository) == nullptr) {
    std::string message =
        fmt::format("'{}' names unknown repository '{}'", key, SanitizedName(side.repository));
    std::vector<std::string> names;
    for (const RepositorySpec& repository : workspace.repositories) {
      names.push_back(repository.name);
    }
    if (auto close = ClosestMatch(side.repository, names)) {
      message += fmt::format("; did you mean '{}'?", *close);
    }
    reader.Error(node.mark, std::move(message));
    return std::nullopt;
  }
  Result<std::string> path = sync::NormalizeSubpath(side.path);
  if (!path) {
    reader.Error(
        node.mark,
        fmt::format("the path of '{}' ('{}') {}; give a plain path inside the repository", key,
                    SanitizedName(side.path),
                    side.path.starts_with('/') ? "is absolute" : "has a '.' or '..' part"));
    return std::nullopt;
  }
  side.path = *path;
  return side;
}

// Whether `a` and `b` ('/'-separated, normalised) are the same folder or one holds the other.
bool Overlap(std::string_view a, std::string_view b) {
  if (a.size() > b.size()) std::swap(a, b);
  return a.empty() || b == a || (b.starts_with(a) && b[a.size()] == '/');
}

}  // namespace

void ReadSyncRules(const yaml::Node& node, FieldReader& reader, Workspace& workspace) {
  if (node.IsNull()) return;
  if (!reader.ExpectList(node, "sync")) return;
  std::vector<yaml::Mark> target_marks;  // of each rule's `to`, for overlaps
  for (const yaml::Node& item : node.items) {
    if (!item.IsMap()) {
      reader.Error(item.mark,
                   fmt::format("expected a sync rule {{from: REPO:PATH, to: REPO:PATH}}, "
                               "found {}",
                               DescribeKind(item)));
      continue;
    }
    reader.CheckKeys(item, "in a sync rule", {"from", "to", "commit"});
    const yaml::Node* from_node = item.Find("from");
    const yaml::Node* to_node = item.Find("to");
    if (from_node == nullptr || to_node == nullptr) {
      reader.Error(item.mark, fmt::format("a sync rule needs '{}' (REPOSITORY:PATH)",
                                          from_node == nullptr ? "from" : "to"));
      continue;
    }
    std::optional<Side> from = ReadSide(*from_node, "from", reader, workspace);
    std::optional<Side> to = ReadSide(*to_node, "to", reader, workspace);
    SyncRule rule;
    rule.location = reader.Location(item.mark);
    if (const yaml::Node* commit = item.Find("commit")) {
      rule.commit = reader.Boolean(*commit, "commit").value_or(true);
    }
    if (!from || !to) continue;
    if (to->path.empty()) {
      reader.Error(to_node->mark,
                   fmt::format("a sync into the root of repository '{}' is refused: name the "
                               "folder it writes (REPOSITORY:PATH)",
                               to->repository));
      continue;
    }
    if (to->repository == from->repository) {
      reader.Error(to_node->mark,
                   fmt::format("a sync rule copies one repository into another; '{}' is both "
                               "the source and the target",
                               to->repository));
      continue;
    }
    bool overlaps = false;
    for (size_t i = 0; i < workspace.sync.size() && !overlaps; ++i) {
      const SyncRule& other = workspace.sync[i];
      if (other.to_repository == to->repository && Overlap(other.to_path, to->path)) {
        reader.Error(to_node->mark,
                     fmt::format("'{}:{}' overlaps '{}:{}', which the sync rule at line {} "
                                 "writes; two rules cannot write the same place",
                                 to->repository, to->path, other.to_repository, other.to_path,
                                 target_marks[i].line));
        overlaps = true;
      }
    }
    if (overlaps) continue;
    rule.from_repository = from->repository;
    rule.from_path = from->path;
    rule.to_repository = to->repository;
    rule.to_path = to->path;
    workspace.sync.push_back(std::move(rule));
    target_marks.push_back(to_node->mark);
  }
}

}  // namespace lockstep::coord
