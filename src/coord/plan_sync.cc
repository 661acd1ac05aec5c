// Sync rules in a plan: which changed files a rule carries, and where they land.
#include <fmt/core.h>

#include "coord/plan_steps.h"
#include "sync/manifest.h"

namespace lockstep::coord {

std::vector<std::string> PathsUnder(const std::vector<std::string>& paths,
                                    const std::string& folder) {
  std::vector<std::string> under;
  for (const std::string& path : paths) {
    if (folder.empty() ||
        (path.size() > folder.size() && path.starts_with(folder) && path[folder.size()] == '/')) {
      under.push_back(path);
    }
  }
  return under;
}

std::vector<std::string> MapIntoTarget(const SyncRule& rule,
                                       const std::vector<std::string>& source_files) {
  std::vector<std::string> mapped;
  mapped.reserve(source_files.size() + 1);
  size_t cut = rule.from_path.empty() ? 0 : rule.from_path.size() + 1;
  for (const std::string& file : source_files) {
    mapped.push_back(rule.to_path + "/" + file.substr(cut));
  }
  mapped.push_back(rule.to_path + "/" + std::string(sync::kManifestFileName));
  return mapped;
}

Result<void> CheckSyncSource(const SyncRule& rule, const OpenedRepository& source) {
  if (rule.from_path.empty()) return {};
  Result<std::string> tree = source.repository.TreeIdAt(source.head, rule.from_path);
  if (tree) return {};
  std::string why =
      tree.error().code() == ErrorCode::kNotFound
          ? "does not exist"
          : (tree.error().code() == ErrorCode::kInvalidArgument ? "is not a folder"
                                                                : tree.error().message());
  return Fail(tree.error().code(),
              fmt::format("sync rule {}:{} -> {}:{}: '{}' {} at the head of {} ({}) in "
                          "repository '{}'",
                          rule.from_repository, rule.from_path, rule.to_repository, rule.to_path,
                          rule.from_path, why, source.branch, source.head.substr(0, 7),
                          rule.from_repository),
              rule.location);
}

}  // namespace lockstep::coord
