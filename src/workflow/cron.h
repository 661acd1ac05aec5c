// Schedule expressions in CodeCatalyst's six-field cron syntax (the same as Amazon
// EventBridge's, without the `cron(…)` wrapper):
//
//   minutes hours day-of-month month day-of-week year      e.g.  0 3 ? * MON-FRI *
//
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lockstep::workflow {

struct CronProblem {
  size_t offset = 0;    // byte offset in the expression of the part at fault
  std::string message;  // what is wrong and what was expected
};

// Checks `expression` field by field: value ranges, names (JAN–DEC, SUN–SAT), the special
// characters each field allows (`, - * / ? L W #`), that exactly one of day-of-month and
// day-of-week is `?`, and CodeCatalyst's minimum of 30 minutes between runs within an hour.
// Returns the first problem, or nullopt when the expression is valid.
std::optional<CronProblem> CheckCronExpression(std::string_view expression);

}  // namespace lockstep::workflow
