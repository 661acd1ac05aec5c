#include "workflow/trigger_check.h"

#include <fmt/core.h>
#include <re2/re2.h>

#include "workflow/cron.h"

namespace lockstep::workflow {
namespace {

// A '*' at the start or after '/' repeats nothing sensible in a regular expression: the
// pattern was written as a glob.
bool HasGlobStar(std::string_view pattern) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '*' && (i == 0 || pattern[i - 1] == '/')) return true;
  }
  return false;
}

// The regular expression for a glob: '*' and '**' become '.*', '?' becomes '.', and the
// characters a regular expression treats specially are escaped.
std::string GlobToRegex(std::string_view glob) {
  std::string out;
  for (size_t i = 0; i < glob.size(); ++i) {
    char c = glob[i];
    if (c == '*') {
      out += ".*";
      while (i + 1 < glob.size() && glob[i + 1] == '*') ++i;
    } else if (c == '?') {
      out += '.';
    } else if (std::string_view(".+()[]{}^$|\\").find(c) != std::string_view::npos) {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

void CheckTriggerPattern(const Located<std::string>& pattern, std::string_view key,
                         Checker& checker) {
  RE2::Options options;
  options.set_log_errors(false);
  RE2 regex(pattern.value, options);
  bool looks_like_glob = HasGlobStar(pattern.value);
  std::string glob_fix = looks_like_glob ? GlobToRegex(pattern.value) : "";
  if (!regex.ok()) {
    std::string message = fmt::format("invalid regular expression '{}' in '{}': {}", pattern.value,
                                      key, regex.error());
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
                                "expressions with no negation: it matches only names that start "
                                "with '!'",
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
