// Checks that need the whole workflow: unique names, DependsOn naming real actions and groups,
// dependency cycles (printed as the whole path, through groups too), input artifacts and
// `${…}` references resolved against what upstream actions produce. Not thread-safe (reports
// through a Checker).
#pragma once

#include "workflow/checker.h"
#include "workflow/model.h"

namespace lockstep::workflow {

void CheckWorkflowGraph(const Workflow& workflow, Checker& checker);

}  // namespace lockstep::workflow
