// Readers for the parts of an action that are the same whatever its identifier: Inputs,
// Outputs (artifacts, variables, reports), Environment, Caching and Packages. Each checks the
// part's shape and limits through `checker` and fills in `action`. Not thread-safe.
#pragma once

#include "workflow/checker.h"
#include "workflow/model.h"

namespace lockstep::workflow {

// `context` names the action in messages ("action 'Build'").
void ReadInputs(const yaml::Node& node, Action& action, const Context& context, Checker& c);
void ReadOutputs(const yaml::Node& node, Action& action, const Context& context, Checker& c);
void ReadEnvironment(const yaml::Node& node, Action& action, const Context& context, Checker& c);
void ReadCaching(const yaml::Node& node, const Context& context, Checker& c);
void ReadPackages(const yaml::Node& node, const Context& context, Checker& c);

}  // namespace lockstep::workflow
