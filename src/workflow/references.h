// Finds `${…}` references to workflow variables and secrets in an action's values. Shell
// expansions such as `${HOME}` or `${file%.txt}` are left alone: only dotted names
// (`${Build.Version}`, `${Group.Action.Var}`, `${WorkflowSource.CommitId}`) and anything that
// starts with `Secrets` are workflow references. Not thread-safe (reports through a Checker).
#pragma once

#include <vector>

#include "workflow/checker.h"
#include "workflow/model.h"

namespace lockstep::workflow {

// Appends every reference in the scalar values under `node` (keys are not scanned) to `out`,
// in document order, each with the position of its `$`.
// Whether the text between "${" and "}" is a workflow reference (`A.B`, `A.B.C`, `Secrets.X`)
// rather than shell syntax such as `${HOME}` or `${VAR:-x}`.
bool IsWorkflowReference(std::string_view text);

void CollectReferences(const yaml::Node& node, const Checker& checker, std::vector<Reference>& out);

}  // namespace lockstep::workflow
