#include "cli/last_good.h"

#include "store/coord_store.h"

namespace lockstep::cli {

Result<std::map<std::string, std::string>> LastGoodCommits(
    const std::filesystem::path& state_directory, std::string_view environment) {
  std::error_code error;
  std::filesystem::path database = state_directory / "state.db";
  if (!std::filesystem::exists(database, error)) return std::map<std::string, std::string>{};
  Result<std::unique_ptr<store::CoordStore>> store = store::OpenSqliteCoordStore(database);
  if (!store) return std::unexpected(store.error());
  return (*store)->LastGoodCommits(environment);
}

}  // namespace lockstep::cli
