// `lockstep/trigger@v1` under `lockstep run`: a step that runs this lockstep binary's `trigger`
// command, which starts a workflow in another repository of the workspace (as lockstep.yaml
// names it) and, unless `Wait: false`, waits for its run's result within `Timeout` (default
// 1h). The step fails when the triggered run does. Pure; thread-safe.
//
//   TriggerFrontend:
//     Identifier: lockstep/trigger@v1
//     Configuration: { Repository: registry-frontend, Workflow: frontend-deploy, Wait: true,
//                      Timeout: 30m }
#pragma once

#include <filesystem>
#include <string>

#include "base/error.h"
#include "workflow/model.h"

namespace lockstep::engine {

// The output variables a trigger step sets: the triggered run's id and its state
// ("succeeded", "failed", …; "started" with Wait: false).
inline constexpr const char* kTriggerOutputs[] = {"RunId", "Status"};

// The Run text of the step for `action`, run by `executable` in `root` (the work tree of the
// workflow's repository, where the workspace is looked up) with $LOCKSTEP_HOME set to
// `state_directory`. kInvalidArgument, naming the action, when Repository or Workflow is
// missing or not a plain name, Wait is not a boolean, or Timeout is not a duration.
Result<std::string> TriggerStep(const workflow::Action& action, const std::filesystem::path& root,
                                const std::filesystem::path& executable,
                                const std::filesystem::path& state_directory);

}  // namespace lockstep::engine
