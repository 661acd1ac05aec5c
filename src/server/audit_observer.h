// Coordination actions (coord::RolloutObserver) appended to the audit chain. Thread-safe.
#pragma once

#include "audit/audit_log.h"
#include "coord/rollout.h"

namespace lockstep::server {

class AuditObserver final : public coord::RolloutObserver {
 public:
  explicit AuditObserver(audit::AuditLog& audit) : audit_(audit) {}

  void OnAction(store::RolloutId rollout, std::string_view actor, std::string_view action,
                std::string_view subject, const nlohmann::json& details) override;

 private:
  audit::AuditLog& audit_;
};

}  // namespace lockstep::server
