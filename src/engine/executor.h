// Runs one workflow to the end: checks it, records the run, waits for its turn under the
// workflow's RunMode, then drives the Plan, starting actions through exec/ as capacity allows
// and feeding each outcome back, in the shape of ninja's Builder. Every state change is
// committed to the store before it is acted on. Not thread-safe: one run per call.
#pragma once

#include "base/error.h"
#include "engine/run_request.h"

namespace lockstep::engine {

// Returns the run's summary once it has ended (succeeded or not). Fails without recording
// anything when the run cannot start: no repository, an unknown workflow or commit, a workflow
// with errors (the message holds the diagnostics), an action that cannot run locally, a
// missing secret.
Result<RunSummary> RunWorkflow(const RunRequest& request, RunObserver& observer);

}  // namespace lockstep::engine
