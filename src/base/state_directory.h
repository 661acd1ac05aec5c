// Where lockstep keeps its state (state.db, run workspaces, logs, artifacts, caches).
// Thread-safe.
#pragma once

#include <filesystem>
#include <optional>

#include "base/error.h"

namespace lockstep {

// $LOCKSTEP_HOME when set; else `.lockstep/` beside the nearest lockstep.yaml at or above
// `start`; else $XDG_STATE_HOME/lockstep (default ~/.local/state/lockstep). Not created.
// Fails with kUnavailable when none of LOCKSTEP_HOME, XDG_STATE_HOME and HOME is set, rather
// than guess a shared place such as /tmp.
Result<std::filesystem::path> FindStateDirectory(const std::filesystem::path& start);

// The nearest lockstep.yaml at or above `start` (the workspace's file); else, when
// $LOCKSTEP_HOME is set, the lockstep.yaml in the folder that holds it (a run in a repository
// beside the workspace has the workspace's state directory); else nullopt.
std::optional<std::filesystem::path> FindWorkspaceFile(const std::filesystem::path& start);

}  // namespace lockstep
