// The SQLite RuntimeStore's class, visible to its own .cc files; everyone else opens it through
// OpenSqliteRuntimeStore (runtime_store.h).
//
// Thread-safe: one connection of its own, every call holds mutex_. It shares the file with
// SqliteStore objects of this and other processes through SQLite's file locks: each mutating
// call is one BEGIN IMMEDIATE transaction.
#pragma once

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "store/runtime_store.h"
#include "store/sqlite_access.h"
#include "store/sqlite_database.h"

namespace lockstep::store {

class SqliteRuntimeStore final : public RuntimeStore, private SqliteConnection {
 public:
  // Takes a connection that PrepareStore has set up.
  explicit SqliteRuntimeStore(SqliteDatabase db) : SqliteConnection(std::move(db)) {}

  Result<void> PutService(std::string_view name, std::string_view spec_json) override;
  Result<ServiceRecord> GetService(std::string_view name) override;
  Result<std::vector<ServiceRecord>> ListServices() override;
  Result<void> SetServing(std::string_view name, const ServingState& serving) override;

  Result<void> PutRelease(const ReleaseRecord& release) override;
  Result<ReleaseRecord> GetRelease(std::string_view service, std::string_view id) override;
  Result<std::vector<ReleaseRecord>> ListReleases(std::string_view service) override;

  Result<DeploymentId> CreateDeployment(const NewDeployment& deployment) override;
  Result<void> StartDeployment(DeploymentId id, std::string_view from_release) override;
  Result<void> RecordCandidate(DeploymentId id, size_t index, std::string_view outcome) override;
  Result<void> FinishDeployment(DeploymentId id, DeploymentState state, std::string_view handler,
                                std::string_view reason,
                                const std::optional<ServingState>& serving) override;
  Result<DeploymentRecord> GetDeployment(DeploymentId id) override;
  Result<std::vector<DeploymentRecord>> ListDeployments(std::string_view service,
                                                        size_t limit) override;
  Result<std::vector<DeploymentId>> InterruptUnfinishedDeployments(
      std::string_view reason) override;

  Result<void> PutHandlerProcess(const HandlerProcessRecord& process) override;
  Result<void> SetHandlerRole(int process_group, std::string_view role) override;
  Result<void> RemoveHandlerProcess(int process_group) override;
  Result<std::vector<HandlerProcessRecord>> ListHandlerProcesses() override;

  Result<int64_t> AppendEvent(std::string_view service, std::string_view kind,
                              std::string_view message,
                              std::optional<DeploymentId> deployment) override;
  Result<std::vector<ServiceEvent>> ListEvents(std::string_view service, size_t limit) override;
};

// kNotFound "no such service" unless `service` is recorded. For the store's .cc files.
Result<void> RequireService(SqliteDatabase& db, std::string_view service);

// Writes `serving` as the service's serving state; kNotFound when there is no such service.
Result<void> StoreServing(SqliteDatabase& db, std::string_view service, const ServingState& serving,
                          TimeMs now);

// A LIMIT parameter for `limit` (SQLite reads a negative one as "no limit").
inline int64_t SqlLimit(size_t limit) {
  return static_cast<int64_t>(std::min<size_t>(limit, static_cast<size_t>(INT64_MAX)));
}

}  // namespace lockstep::store
