#include "server/audit_observer.h"

#include <spdlog/spdlog.h>

namespace lockstep::server {

void AuditObserver::OnAction(store::RolloutId rollout, std::string_view actor,
                             std::string_view action, std::string_view subject,
                             const nlohmann::json& details) {
  Result<audit::AuditEntry> appended = audit_.Append({.actor = std::string(actor),
                                                      .action = std::string(action),
                                                      .subject = std::string(subject),
                                                      .details = details});
  if (!appended) {
    spdlog::error("audit: rollout {}: cannot record {}: {}", rollout, action,
                  appended.error().message());
  }
}

}  // namespace lockstep::server
