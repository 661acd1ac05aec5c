// The runtime's durable state: services and what serves them, releases, deployments with the
// outcome of every candidate, the handler processes the server started, and each service's
// event history. The supervisor records every transition here before acting on it, so that
// a server killed at any point can be restarted into a known state: the service on the
// release recorded as active, and every recorded handler process group found and stopped.
//
// Same contract as store.h: each mutating call is one transaction, durable before it returns;
// a failed call changes nothing; several processes may share the store; thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "store/store.h"

namespace lockstep::store {

using DeploymentId = int64_t;

enum class DeploymentKind {
  kDeploy,    // a new release asked for by a user or a workflow
  kRollback,  // an earlier release asked for
  kFailover,  // the active handler crash-looped: the next candidate, or the previous release
  kRestore,   // the server started again and brings the recorded release back
};
enum class DeploymentState { kQueued, kRunning, kSucceeded, kFailed, kInterrupted };

std::string_view ToString(DeploymentKind kind);
std::string_view ToString(DeploymentState state);
std::optional<DeploymentKind> ParseDeploymentKind(std::string_view text);
std::optional<DeploymentState> ParseDeploymentState(std::string_view text);

// What serves a service now. Empty release: nothing deployed yet (or nothing left to serve).
struct ServingState {
  std::string release = {};
  std::string handler = {};  // the chain candidate serving; empty for a static service
  // The release (and its handler) that served before the active one: what a failover
  // restores when the active release's chain is exhausted, and the default rollback target.
  std::string previous_release = {};
  std::string previous_handler = {};
  std::string status = {};  // "serving", "degraded" (no healthy handler), "failed", "stopped"
  std::string reason = {};  // why the status is not "serving"; empty otherwise

  bool operator==(const ServingState&) const = default;
};

struct ServiceRecord {
  std::string name;
  std::string spec_json;  // the service's definition, in runtime/'s JSON form (opaque here)
  ServingState serving;
  TimeMs created_at = 0;
  TimeMs updated_at = 0;
};

struct ReleaseRecord {
  std::string service;
  std::string id;         // content hash, 20 hex digits
  std::string path;       // absolute path of the stored release
  std::string spec_json;  // the handler chain, in runtime/'s JSON form; "" for none
  int64_t files = 0;
  int64_t bytes = 0;
  // When it was first imported; 0 in PutRelease: the time of the call.
  TimeMs created_at = 0;
};

// One candidate of a deployment's chain and what became of it.
struct CandidateOutcome {
  std::string handler;
  std::string outcome;  // "healthy", "exited with code 1", "not healthy within 30s", …; "" untried

  bool operator==(const CandidateOutcome&) const = default;
};

struct NewDeployment {
  std::string service = {};
  std::string release = {};
  DeploymentKind kind = DeploymentKind::kDeploy;
  std::string actor = {};   // who asked: a user name, "workflow RUN", "lockstep" for automatic ones
  std::string reason = {};  // why, for failovers and restores ("integrated crash-looped: …")
  std::vector<std::string> candidates = {};  // handler names in chain order; empty for static
};

struct DeploymentRecord {
  DeploymentId id = 0;
  std::string service;
  std::string release;
  DeploymentKind kind = DeploymentKind::kDeploy;
  DeploymentState state = DeploymentState::kQueued;
  std::string actor;
  std::string reason;        // the request's reason, then the failure's when it failed
  std::string from_release;  // what served when it started; "" for none
  std::string handler;       // the candidate that took the route, when it succeeded
  std::vector<CandidateOutcome> candidates;
  TimeMs created_at = 0;
  std::optional<TimeMs> started_at;
  std::optional<TimeMs> finished_at;
};

// A process group the server started for a handler; recorded before the process may take a
// port, removed after it is gone.
struct HandlerProcessRecord {
  int process_group = 0;    // also the pid of the group leader
  uint64_t start_time = 0;  // exec::StartTimeOf(process_group), to tell it from a reused pid
  std::string service = {};
  std::string release = {};
  std::string handler = {};
  int port = 0;
  std::string role = {};  // "candidate" (under a health gate), "active", "warm" (kept for rollback)
  Owner owner = {};       // the server that started it
  // 0 in PutHandlerProcess: the time of the call.
  TimeMs started_at = 0;
};

struct ServiceEvent {
  int64_t id = 0;
  std::string service;
  TimeMs time = 0;
  std::string kind;     // "deploy-started", "candidate-failed", "cutover", "restart", …
  std::string message;  // for people: what happened and why
  std::optional<DeploymentId> deployment;
};

class RuntimeStore {
 public:
  virtual ~RuntimeStore() = default;

