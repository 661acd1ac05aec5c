// Turns a checked workflow into the plan's nodes: one per action, with edges from DependsOn
// (an action, or a group meaning all its members), from the enclosing group's DependsOn, and
// the ones CodeCatalyst infers from input artifacts and `${Action.Variable}` references to
// actions that produce them. Pure; thread-safe.
#pragma once

#include <vector>

#include "engine/plan.h"
#include "workflow/model.h"

namespace lockstep::engine {

// Nodes in the workflow's action order (index i is workflow.actions[i]).
std::vector<PlanNode> BuildPlanNodes(const workflow::Workflow& workflow);

// The action a `${…}` reference reads a variable from ("Build" for "Build.VERSION" and
// "Tests.Build.VERSION"), or nullptr for WorkflowSource, Secrets and unknown names.
const workflow::Action* ReferencedAction(const workflow::Workflow& workflow,
                                         std::string_view reference);

}  // namespace lockstep::engine
