// The server's side of coordination: it holds the workspace (lockstep.yaml), makes plans,
// starts rollouts (asked through the API, or by itself when polling finds a change in an
// environment with `auto: true`), carries each out on a thread of its own, one at a time per
// environment, and at start ends what a dead server left (coord/rollout.h). Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "coord/plan.h"
#include "coord/rollout.h"
#include "store/coord_store.h"

namespace lockstep::server {

struct CoordinatorOptions {
  std::filesystem::path workspace_file;  // empty: no workspace; coordination is refused
  std::filesystem::path state_directory;
  std::filesystem::path executable;  // the lockstep binary, for the runs
  std::string gateway_url;
  std::chrono::milliseconds poll_interval{10'000};  // zero: no polling
  std::vector<std::string> base_environment;
};

// What polling found for an environment that does not start rollouts by itself.
struct PendingPlan {
  std::string environment;
  std::string strategy;
  store::TimeMs detected_at = 0;
};

class Coordinator {
 public:
  Coordinator(CoordinatorOptions options, store::CoordStore& store, coord::RuntimeControl& runtime,
              coord::RolloutObserver* observer);
  ~Coordinator();  // Stop()
  Coordinator(const Coordinator&) = delete;
  Coordinator& operator=(const Coordinator&) = delete;

  // Ends the rollouts a dead server left (rolled back), continues the queued ones, and starts
  // polling. Call once the runtime has restored its services.
  void Start();
  // Stops polling and every rollout between steps (runs in progress are stopped); a rollout
  // that was running stays so, for Start after the next launch. Waits for the threads.
  void Stop();

  bool has_workspace() const { return !options_.workspace_file.empty(); }
  const std::filesystem::path& workspace_file() const { return options_.workspace_file; }

  // The plan for `environment` (empty: the first) from what changed since its last good
  // rollout.
  Result<coord::Plan> MakePlan(const std::string& environment);
  // Plans and, unless nothing changed, records a rollout and starts it when its turn comes.
  // Returns the rollout, or nullopt with the (empty) plan.
  Result<std::optional<store::RolloutId>> StartRollout(const std::string& environment,
                                                       const std::string& actor,
                                                       coord::Plan* plan_out = nullptr);
  // Approves (it continues) or rejects a rollout that waits for approval.
  Result<void> Decide(store::RolloutId id, bool approve, const std::string& actor,
                      const std::string& reason);

  std::vector<PendingPlan> Pending() const;
  store::CoordStore& store() { return store_; }

 private:
  // Starts a thread for every unfinished rollout whose turn has come and that no thread runs.
  void Kick();
  void StartReadyLocked();  // Kick's work; mutex_ held
  void RunRollout(store::RolloutId id);
  void PollLoop();
  void PollOnce();
  coord::RolloutContext Context();

  CoordinatorOptions options_;
  store::CoordStore& store_;
  coord::RuntimeControl& runtime_;
  coord::RolloutObserver* observer_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<bool> stopping_{false};
  // Rollouts a thread carries out now. The threads are detached; each removes its rollout
  // as the last thing it does (under mutex_), and Stop waits until none is left.
  std::set<store::RolloutId> running_;          // guarded by mutex_
  std::condition_variable idle_;                // notified when running_ shrinks
  std::map<std::string, PendingPlan> pending_;  // guarded by mutex_
  std::mutex plan_mutex_;  // one plan at a time: a plan and the rollout it starts go together
  std::thread poller_;
};

}  // namespace lockstep::server
