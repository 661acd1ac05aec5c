#include "cli/state_store.h"

#include <fmt/core.h>

#include "base/state_directory.h"
#include "engine/run_recovery.h"
#include "store/sqlite_store.h"

namespace lockstep::cli {

Result<std::unique_ptr<store::Store>> OpenStateStore(const std::filesystem::path& start) {
  auto found = FindStateDirectory(start);
  if (!found) return std::unexpected(found.error());
  const std::filesystem::path& directory = *found;
  std::error_code error;
  if (!std::filesystem::exists(directory / "state.db", error)) {
    return Fail(ErrorCode::kNotFound,
                fmt::format("no runs yet: there is no state in {}", directory.string()));
  }
  auto store = store::OpenSqliteStore(directory / "state.db");
  if (!store) return std::unexpected(store.error());
  auto notices = engine::RecoverAbandonedRuns(**store);
  if (!notices) return std::unexpected(notices.error());
  for (const std::string& notice : *notices) fmt::print(stderr, "lockstep: {}\n", notice);
  return store;
}

}  // namespace lockstep::cli
