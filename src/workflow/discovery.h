// Finding workflow files: the repository that contains a directory, and the workflow files in
// it (`.codecatalyst/workflows/` and `.lockstep/workflows/`, subfolders included). Touches the
// filesystem; thread-safe.
#pragma once

#include <filesystem>
#include <vector>

#include "base/error.h"

namespace lockstep::workflow {

// The nearest directory at or above `start` that holds `.git`; `start` itself when none does.
std::filesystem::path FindRepositoryRoot(const std::filesystem::path& start);

// Every *.yaml and *.yml file under `root`'s workflow folders, sorted by path.
Result<std::vector<std::filesystem::path>> FindWorkflowFiles(const std::filesystem::path& root);

// Every *.yaml and *.yml file under `directory`, sorted by path.
Result<std::vector<std::filesystem::path>> FindYamlFiles(const std::filesystem::path& directory);

}  // namespace lockstep::workflow
