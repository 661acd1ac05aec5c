// Finding a program the way execvp(3) does. Thread-safe.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

namespace lockstep::exec {

// The first executable regular file named `name` in the directories of `path_variable`
// (colon-separated, as in PATH; an empty entry means the current directory). Relative
// entries are taken relative to `base`. nullopt when there is none.
std::optional<std::filesystem::path> FindInPath(std::string_view name,
                                                std::string_view path_variable,
                                                const std::filesystem::path& base);

// Whether `path` is a regular file that may be executed.
bool IsExecutableFile(const std::filesystem::path& path);

}  // namespace lockstep::exec
