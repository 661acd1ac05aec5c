#include "cli/state_store.h"

#include <fmt/core.h>

#include "base/state_directory.h"
#include "engine/executor.h"
#include "store/sqlite_store.h"

namespace lockstep::cli {

Result<std::unique_ptr<store::Store>> OpenStateStore(const std::filesystem::path& start) {
  std::filesystem::path directory = FindStateDirectory(start);
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
