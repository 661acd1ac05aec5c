// The run's DAG as pure bookkeeping, in the shape of ninja's Plan: which actions are waiting,
// ready, running and done, and what a failure means for the rest. It starts nothing itself;
// the executor asks it what to start and tells it what finished. Not thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"

namespace lockstep::engine {

struct PlanNode {
  std::string name;
  std::vector<size_t> dependencies;  // indices of nodes that must succeed first
};

class Plan {
 public:
  // `nodes` must be acyclic (the validator guarantees it). With `keep_going`, a failure skips
  // only what depends on it; without, nothing new starts after the first failure.
  Plan(std::vector<PlanNode> nodes, bool keep_going);

  // Marks a node as already succeeded before anything starts (a resumed run).
  void MarkSucceeded(size_t node);

  // The ready node that should start next, now marked running; nullopt when none is ready.
  // Among ready nodes the one with the longest chain of dependants goes first (the critical
  // path), then file order.
  std::optional<size_t> StartNext();

  // Records how a running node ended. Succeeded and skipped unblock its dependants; failed,
  // cancelled and interrupted make them skipped with a reason naming the dependency. Returns
  // every node whose state changed, `node` included.
  std::vector<size_t> Finish(size_t node, store::ActionState outcome, std::string reason = {});

  // Marks every node not started yet as `state` with `reason` (cancellation, a stopped run).
  std::vector<size_t> StopPending(store::ActionState state, const std::string& reason);

  bool Done() const { return finished_ == nodes_.size(); }
  bool AnyFailed() const { return failed_; }
  size_t running() const { return running_; }
  size_t size() const { return nodes_.size(); }
  size_t finished() const { return finished_; }

  const std::string& name(size_t node) const { return nodes_[node].name; }
  store::ActionState state(size_t node) const { return entries_[node].state; }
  const std::string& reason(size_t node) const { return entries_[node].reason; }

 private:
  struct Entry {
    store::ActionState state = store::ActionState::kPending;
    std::string reason;
    size_t waiting_on = 0;  // dependencies not yet succeeded
    size_t priority = 0;    // length of the longest chain of dependants
    std::vector<size_t> dependants;
  };

  void MakeReadyIfUnblocked(size_t node);
  void SetFinal(size_t node, store::ActionState state, std::string reason,
                std::vector<size_t>& changed);
  void SkipDependants(size_t node, std::vector<size_t>& changed);

  std::vector<PlanNode> nodes_;
  std::vector<Entry> entries_;
  std::vector<size_t> ready_;  // unordered; StartNext picks the best
  bool keep_going_;
  bool failed_ = false;
  size_t running_ = 0;
  size_t finished_ = 0;
};

}  // namespace lockstep::engine
