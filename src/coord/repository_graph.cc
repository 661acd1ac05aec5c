#include "coord/repository_graph.h"

#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <string_view>

#include "base/strings.h"
#include "coord/workspace_reader.h"

namespace lockstep::coord {
namespace {

std::map<std::string_view, size_t> IndexByName(const Workspace& workspace) {
  std::map<std::string_view, size_t> index;
  for (size_t i = 0; i < workspace.repositories.size(); ++i) {
    index.emplace(workspace.repositories[i].name, i);
  }
  return index;
}

// An edge of the order, p -> s, with where the file says so.
struct Edge {
  size_t to = 0;
  SourceLocation location;
};

}  // namespace

std::vector<std::vector<size_t>> Predecessors(const Workspace& workspace) {
  std::map<std::string_view, size_t> index = IndexByName(workspace);
  std::vector<std::vector<size_t>> predecessors(workspace.repositories.size());
  auto add = [&](std::string_view from, std::string_view to) {
    auto p = index.find(from);
    auto s = index.find(to);
    if (p == index.end() || s == index.end() || p->second == s->second) return;
    predecessors[s->second].push_back(p->second);
  };
  for (const RepositorySpec& repository : workspace.repositories) {
    for (const std::string& before : repository.after) add(before, repository.name);
  }
  for (const SyncRule& rule : workspace.sync) add(rule.from_repository, rule.to_repository);
  for (std::vector<size_t>& list : predecessors) {
    std::ranges::sort(list);
    list.erase(std::unique(list.begin(), list.end()), list.end());
  }
  return predecessors;
}

std::vector<std::vector<size_t>> Layers(const std::vector<size_t>& nodes,
                                        const std::vector<std::vector<size_t>>& predecessors) {
  constexpr int kUnplaced = -1;
  std::vector<int> layer(predecessors.size(), kUnplaced);
  std::vector<bool> wanted(predecessors.size(), false);
  for (size_t node : nodes) wanted[node] = true;
  // Repeated sweeps: a node is placed once all its wanted predecessors are. Workspaces hold
  // hundreds of repositories at most, and each sweep places at least one layer.
  size_t placed = 0;
  bool progress = true;
  while (placed < nodes.size() && progress) {
    progress = false;
    for (size_t node : nodes) {
      if (layer[node] != kUnplaced) continue;
      int level = 0;
      bool ready = true;
      for (size_t p : predecessors[node]) {
        if (!wanted[p]) continue;
        if (layer[p] == kUnplaced) {
          ready = false;
          break;
        }
        level = std::max(level, layer[p] + 1);
      }
      if (!ready) continue;
      layer[node] = level;
      ++placed;
      progress = true;
    }
  }
  std::vector<std::vector<size_t>> layers;
  for (size_t node : nodes) {
    int level = layer[node];
    if (level == kUnplaced) level = static_cast<int>(layers.size());  // on a cycle
    if (static_cast<size_t>(level) >= layers.size()) layers.resize(static_cast<size_t>(level) + 1);
    layers[static_cast<size_t>(level)].push_back(node);
  }
  std::erase_if(layers, [](const std::vector<size_t>& list) { return list.empty(); });
  return layers;
}

void CheckRepositoryOrder(FieldReader& reader, const Workspace& workspace) {
  std::map<std::string_view, size_t> index = IndexByName(workspace);
  std::vector<std::string> names;
  for (const RepositorySpec& repository : workspace.repositories) names.push_back(repository.name);

  // Successor edges in file order: every repository's `after` entries, then the sync rules.
  std::vector<std::vector<Edge>> successors(workspace.repositories.size());
  for (size_t i = 0; i < workspace.repositories.size(); ++i) {
    const RepositorySpec& repository = workspace.repositories[i];
    for (size_t j = 0; j < repository.after.size(); ++j) {
      const std::string& before = repository.after[j];
      const SourceLocation& at = repository.after_locations[j];
      auto found = index.find(before);
      if (found == index.end()) {
        std::string message = fmt::format("repository '{}' is after unknown repository '{}'",
                                          repository.name, SanitizedName(before));
        if (auto close = ClosestMatch(before, names)) {
          message += fmt::format("; did you mean '{}'?", *close);
        }
        reader.Error({at.line, at.column}, std::move(message));
      } else if (found->second == i) {
        reader.Error({at.line, at.column},
                     fmt::format("repository '{}' is after itself", repository.name));
      } else {
        successors[found->second].push_back({i, at});
      }
    }
  }
  for (const SyncRule& rule : workspace.sync) {
    auto from = index.find(rule.from_repository);
    auto to = index.find(rule.to_repository);
    if (from != index.end() && to != index.end()) {
      successors[from->second].push_back({to->second, rule.location});
    }
  }

  // Depth-first search in file order. Each back edge closes one cycle, reported at that edge
  // (an `after` entry or a sync rule: a line to change) with the whole path.
  enum class State { kNew, kOnStack, kDone };
  std::vector<State> state(successors.size(), State::kNew);
  std::vector<size_t> stack;
  auto visit = [&](auto& self, size_t node) -> void {
    state[node] = State::kOnStack;
    stack.push_back(node);
    for (const Edge& edge : successors[node]) {
      if (state[edge.to] == State::kOnStack) {
        auto start = std::ranges::find(stack, edge.to);
        std::vector<std::string> path;
        for (auto it = start; it != stack.end(); ++it) path.push_back(names[*it]);
        path.push_back(names[edge.to]);
        reader.Error({edge.location.line, edge.location.column},
                     fmt::format("the repositories' order has a cycle: {} (each comes before "
                                 "the next, by 'after' or a sync rule)",
                                 Join(path, " -> ")));
      } else if (state[edge.to] == State::kNew) {
        self(self, edge.to);
      }
    }
    stack.pop_back();
    state[node] = State::kDone;
  };
  for (size_t i = 0; i < successors.size(); ++i) {
    if (state[i] == State::kNew) visit(visit, i);
  }
}

std::vector<std::vector<std::string>> RepositoryStages(const Workspace& workspace) {
  std::vector<size_t> all(workspace.repositories.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  std::vector<std::vector<std::string>> stages;
  for (const std::vector<size_t>& layer : Layers(all, Predecessors(workspace))) {
    std::vector<std::string>& stage = stages.emplace_back();
    for (size_t i : layer) stage.push_back(workspace.repositories[i].name);
  }
  return stages;
}

}  // namespace lockstep::coord
