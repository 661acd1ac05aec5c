// The clean environment actions start with. Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

namespace lockstep::exec {

// PATH, HOME, LANG and TZ copied from lockstep's own environment (PATH defaults to
// /usr/local/bin:/usr/bin:/bin when unset), then `extra` ("NAME=value") in order; a later
// entry replaces an earlier one of the same name.
std::vector<std::string> CleanEnvironment(const std::vector<std::string>& extra);

}  // namespace lockstep::exec
