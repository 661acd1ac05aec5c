// Running a process inside bubblewrap (bwrap), for ProcessSpec::sandbox. Thread-safe.
//
// The sandbox sees the host's file system read-only, with the writable paths bound read-write
// at the same place, a private /tmp, a minimal /dev, a /proc of its own, and all namespaces
// unshared (no network unless asked for). bwrap stays the parent of the sandboxed program
// and is the process group leader: killing the group kills the sandbox, and bwrap
// (--die-with-parent) also dies when the thread that started it exits, so start sandboxed
// processes from a thread that outlives them. bwrap does not catch SIGTERM: the group's
// SIGTERM ends the whole sandbox at once, without the kill_grace a program could use to
// clean up.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/error.h"
#include "exec/process.h"

namespace lockstep::exec {

// The bwrap to run: the path in $LOCKSTEP_BWRAP when that is set (tests use it to pretend
// bubblewrap is missing), else `bwrap` in lockstep's own PATH. Fails with kUnavailable and a
// message saying how to install it.
Result<std::filesystem::path> FindBubblewrap();

// The command line that runs `command` (its argv[0] a path) in the sandbox `sandbox`, in
// `working_directory` (absolute). Fails with kNotFound when a writable path does not exist.
Result<std::vector<std::string>> SandboxCommand(const std::filesystem::path& bwrap,
                                                const SandboxSpec& sandbox,
                                                const std::filesystem::path& working_directory,
                                                const std::vector<std::string>& command);

}  // namespace lockstep::exec
