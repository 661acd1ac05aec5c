#include "base/state_directory.h"

#include <cstdlib>
#include <system_error>

namespace lockstep {

std::optional<std::filesystem::path> FindWorkspaceFile(const std::filesystem::path& start) {
  std::error_code error;
  std::filesystem::path directory = std::filesystem::absolute(start, error);
  while (!error && !directory.empty()) {
    if (std::filesystem::exists(directory / "lockstep.yaml", error)) {
      return directory / "lockstep.yaml";
    }
    if (directory == directory.root_path()) break;
    directory = directory.parent_path();
  }
  // A workflow run in a repository beside the workspace (the usual layout) finds it through
  // the state directory it was given, which lives beside lockstep.yaml.
  if (const char* home = std::getenv("LOCKSTEP_HOME"); home != nullptr && *home != '\0') {
    std::filesystem::path beside =
        std::filesystem::absolute(home, error).lexically_normal().parent_path() / "lockstep.yaml";
    if (!error && std::filesystem::is_regular_file(beside, error)) return beside;
  }
  return std::nullopt;
}

Result<std::filesystem::path> FindStateDirectory(const std::filesystem::path& start) {
  if (const char* home = std::getenv("LOCKSTEP_HOME"); home != nullptr && *home != '\0')
    return std::filesystem::absolute(home);
  if (std::optional<std::filesystem::path> workspace = FindWorkspaceFile(start)) {
    return workspace->parent_path() / ".lockstep";
  }
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg != nullptr && *xdg == '/')
    return std::filesystem::path(xdg) / "lockstep";
  const char* user_home = std::getenv("HOME");
  if (user_home == nullptr || *user_home != '/') {
    return Fail(ErrorCode::kUnavailable,
                "no state directory: set LOCKSTEP_HOME (or HOME, or XDG_STATE_HOME)");
  }
  return std::filesystem::path(user_home) / ".local/state/lockstep";
}

}  // namespace lockstep
