// The runtime store as the server gives it to the supervisor: every call goes to the real
// store, and each deployment that ends (a deploy, a rollback, a failover, a restore) is also
// appended to the audit chain, with who asked, what it served before and after, and why.
// The supervisor knows nothing of auditing. Thread-safe as its parts are.
#pragma once

#include "audit/audit_log.h"
#include "store/runtime_store.h"

namespace lockstep::server {

class AuditedRuntimeStore final : public store::RuntimeStore {
 public:
  AuditedRuntimeStore(store::RuntimeStore& store, audit::AuditLog& audit)
      : store_(store), audit_(audit) {}

  Result<void> FinishDeployment(store::DeploymentId id, store::DeploymentState state,
                                std::string_view handler, std::string_view reason,
                                const std::optional<store::ServingState>& serving) override;

  Result<void> PutService(std::string_view name, std::string_view spec_json) override {
    return store_.PutService(name, spec_json);
  }
  Result<store::ServiceRecord> GetService(std::string_view name) override {
    return store_.GetService(name);
  }
  Result<std::vector<store::ServiceRecord>> ListServices() override {
    return store_.ListServices();
  }
  Result<void> SetServing(std::string_view name, const store::ServingState& serving) override {
    return store_.SetServing(name, serving);
  }
  Result<void> PutRelease(const store::ReleaseRecord& release) override {
    return store_.PutRelease(release);
  }
  Result<store::ReleaseRecord> GetRelease(std::string_view service, std::string_view id) override {
    return store_.GetRelease(service, id);
  }
  Result<std::vector<store::ReleaseRecord>> ListReleases(std::string_view service) override {
    return store_.ListReleases(service);
  }
  Result<store::DeploymentId> CreateDeployment(const store::NewDeployment& deployment) override {
    return store_.CreateDeployment(deployment);
  }
  Result<void> StartDeployment(store::DeploymentId id, std::string_view from_release) override {
    return store_.StartDeployment(id, from_release);
  }
  Result<void> RecordCandidate(store::DeploymentId id, size_t index,
                               std::string_view outcome) override {
    return store_.RecordCandidate(id, index, outcome);
  }
  Result<store::DeploymentRecord> GetDeployment(store::DeploymentId id) override {
    return store_.GetDeployment(id);
  }
  Result<std::vector<store::DeploymentRecord>> ListDeployments(std::string_view service,
                                                               size_t limit) override {
    return store_.ListDeployments(service, limit);
  }
  Result<std::vector<store::DeploymentId>> InterruptUnfinishedDeployments(
      std::string_view reason) override {
    return store_.InterruptUnfinishedDeployments(reason);
  }
  Result<void> PutHandlerProcess(const store::HandlerProcessRecord& process) override {
    return store_.PutHandlerProcess(process);
  }
  Result<void> SetHandlerRole(int process_group, std::string_view role) override {
    return store_.SetHandlerRole(process_group, role);
  }
  Result<void> RemoveHandlerProcess(int process_group) override {
    return store_.RemoveHandlerProcess(process_group);
  }
  Result<std::vector<store::HandlerProcessRecord>> ListHandlerProcesses() override {
    return store_.ListHandlerProcesses();
  }
  Result<int64_t> AppendEvent(std::string_view service, std::string_view kind,
                              std::string_view message,
                              std::optional<store::DeploymentId> deployment) override {
    return store_.AppendEvent(service, kind, message, deployment);
  }
  Result<std::vector<store::ServiceEvent>> ListEvents(std::string_view service,
                                                      size_t limit) override {
    return store_.ListEvents(service, limit);
  }

 private:
  store::RuntimeStore& store_;
  audit::AuditLog& audit_;
};

}  // namespace lockstep::server
