// Rollouts: a plan carried out across the repositories of a workspace, durably.
//
//   queued ──▶ (awaiting_approval ──approve──▶ queued) ──▶ running ──▶ succeeded
//                      │ reject                              │ a step fails, or the server
//                      ▼                                     ▼ died while it ran
//                   rejected                        rolling_back ──▶ failed
//
// Stage by stage (the repositories of a stage in parallel), each repository gets the syncs
// into it (copied, verified, committed with the manifest), then the workflows the plan fires
// in it, each run as its own `lockstep run` process at the repository's commit. Integration
// tests come last. The first failure stops everything downstream; then every service this
// rollout deployed — also those whose steps succeeded — goes back, in the reverse order of
// deployment, to the release it served before the rollout (its baseline). Success makes the
// commits it ran the environment's last good ones.
//
// Every state change and step is in the CoordStore before it is acted on. A rollout paused
// for approval continues where it stopped (its succeeded steps are not repeated); a rollout
// left running by a server that died is rolled back by RecoverRollout, never left half.
// Blocking; one thread per rollout; the functions are thread-safe given thread-safe stores.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "coord/plan.h"
#include "store/coord_store.h"

namespace lockstep::coord {

struct ServiceDeployment {
  std::string service;
  std::string release;
  std::string actor;    // "rollout 12, workflow deploy run 40" for a rollout's runs
  std::string handler;  // the handler that took the route; "" for a static site
  // Why the handlers before it in the release's chain did not serve ("integrated: not
  // healthy within 10s: /health answered 503"); "" when the first one serves.
  std::string fallback;
};

// What a rollout needs from the runtime; the server implements it with its supervisor.
class RuntimeControl {
 public:
  virtual ~RuntimeControl() = default;
  // Service -> the release serving it now ("" for none).
  virtual Result<std::map<std::string, std::string>> ServingReleases() = 0;
  // Deployments that succeeded since `since` (ms since the epoch), oldest first.
  virtual Result<std::vector<ServiceDeployment>> DeploymentsSince(store::TimeMs since) = 0;
  // Brings `release` back for `service`; fails with the cause when it does not serve.
  virtual Result<void> Rollback(const std::string& service, const std::string& release,
                                const std::string& actor) = 0;
};

// Told about every coordination action (for the audit chain): "rollout.started", "sync",
// "run.started", "run.finished", "rollback", "integration", "rollout.finished", ….
class RolloutObserver {
 public:
  virtual ~RolloutObserver() = default;
  virtual void OnAction(store::RolloutId rollout, std::string_view actor, std::string_view action,
                        std::string_view subject, const nlohmann::json& details) = 0;
};

struct RolloutContext {
  std::filesystem::path workspace_file;   // lockstep.yaml
  std::filesystem::path state_directory;  // LOCKSTEP_HOME of the runs
  std::filesystem::path executable;       // the lockstep binary that runs workflows
  std::string gateway_url;                // where integration checks go
  store::CoordStore* store = nullptr;
  RuntimeControl* runtime = nullptr;
  RolloutObserver* observer = nullptr;                           // optional
  std::chrono::milliseconds run_timeout{std::chrono::hours(1)};  // per workflow run
  // Environment entries every run starts with (PATH, HOME, …); nothing else is inherited.
  std::vector<std::string> base_environment;
  // True once the server is stopping: no new step starts, runs in progress are stopped, and
  // the rollout stays running for RecoverRollout at the next start.
  std::function<bool()> stopping = [] { return false; };
};

// Records a rollout of `plan` (queued); the caller then executes it.
Result<store::RolloutId> CreateRollout(store::CoordStore& store, const Plan& plan,
                                       std::string_view actor);

// Carries rollout `id` on from where it is until it ends or pauses for approval; returns its
// state then. Does nothing to a rollout that is final or waits for approval or for an earlier
// rollout of its environment (returns its state).
Result<store::RolloutState> ExecuteRollout(const RolloutContext& context, store::RolloutId id);

// For a rollout found running or rolling back whose server died: stops the runs it left,
// rolls back what it deployed and marks it failed.
Result<void> RecoverRollout(const RolloutContext& context, store::RolloutId id);

// The environment entry the processes of rollout `id` carry ("LOCKSTEP_ROLLOUT_TAG=STATE:ID"),
// so that the runs a dead server left can be found and stopped.
std::string RolloutProcessTag(const std::filesystem::path& state_directory, store::RolloutId id);

}  // namespace lockstep::coord
