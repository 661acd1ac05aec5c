// Runs the real lockstep binary, as a user would, and captures what it prints.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace lockstep::testing {

struct CommandOutput {
  int exit_code = -1;
  std::string out;  // standard output
  std::string err;  // standard error
};

// The minimal environment tests start programs with (PATH, HOME, TERM, and ASAN_OPTIONS when
// set), then `extra` ("NAME=value").
std::vector<std::string> TestEnvironment(const std::vector<std::string>& extra);

// NUL-terminated pointers into `strings`, for posix_spawn; valid while `strings` is unchanged.
std::vector<char*> CStrings(std::vector<std::string>& strings);

// Runs `argv` (argv[0] an absolute path) in `directory` with a minimal environment plus
// `environment` entries ("NAME=value").
CommandOutput RunProgram(const std::vector<std::string>& argv,
                         const std::filesystem::path& directory,
                         const std::vector<std::string>& environment = {});

// Runs the lockstep binary with `arguments` in `directory`, with `environment` entries
// ("NAME=value") added to a minimal environment (PATH, HOME, NO_COLOR unset).
CommandOutput RunLockstep(const std::vector<std::string>& arguments,
                          const std::filesystem::path& directory,
                          const std::vector<std::string>& environment = {});

}  // namespace lockstep::testing
