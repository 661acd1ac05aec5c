#include "workflow/trigger_check.h"

#include <fmt/core.h>
#include <re2/re2.h>

#include "workflow/cron.h"

namespace lockstep::workflow {
namespace {

// The pattern with every '*' that no atom precedes (a glob star) written as '.*', or the
// pattern itself when it has none.
std::string GlobStarsAsRegex(std::string_view pattern) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    bool glob_star = c == '*' && (i == 0 || pattern[i - 1] == '/' || pattern[i - 1] == '*');
    if (glob_star && i + 1 < pattern.size() && pattern[i + 1] == '*') {
      out += ".*";
      ++i;  // `**` becomes one `.*`
      continue;
    }
    out += glob_star ? ".*" : std::string(1, c);
  }
  return out;
}

}  // namespace

void CheckTriggerPattern(const Located<std::string>& pattern, std::string_view key,
                         Checker& checker) {
  RE2::Options options;
  options.set_log_errors(false);
  RE2 regex(pattern.value, options);
  std::string glob_fix = GlobStarsAsRegex(pattern.value);
  bool looks_like_glob = glob_fix != pattern.value;
  if (!regex.ok()) {
    std::string message = fmt::format("invalid regular expression '{}' in '{}': {}",
                                      pattern.value, key, regex.error());
    if (looks_like_glob) {
      message += fmt::format(" (patterns are regular expressions, not globs: did you mean '{}'?)",
                             glob_fix);
    }
    checker.Error(pattern.mark, std::move(message));
    return;
  }
  if (pattern.value.starts_with('!')) {
    checker.Warning(pattern.mark,
                    fmt::format("'{}' looks like a negated glob, but patterns are regular "
                                "expressions: it matches names that start with '!'",
                                pattern.value));
  } else if (looks_like_glob) {
    checker.Warning(pattern.mark,
                    fmt::format("'{}' looks like a glob, but patterns are regular expressions; "
                                "did you mean '{}'?",
                                pattern.value, glob_fix));
  }
}

void CheckScheduleExpression(const yaml::Node& expression, Checker& checker) {
  auto problem = CheckCronExpression(expression.value);
  if (!problem) return;
  std::string_view field = std::string_view(expression.value).substr(problem->offset);
  field = field.substr(0, std::min(field.find(' '), field.size()));
  Mark mark = checker.PositionInScalar(expression, problem->offset, field);
  checker.Error(mark, fmt::format("invalid schedule '{}': {}", expression.value, problem->message));
}

}  // namespace lockstep::workflow