  // Creates the service, or replaces its definition (its serving state is kept; a new one
  // starts with an empty ServingState). kInvalidArgument for an empty name.
  virtual Result<void> PutService(std::string_view name, std::string_view spec_json) = 0;
  // kNotFound when there is no such service.
  virtual Result<ServiceRecord> GetService(std::string_view name) = 0;
  // Every service, by name.
  virtual Result<std::vector<ServiceRecord>> ListServices() = 0;
  // Records what serves `name` now. kNotFound when there is no such service.
  virtual Result<void> SetServing(std::string_view name, const ServingState& serving) = 0;

  // Records a release; recording one that exists (same service and id) keeps the first record
  // and succeeds. kNotFound for an unknown service; kInvalidArgument for an empty id.
  virtual Result<void> PutRelease(const ReleaseRecord& release) = 0;
  // kNotFound when there is none.
  virtual Result<ReleaseRecord> GetRelease(std::string_view service, std::string_view id) = 0;
  // The releases of `service`, newest first (by created_at); none for an unknown service.
  virtual Result<std::vector<ReleaseRecord>> ListReleases(std::string_view service) = 0;

  // Creates a deployment in state queued, every candidate untried. kNotFound for an unknown
  // service or release.
  virtual Result<DeploymentId> CreateDeployment(const NewDeployment& deployment) = 0;
  // queued → running, recording what serves now as `from_release`. kInvalidArgument when it
  // is not queued; kNotFound when there is no such deployment.
  virtual Result<void> StartDeployment(DeploymentId id, std::string_view from_release) = 0;
  // Records candidate `index`'s outcome. kInvalidArgument for an index out of range or a
  // deployment that already ended.
  virtual Result<void> RecordCandidate(DeploymentId id, size_t index, std::string_view outcome) = 0;
  // Ends the deployment (succeeded, failed or interrupted) and, in the same transaction, sets
  // the service's serving state when `serving` is given: a cutover is recorded at once or not
  // at all. A non-empty `reason` replaces the request's. kInvalidArgument when `state` is not
  // final or the deployment already ended.
  virtual Result<void> FinishDeployment(DeploymentId id, DeploymentState state,
                                        std::string_view handler, std::string_view reason,
                                        const std::optional<ServingState>& serving) = 0;
  // kNotFound when there is none.
  virtual Result<DeploymentRecord> GetDeployment(DeploymentId id) = 0;
  // The deployments of `service` (all services when empty), newest first, at most `limit`.
  virtual Result<std::vector<DeploymentRecord>> ListDeployments(std::string_view service,
                                                                size_t limit) = 0;
  // Marks every queued or running deployment interrupted with `reason`; returns their ids.
  // For a server starting after a crash.
  virtual Result<std::vector<DeploymentId>> InterruptUnfinishedDeployments(
      std::string_view reason) = 0;

  // Records a started handler process (replacing a record with the same process group).
  // kInvalidArgument for a process group that is not positive.
  virtual Result<void> PutHandlerProcess(const HandlerProcessRecord& process) = 0;
  // Changes a recorded process's role; kNotFound when it is not recorded.
  virtual Result<void> SetHandlerRole(int process_group, std::string_view role) = 0;
  // Forgets a process (it is gone); forgetting one not recorded succeeds.
  virtual Result<void> RemoveHandlerProcess(int process_group) = 0;
  // Every recorded handler process, oldest first.
  virtual Result<std::vector<HandlerProcessRecord>> ListHandlerProcesses() = 0;

  // Appends an event to the service's history; returns its id. kNotFound for an unknown
  // service or deployment, kInvalidArgument for a deployment of another service.
  virtual Result<int64_t> AppendEvent(std::string_view service, std::string_view kind,
                                      std::string_view message,
                                      std::optional<DeploymentId> deployment) = 0;
  // The latest events of `service` (all services when empty), newest first, at most `limit`.
  virtual Result<std::vector<ServiceEvent>> ListEvents(std::string_view service, size_t limit) = 0;
};

// Opens the runtime's part of the SQLite store at `path` (the same file as OpenSqliteStore,
// migrated the same way). Failures as OpenSqliteStore's.
Result<std::unique_ptr<RuntimeStore>> OpenSqliteRuntimeStore(const std::filesystem::path& path);

}  // namespace lockstep::store
