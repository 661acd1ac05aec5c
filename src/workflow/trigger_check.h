// Checks of trigger values that need more than their shape: Branches and FilesChanged
// patterns (full-match regular expressions, compiled with RE2 so that no pattern can take
// exponential time; patterns that look like globs get a warning) and SCHEDULE expressions.
// Not thread-safe (reports through a Checker).
#pragma once

#include <string_view>

#include "workflow/checker.h"

namespace lockstep::workflow {

// Reports an invalid regular expression as an error and a glob-looking one as a warning.
// `key` is "Branches" or "FilesChanged".
void CheckTriggerPattern(const Located<std::string>& pattern, std::string_view key,
                         Checker& checker);

// Reports the first problem in a SCHEDULE expression, pointing at the field at fault.
void CheckScheduleExpression(const yaml::Node& expression, Checker& checker);

}  // namespace lockstep::workflow
