// `lockstep/deploy@v1` under `lockstep run`: the action's Configuration turned into a step that
// runs this lockstep binary's `deploy` command against the `lockstep serve` of the run's state
// directory, so the deployment gets the log, timeout, process group and output handling of
// any other step. Pure; thread-safe.
//
// The release is the root of the action's first input artifact, which the step reaches as
// $CATALYST_SOURCE_DIR_<artifact>. `Route` with `StripPrefix`, `Kind`, `Spa`, `HealthPath` and
// `StartTimeout` define the service as `lockstep deploy --route …` does; without `Route` the
// service keeps its definition, or takes the one lockstep.yaml declares. Every value reaches
// the command single-quoted.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/error.h"
#include "workflow/model.h"

namespace lockstep::engine {

// The output variables a deploy step sets: the release deployed, and the handler of its chain
// that serves it (empty for a static service).
inline constexpr const char* kDeployOutputs[] = {"ReleaseId", "Handler"};

// The Run text of the step for `action` of the workflow `workflow_name`, run by the binary
// `executable` with $LOCKSTEP_HOME set to `state_directory` (where it finds the running
// server), in `root`, the work tree of the workflow's repository: without Route, a service
// the server does not know yet is defined as the lockstep.yaml at or above it declares it.
// The step fails when the deployment does, after the command has printed each candidate's
// outcome and the reason. kInvalidArgument, naming the action, when the action has no input
// artifact, or Service is missing or not a service name, or another key is malformed or
// given without Route (the validator reports the same, with positions).
Result<std::string> DeployStep(const workflow::Action& action, std::string_view workflow_name,
                               const std::filesystem::path& root,
                               const std::filesystem::path& executable,
                               const std::filesystem::path& state_directory);

}  // namespace lockstep::engine
