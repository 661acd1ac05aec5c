// The coordination's durable state: rollouts (the plan they carry out, their state, who
// asked and who approved), the steps of each rollout (syncs, runs, integration tests,
// rollbacks) with their timings, what served before a rollout started (what a rollback goes
// back to), and for each environment the commit of every repository at its last good
// rollout (what the next plan is measured from).
//
// Same contract as store.h: each mutating call is one transaction, durable before it returns;
// a failed call changes nothing; several processes may share the store; thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "store/store.h"

namespace lockstep::store {

using RolloutId = int64_t;

enum class RolloutState {
  kQueued,            // waiting for the environment's earlier rollouts to end
  kAwaitingApproval,  // its environment needs approval; `lockstep approve` continues it
  kRunning,
  kRollingBack,  // a step failed (or the server died): the services it deployed go back
  kSucceeded,
  kFailed,    // a step failed; what it deployed was rolled back
  kRejected,  // refused at its approval
};
enum class StepState { kRunning, kSucceeded, kFailed, kSkipped };

std::string_view ToString(RolloutState state);
std::string_view ToString(StepState state);
std::optional<RolloutState> ParseRolloutState(std::string_view text);
std::optional<StepState> ParseStepState(std::string_view text);
bool IsFinal(RolloutState state);  // succeeded, failed, rejected

struct NewRollout {
  std::string environment;
  std::string actor;
  std::string strategy;   // the plan in words
  std::string plan_json;  // coord/'s JSON form (opaque here)
};

struct RolloutRecord {
  RolloutId id = 0;
  std::string environment;
  RolloutState state = RolloutState::kQueued;
  std::string actor;
  std::string strategy;
  std::string plan_json;
  std::string reason;      // why it failed or was rejected; empty otherwise
  std::string decided_by;  // who approved or rejected it; empty before
  Owner owner;             // the server carrying it out, while it runs
  // Service -> the release that served it when the rollout started ("" for none); recorded
  // once, before the first step.
  std::map<std::string, std::string> baseline;
  TimeMs created_at = 0;
  std::optional<TimeMs> started_at;
  std::optional<TimeMs> finished_at;
};

struct RolloutStep {
  RolloutId rollout = 0;
  int64_t number = 0;   // 1, 2, … in the order the steps started
  std::string kind;     // "sync", "run", "integration", "rollback", "approval"
  std::string subject;  // "registry-api:src -> registry-infrastructure:api/src", "repo/workflow"
  StepState state = StepState::kRunning;
  std::string detail;  // for people: a commit, a run id, a failure's cause
  std::string data;    // for programs: JSON (run id, manifest digest, commit, …)
  TimeMs started_at = 0;
  std::optional<TimeMs> finished_at;
};

class CoordStore {
 public:
  virtual ~CoordStore() = default;

  // A new rollout in state queued; returns its id.
  virtual Result<RolloutId> CreateRollout(const NewRollout& rollout) = 0;
  virtual Result<RolloutRecord> GetRollout(RolloutId id) = 0;
  // Newest first, at most `limit`; only `environment`'s when not empty.
  virtual Result<std::vector<RolloutRecord>> ListRollouts(std::string_view environment,
                                                          size_t limit) = 0;
  // Rollouts not in a final state, oldest first.
  virtual Result<std::vector<RolloutRecord>> UnfinishedRollouts() = 0;

  // Whether `id` is the oldest unfinished rollout of its environment (one rollout at a time
  // per environment; later ones wait in the order they were asked for).
  virtual Result<bool> IsNextInEnvironment(RolloutId id) = 0;

  // Moves the rollout to `state` (not a final one) owned by `owner`; sets started_at the first
  // time it runs. kInvalidArgument when it is already final.
  virtual Result<void> SetRolloutState(RolloutId id, RolloutState state, const Owner& owner) = 0;
  // Replaces the plan of a rollout that has not started (planned again when its turn came).
  virtual Result<void> SetPlan(RolloutId id, std::string_view strategy,
                               std::string_view plan_json) = 0;
  // Records the baseline unless one is recorded already (a resumed rollout keeps the first).
  virtual Result<void> SetBaseline(RolloutId id,
                                   const std::map<std::string, std::string>& baseline) = 0;
  // Ends the rollout in a final state. With `good_commits` (repository -> commit), they become
  // the environment's last good commits in the same transaction.
  virtual Result<void> FinishRollout(
      RolloutId id, RolloutState state, std::string_view reason,
      const std::optional<std::map<std::string, std::string>>& good_commits) = 0;
  // Records an approval or rejection of a rollout awaiting one: approved → queued (it
  // continues), rejected → rejected. kInvalidArgument when it is not awaiting approval.
  virtual Result<void> Decide(RolloutId id, bool approve, std::string_view actor,
                              std::string_view reason) = 0;

  // Steps, numbered in the order they start.
  virtual Result<int64_t> StartStep(RolloutId id, std::string_view kind, std::string_view subject,
                                    std::string_view detail) = 0;
  virtual Result<void> FinishStep(RolloutId id, int64_t number, StepState state,
                                  std::string_view detail, std::string_view data) = 0;
  virtual Result<std::vector<RolloutStep>> ListSteps(RolloutId id) = 0;
  // Marks every step still running as failed with `reason` (after a crash).
  virtual Result<void> FailRunningSteps(RolloutId id, std::string_view reason) = 0;

  // Repository -> commit of `environment`'s last good rollout.
  virtual Result<std::map<std::string, std::string>> LastGoodCommits(
      std::string_view environment) = 0;
};

// Opens (creating when missing) the coordination store in the SQLite file at `path`, the same
// file as the other stores.
Result<std::unique_ptr<CoordStore>> OpenSqliteCoordStore(const std::filesystem::path& path);

}  // namespace lockstep::store
