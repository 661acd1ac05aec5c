// Pieces of the rollout shared by its .cc files. Internal to coord/.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "coord/rollout.h"

namespace lockstep::coord {

// The environment of a rollout's `lockstep run` processes: the base environment, the state
// directory, the gateway, and the rollout's process tag.
std::vector<std::string> RunEnvironment(const RolloutContext& context, store::RolloutId id);

// Rolls back every service rollout `id` deployed (newest deployment first) to its baseline
// release and marks the rollout failed with `cause` and what was rolled back. Returns the
// reason recorded.
Result<std::string> RollBackRollout(const RolloutContext& context, store::RolloutId id,
                                    const std::string& cause);

}  // namespace lockstep::coord
