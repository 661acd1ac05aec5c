// Run times of SCHEDULE triggers: the six-field cron syntax of CodeCatalyst (and EventBridge),
//
//   minutes hours day-of-month month day-of-week year        e.g.  0 9 ? * MON-FRI *
//
// evaluated in UTC. Every form workflow::CheckCronExpression accepts is supported: lists,
// ranges (wrapping ranges such as 22-2 too), steps, '*', '?', month and day names, and
// L (last day of the month; in day-of-week alone, Saturday), LW (last weekday of the month),
// nW (the weekday nearest day n, within the month), nL (the last weekday n of the month) and
// n#k (the k-th weekday n of the month). Day-of-week counts 1-7 for SUN-SAT.
// Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace lockstep::triggers {

// The first `count` minutes strictly after `after` at which `expression` fires, in increasing
// order (whole minutes, seconds zero). Fewer when the schedule ends first (the year field
// stops, or 2199 is reached). Fails with kInvalidArgument when `expression` is invalid (the
// message is CheckCronExpression's) or `count` is negative.
Result<std::vector<std::chrono::system_clock::time_point>> NextScheduleTimes(
    std::string_view expression, std::chrono::system_clock::time_point after, int count);

}  // namespace lockstep::triggers
