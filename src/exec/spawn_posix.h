// Starting one process for SubprocessSet: program lookup, the sandbox and resource-limit
// wrappers, pipes and posix_spawn. Thread-safe (no shared state).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "exec/process.h"
#include "exec/unique_fd.h"

namespace lockstep::exec {

// What posix_spawn runs for a spec: `file` (an absolute path) with `argv`, in `directory`.
struct Command {
  std::string file;
  std::vector<std::string> argv;
  std::filesystem::path directory;  // absolute
};

// Resolves the program (a name is looked up in the PATH of spec.environment, relative to the
// working directory; a path is taken relative to the working directory) and wraps it in
// bubblewrap for a sandbox and in /bin/sh for resource limits. Without wrappers argv is
// spec.argv as given; a wrapped program gets its resolved path as argv[0], because neither
// dash nor bwrap 0.8 can set argv[0]. Fails as SubprocessSet::Start does.
Result<Command> BuildCommand(const ProcessSpec& spec);

// The /bin/sh script that applies `limits` to itself and then runs "$@", or nullopt when no
// limit is set. Limits above lockstep's own hard limits are lowered to them (only privileged
// processes may raise a hard limit). `environment` is the one the script runs with: see
// ShellKeepsEnvironment.
std::optional<std::string> LimitsScript(const ResourceLimits& limits,
                                        const std::vector<std::string>& environment);

// Whether dash passes `environment` on unchanged (up to order) once the script has restored
// PWD, IFS, OPTIND and PPID. It drops entries whose names are not shell identifiers; for
// those the script ends in `exec /usr/bin/env -i NAME=value… program args` instead, one
// process more.
bool ShellKeepsEnvironment(const std::vector<std::string>& environment);

struct SpawnedProcess {
  int pid = 0;         // also the process group id
  UniqueFd stdout_fd;  // read ends, non-blocking, close-on-exec
  UniqueFd stderr_fd;
};

// Starts `spec` in a new process group with stdin from /dev/null, default signal
// dispositions and an empty signal mask. See SubprocessSet::Start for the failures.
Result<SpawnedProcess> SpawnProcess(const ProcessSpec& spec);

}  // namespace lockstep::exec
