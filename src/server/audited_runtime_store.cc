#include "server/audited_runtime_store.h"

#include <spdlog/spdlog.h>

namespace lockstep::server {

Result<void> AuditedRuntimeStore::FinishDeployment(
    store::DeploymentId id, store::DeploymentState state, std::string_view handler,
    std::string_view reason, const std::optional<store::ServingState>& serving) {
  Result<void> finished = store_.FinishDeployment(id, state, handler, reason, serving);
  if (!finished) return finished;
  Result<store::DeploymentRecord> deployment = store_.GetDeployment(id);
  if (!deployment) return {};
  nlohmann::json candidates = nlohmann::json::object();
  for (const store::CandidateOutcome& candidate : deployment->candidates) {
    candidates[candidate.handler] = candidate.outcome;
  }
  // "deploy" is recorded as "deployment"; rollback, failover and restore keep their names.
  std::string_view kind = store::ToString(deployment->kind);
  Result<audit::AuditEntry> appended =
      audit_.Append({.actor = deployment->actor.empty() ? "lockstep" : deployment->actor,
                     .action = kind == "deploy" ? "deployment" : std::string(kind),
                     .subject = deployment->service,
                     .details = {{"deployment", deployment->id},
                                 {"state", store::ToString(deployment->state)},
                                 {"release", deployment->release},
                                 {"from_release", deployment->from_release},
                                 {"handler", deployment->handler},
                                 {"reason", deployment->reason},
                                 {"candidates", candidates}}});
  if (!appended) {
    // The deployment is recorded; the chain misses it, which `audit verify` cannot see, so
    // it is said loudly.
    spdlog::error("audit: cannot record deployment {}: {}", id, appended.error().message());
  }
  return {};
}

}  // namespace lockstep::server
