#include "engine/run_recovery.h"

#include <fmt/core.h>

#include "exec/subprocess_set.h"

namespace lockstep::engine {

Result<std::vector<std::string>> RecoverAbandonedRuns(store::Store& store) {
  auto abandoned = store.RecoverAbandoned(
      [](const store::Owner& owner) { return exec::ProcessIsAlive(owner.pid, owner.start_time); });
  if (!abandoned) return std::unexpected(abandoned.error());
  std::vector<std::string> notices;
  for (const store::Abandoned& run : *abandoned) {
    int killed = 0;
    for (size_t i = 0; i < run.process_groups.size(); ++i) {
      int group = run.process_groups[i];
      if (group > 0 && exec::ProcessIsAlive(group, run.process_start_times[i]) &&
          exec::KillProcessGroup(group, std::chrono::milliseconds(2000))) {
        ++killed;
      }
    }
    notices.push_back(fmt::format(
        "run {} was left running by a lockstep process that died; marked interrupted{} "
        "(finish it with: lockstep run --resume {})",
        run.run_id,
        killed > 0
            ? fmt::format(", {} leftover process group{} stopped", killed, killed == 1 ? "" : "s")
            : "",
        run.run_id));
  }
  return notices;
}

}  // namespace lockstep::engine
