// Durations as users write them in files: "500ms", "30s", "2m", "1h". Pure; thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "base/error.h"

namespace lockstep {

// Parses a positive whole number followed by ms, s, m or h. Fails with kInvalidArgument and a
// message saying what was expected.
Result<std::chrono::milliseconds> ParseDuration(std::string_view text);

// A duration as messages show it, in the units ParseDuration reads where it is exact: "250ms",
// "5s", "2m", "1h"; "1.5s" or "1m30s" otherwise. Negative durations show as "0ms".
std::string DescribeDuration(std::chrono::milliseconds duration);

}  // namespace lockstep
