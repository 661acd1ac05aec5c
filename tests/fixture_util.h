// Helpers for tests that read fixture files from the source tree. Not thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace lockstep::testing {

// The source tree (tests run with it as their working directory too).
inline std::filesystem::path SourceDir() { return LOCKSTEP_SOURCE_DIR; }

// Fixture files with `extension` directly in `folder` (relative to the source tree), sorted.
std::vector<std::filesystem::path> FixtureFiles(const std::string& folder,
                                                const std::string& extension = ".yaml");

// The text of a file, or a failed test assertion.
std::string ReadText(const std::filesystem::path& path);

// The values of every comment line "# KEY: VALUE" in `text`, in order.
std::vector<std::string> CommentValues(const std::string& text, const std::string& key);

// Every path under `root`, relative and sorted; folders end in '/', links are not followed.
std::vector<std::string> TreeListing(const std::filesystem::path& root);

}  // namespace lockstep::testing
