#include "workflow/discovery.h"

#include <fmt/core.h>

#include <algorithm>
#include <system_error>

namespace lockstep::workflow {

namespace fs = std::filesystem;

fs::path FindRepositoryRoot(const fs::path& start) {
  std::error_code error;
  fs::path directory = fs::absolute(start, error);
  if (error) return start;
  for (fs::path probe = directory;; probe = probe.parent_path()) {
    if (fs::exists(probe / ".git", error)) return probe;
    if (probe == probe.parent_path()) break;
  }
  return directory;
}

Result<std::vector<fs::path>> FindYamlFiles(const fs::path& directory) {
  std::vector<fs::path> files;
  std::error_code error;
  fs::recursive_directory_iterator it(directory, error);
  if (error)
    return std::unexpected(
        Error(ErrorCode::kIoError, fmt::format("{}: {}", directory.string(), error.message())));
  for (; it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (error) {
      return Fail(ErrorCode::kIoError, fmt::format("{}: {}", directory.string(), error.message()));
    }
    std::string extension = it->path().extension().string();
    if ((extension == ".yaml" || extension == ".yml") && it->is_regular_file(error)) {
      files.push_back(it->path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

Result<std::vector<fs::path>> FindWorkflowFiles(const fs::path& root) {
  std::vector<fs::path> files;
  for (const char* folder : {".codecatalyst/workflows", ".lockstep/workflows"}) {
    std::error_code error;
    if (!fs::is_directory(root / folder, error)) continue;
    auto found = FindYamlFiles(root / folder);
    if (!found) return std::unexpected(found.error());
    files.insert(files.end(), found->begin(), found->end());
  }
  return files;
}

}  // namespace lockstep::workflow
