// `lockstep/sync@v1` under `lockstep run`: the action's Configuration turned into a step that
// runs this lockstep binary's `sync` command, so the sync gets the log, timeout, process
// group and output handling of any other step. Pure; thread-safe.
//
// Until lockstep.yaml names the repositories of a workspace (the coordination issue), a
// repository name in `From` or `To` ("registry-api:src") means the folder of that name
// beside the workflow's repository; a `To` without a name is a path in the workflow's own
// repository (its work tree, not the run's snapshot: the result is meant to be committed).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/error.h"
#include "workflow/model.h"

namespace lockstep::engine {

// The output variables a sync step sets: the manifest's digest and the commit made (empty
// without Commit: true, or when nothing changed).
inline constexpr const char* kSyncOutputs[] = {"ManifestSha256", "CommitId"};

// The Run text of the step for `action` in the repository whose work tree is `root`, run by
// the binary `executable`. kInvalidArgument when From or To is missing or malformed (the
// validator reports the same, with positions).
Result<std::string> SyncStep(const workflow::Action& action, std::string_view workflow_name,
                             const std::filesystem::path& root,
                             const std::filesystem::path& executable);

}  // namespace lockstep::engine
