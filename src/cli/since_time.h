// The --since argument of read commands: an instant or how long ago. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/error.h"

namespace lockstep::cli {

// Milliseconds since the epoch for `text`, which is either
//   - a duration before `now_ms`: "90s", "15m", "2h", "500ms" (base/duration.h) or "3d"; or
//   - a UTC date and time: "2026-12-05", "2026-12-05T01:02", "2026-12-05T01:02:03",
//     "2026-12-05T01:02:03.456", with a space allowed for the T, and an optional "Z" or
//     offset "+01:00" (without one the time is UTC, as the audit log prints it).
// kInvalidArgument naming what was expected otherwise.
Result<int64_t> ParseSince(std::string_view text, int64_t now_ms);

}  // namespace lockstep::cli
