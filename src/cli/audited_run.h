// What the command line records in the audit chain of its state directory: runs started and
// ended by `lockstep run` (wrapping the progress display), and syncs made by `lockstep sync`.
// A chain that cannot be written is a warning on stderr, not a failed command: the work was
// done. Used from main's thread only.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "audit/audit_log.h"
#include "engine/run_request.h"

namespace lockstep::cli {

// Appends `record` to the chain in `state_directory`, warning on failure.
void RecordInAudit(const std::filesystem::path& state_directory, const audit::AuditRecord& record);

// Forwards everything to `inner` and records "run.started" and "run.finished" (workflow,
// commit, branch, state, reason) with `actor`.
class AuditedRunObserver final : public engine::RunObserver {
 public:
  AuditedRunObserver(engine::RunObserver& inner, std::filesystem::path state_directory,
                     std::string actor, std::string repository)
      : inner_(inner),
        state_directory_(std::move(state_directory)),
        actor_(std::move(actor)),
        repository_(std::move(repository)) {}

  void OnRunCreated(const engine::RunSummary& run) override;
  void OnNotice(std::string_view message) override { inner_.OnNotice(message); }
  void OnActionChanged(const engine::ActionView& action, size_t finished, size_t total) override {
    inner_.OnActionChanged(action, finished, total);
  }
  void OnRunFinished(const engine::RunSummary& run) override;

 private:
  engine::RunObserver& inner_;
  std::filesystem::path state_directory_;
  std::string actor_;
  std::string repository_;
};

}  // namespace lockstep::cli
