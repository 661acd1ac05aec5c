// Finding runs whose lockstep process died, and cleaning up after them. Thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "store/store.h"

namespace lockstep::engine {

// The environment entry every action of a run carries, naming the lockstep process that owns
// the run ("LOCKSTEP_OWNER=PID:START_TIME"), so that recovery finds what a dead owner left even
// when it died before recording a process group.
std::string OwnerTag(const store::Owner& owner);

// Marks runs whose lockstep process died as interrupted and kills the process groups they
// left; returns one notice per recovered run, saying how to resume it.
Result<std::vector<std::string>> RecoverAbandonedRuns(store::Store& store);

}  // namespace lockstep::engine
