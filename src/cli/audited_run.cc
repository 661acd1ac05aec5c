#include "cli/audited_run.h"

#include <fmt/core.h>

namespace lockstep::cli {

void RecordInAudit(const std::filesystem::path& state_directory, const audit::AuditRecord& record) {
  Result<std::unique_ptr<audit::AuditLog>> log = audit::AuditLog::Open(state_directory);
  Result<audit::AuditEntry> appended =
      log ? (*log)->Append(record) : Result<audit::AuditEntry>(std::unexpected(log.error()));
  if (!appended) {
    fmt::print(stderr, "lockstep: warning: the audit chain misses this {}: {}\n", record.action,
               appended.error().message());
  }
}

void AuditedRunObserver::OnRunCreated(const engine::RunSummary& run) {
  inner_.OnRunCreated(run);
  RecordInAudit(state_directory_, {.actor = actor_,
                                   .action = "run.started",
                                   .subject = fmt::format("run {}", run.id),
                                   .details = {{"workflow", run.workflow},
                                               {"repository", repository_},
                                               {"commit", run.commit},
                                               {"branch", run.branch}}});
}

void AuditedRunObserver::OnRunFinished(const engine::RunSummary& run) {
  inner_.OnRunFinished(run);
  RecordInAudit(state_directory_, {.actor = actor_,
                                   .action = "run.finished",
                                   .subject = fmt::format("run {}", run.id),
                                   .details = {{"workflow", run.workflow},
                                               {"repository", repository_},
                                               {"commit", run.commit},
                                               {"state", store::ToString(run.state)},
                                               {"reason", run.reason},
                                               {"duration_ms", run.duration.count()}}});
}

}  // namespace lockstep::cli
