#include "engine/run_recovery.h"

#include <fmt/core.h>

#include "exec/subprocess_set.h"

namespace lockstep::engine {

std::string OwnerTag(const store::Owner& owner) {
  return fmt::format("LOCKSTEP_OWNER={}:{}", owner.pid, owner.start_time);
}

Result<std::vector<std::string>> RecoverAbandonedRuns(store::Store& store) {
  auto abandoned = store.RecoverAbandoned(
      [](const store::Owner& owner) { return exec::ProcessIsAlive(owner.pid, owner.start_time); });
  if (!abandoned) return std::unexpected(abandoned.error());
  std::vector<std::string> notices;
  for (const store::Abandoned& run : *abandoned) {
    constexpr auto kGrace = std::chrono::milliseconds(2000);
    bool stopped = false;
    for (size_t i = 0; i < run.process_groups.size(); ++i) {
      int group = run.process_groups[i];
      if (group > 0 && exec::ProcessIsAlive(group, run.process_start_times[i]) &&
          exec::KillProcessGroup(group, kGrace)) {
        stopped = true;
      }
    }
    // Also what the dead owner started but had not recorded yet, and what left its group.
    if (exec::KillTaggedProcesses(OwnerTag(run.owner), kGrace) > 0) stopped = true;
    notices.push_back(fmt::format(
        "run {} was left running by a lockstep process that died; marked interrupted{} "
        "(finish it with: lockstep run --resume {})",
        run.run_id, stopped ? ", and what it left running was stopped" : "", run.run_id));
  }
  return notices;
}

}  // namespace lockstep::engine
