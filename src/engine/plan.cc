#include "engine/plan.h"

#include <fmt/core.h>

#include <algorithm>

namespace lockstep::engine {

using store::ActionState;

namespace {

// "failed", "was cancelled", …: how an ended action reads after "which" or its name.
std::string_view Happened(ActionState state) {
  switch (state) {
    case ActionState::kFailed:
      return "failed";
    case ActionState::kCancelled:
      return "was cancelled";
    case ActionState::kInterrupted:
      return "was interrupted";
    case ActionState::kSkipped:
      return "was skipped";
    default:
      return store::ToString(state);
  }
}

}  // namespace

Plan::Plan(std::vector<PlanNode> nodes, bool keep_going)
    : nodes_(std::move(nodes)), entries_(nodes_.size()), keep_going_(keep_going) {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    entries_[i].waiting_on = nodes_[i].dependencies.size();
    for (size_t dependency : nodes_[i].dependencies) entries_[dependency].dependants.push_back(i);
  }
  // Priority is the longest chain of dependants below a node. Nodes come in file order, not
  // topological order, so settle it by a depth-first walk with memoisation.
  std::vector<int> visited(nodes_.size(), 0);
  auto depth = [&](auto&& self, size_t node) -> size_t {
    if (visited[node]) return entries_[node].priority;
    visited[node] = 1;
    size_t best = 0;
    for (size_t dependant : entries_[node].dependants)
      best = std::max(best, self(self, dependant) + 1);
    entries_[node].priority = best;
    return best;
  };
  for (size_t i = 0; i < nodes_.size(); ++i) depth(depth, i);
  for (size_t i = 0; i < nodes_.size(); ++i) MakeReadyIfUnblocked(i);
}

void Plan::MarkSucceeded(size_t node) {
  Entry& entry = entries_[node];
  if (entry.state == ActionState::kReady) std::erase(ready_, node);
  entry.state = ActionState::kSucceeded;
  ++finished_;
  for (size_t dependant : entry.dependants) {
    --entries_[dependant].waiting_on;
    MakeReadyIfUnblocked(dependant);
  }
}

void Plan::MakeReadyIfUnblocked(size_t node) {
  Entry& entry = entries_[node];
  if (entry.state == ActionState::kPending && entry.waiting_on == 0) {
    entry.state = ActionState::kReady;
    ready_.push_back(node);
  }
}

std::optional<size_t> Plan::StartNext() {
  if (ready_.empty() || (failed_ && !keep_going_)) return std::nullopt;
  auto best = std::min_element(ready_.begin(), ready_.end(), [&](size_t a, size_t b) {
    if (entries_[a].priority != entries_[b].priority)
      return entries_[a].priority > entries_[b].priority;
    return a < b;
  });
  size_t node = *best;
  ready_.erase(best);
  entries_[node].state = ActionState::kRunning;
  ++running_;
  return node;
}

std::vector<size_t> Plan::Finish(size_t node, ActionState outcome, std::string reason) {
  std::vector<size_t> changed;
  --running_;
  SetFinal(node, outcome, std::move(reason), changed);
  // A skipped action (one that cannot run here, --skip-cloud) does not hold the rest back.
  if (outcome == ActionState::kSucceeded || outcome == ActionState::kSkipped) {
    for (size_t dependant : entries_[node].dependants) {
      --entries_[dependant].waiting_on;
      MakeReadyIfUnblocked(dependant);
    }
    return changed;
  }
  failed_ = true;
  SkipDependants(node, changed);
  if (!keep_going_) {
    std::vector<size_t> stopped = StopPending(
        ActionState::kSkipped,
        fmt::format("not started: the run stopped after {} {} (--keep-going runs what does "
                    "not depend on it)",
                    nodes_[node].name, Happened(outcome)));
    changed.insert(changed.end(), stopped.begin(), stopped.end());
  }
  return changed;
}

void Plan::SkipDependants(size_t node, std::vector<size_t>& changed) {
  for (size_t dependant : entries_[node].dependants) {
    Entry& entry = entries_[dependant];
    if (store::IsFinal(entry.state) || entry.state == ActionState::kRunning) continue;
    if (entry.state == ActionState::kReady) std::erase(ready_, dependant);
    SetFinal(dependant, ActionState::kSkipped,
             fmt::format("skipped: depends on {}, which {}", nodes_[node].name,
                         Happened(entries_[node].state)),
             changed);
    SkipDependants(dependant, changed);
  }
}

std::vector<size_t> Plan::StopPending(ActionState state, const std::string& reason) {
  std::vector<size_t> changed;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    ActionState current = entries_[i].state;
    if (current == ActionState::kPending || current == ActionState::kReady) {
      SetFinal(i, state, reason, changed);
    }
  }
  ready_.clear();
  return changed;
}

void Plan::SetFinal(size_t node, ActionState state, std::string reason,
                    std::vector<size_t>& changed) {
  entries_[node].state = state;
  entries_[node].reason = std::move(reason);
  ++finished_;
  changed.push_back(node);
}

}  // namespace lockstep::engine
