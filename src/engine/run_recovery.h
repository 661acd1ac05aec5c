// Finding runs whose lockstep process died, and cleaning up after them. Thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "store/store.h"

namespace lockstep::engine {

// Marks runs whose lockstep process died as interrupted and kills the process groups they
// left; returns one notice per recovered run, saying how to resume it.
Result<std::vector<std::string>> RecoverAbandonedRuns(store::Store& store);

}  // namespace lockstep::engine
