#include "workflow/cron.h"

#include <fmt/core.h>

#include <array>
#include <charconv>
#include <set>
#include <vector>

namespace lockstep::workflow {
namespace {

enum Field { kMinutes, kHours, kDayOfMonth, kMonth, kDayOfWeek, kYear, kFieldCount };

struct FieldSpec {
  std::string_view name;
  int min;
  int max;
  std::string_view specials;  // beyond digits, ',', '-' and '*'
};

constexpr std::array<FieldSpec, kFieldCount> kFields = {{
    {"minutes", 0, 59, "/"},
    {"hours", 0, 23, "/"},
    {"day-of-month", 1, 31, "/?LW"},
    {"month", 1, 12, "/"},
    {"day-of-week", 1, 7, "?L#"},
    {"year", 1970, 2199, "/"},
}};

constexpr std::array<std::string_view, 12> kMonths = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                      "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kDays = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

struct Token {
  std::string_view text;
  size_t offset;
};

std::vector<Token> Split(std::string_view text, char separator, size_t base, bool skip_empty) {
  std::vector<Token> out;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == separator) {
      if (!skip_empty || i > start) out.push_back({text.substr(start, i - start), base + start});
      start = i + 1;
    }
  }
  return out;
}

class FieldChecker {
 public:
  FieldChecker(Field field, Token token) : field_(field), spec_(kFields[field]), token_(token) {}

  std::optional<CronProblem> Check(std::set<int>* values) {
    if (token_.text == "?") {
      if (field_ != kDayOfMonth && field_ != kDayOfWeek) {
        return Problem(token_.offset, "'?' is only allowed in day-of-month and day-of-week");
      }
      return std::nullopt;
    }
    int hashes = 0;
    for (const Token& item : Split(token_.text, ',', token_.offset, false)) {
      if (item.text.empty())
        return Problem(item.offset, fmt::format("empty value in {}", spec_.name));
      if (item.text.find('#') != std::string_view::npos && ++hashes > 1) {
        return Problem(item.offset, "'#' may appear only once in day-of-week");
      }
      if (auto problem = CheckItem(item, values)) return problem;
    }
    return std::nullopt;
  }

 private:
  std::optional<CronProblem> Problem(size_t offset, std::string message) const {
    return CronProblem{offset, std::move(message)};
  }

  // A number or, in month and day-of-week, a three-letter name.
  std::optional<int> Value(std::string_view text) const {
    if (text.empty()) return std::nullopt;
    if (std::isdigit(static_cast<unsigned char>(text[0]))) {
      int value = 0;
      auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
      return value;
    }
    std::string upper(text);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (field_ == kMonth) {
      for (size_t i = 0; i < kMonths.size(); ++i) {
        if (upper == kMonths[i]) return static_cast<int>(i) + 1;
      }
    }
    if (field_ == kDayOfWeek) {
      for (size_t i = 0; i < kDays.size(); ++i) {
        if (upper == kDays[i]) return static_cast<int>(i) + 1;
      }
    }
    return std::nullopt;
  }

  std::optional<CronProblem> RangeProblem(Token token) const {
    std::string names = field_ == kMonth       ? " or JAN-DEC"
                        : field_ == kDayOfWeek ? " or SUN-SAT"
                                               : "";
    return Problem(token.offset, fmt::format("invalid {} value '{}': expected {}-{}{}", spec_.name,
                                             token.text, spec_.min, spec_.max, names));
  }

  std::optional<CronProblem> CheckedValue(Token token, int* out) const {
    auto value = Value(token.text);
    if (!value || *value < spec_.min || *value > spec_.max) return RangeProblem(token);
    *out = *value;
    return std::nullopt;
  }

  std::optional<CronProblem> CheckItem(Token item, std::set<int>* values) {
    std::string_view text = item.text;
    // Day-of-month: L, LW, nW. Day-of-week: L, nL, n#k.
    if (field_ == kDayOfMonth && (text == "L" || text == "LW")) return std::nullopt;
    if (field_ == kDayOfWeek && text == "L") return std::nullopt;
    if (field_ == kDayOfMonth && text.size() > 1 && text.back() == 'W') {
      int day = 0;
      return CheckedValue({text.substr(0, text.size() - 1), item.offset}, &day);
    }
    if (field_ == kDayOfWeek && text.size() > 1 && text.back() == 'L') {
      int day = 0;
      return CheckedValue({text.substr(0, text.size() - 1), item.offset}, &day);
    }
    if (size_t hash = text.find('#'); hash != std::string_view::npos) {
      if (field_ != kDayOfWeek) {
        return Problem(item.offset + hash, fmt::format("'#' is not allowed in {}", spec_.name));
      }
      int day = 0;
      if (auto problem = CheckedValue({text.substr(0, hash), item.offset}, &day)) return problem;
      std::string_view nth = text.substr(hash + 1);
      if (nth.size() != 1 || nth[0] < '1' || nth[0] > '5') {
        return Problem(item.offset + hash + 1,
                       fmt::format("invalid '#' in '{}': expected a week number 1-5", text));
      }
      return std::nullopt;
    }
    for (size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      bool is_letter = std::isalpha(static_cast<unsigned char>(c)) != 0;
      bool names_allowed = field_ == kMonth || field_ == kDayOfWeek;
      bool allowed = std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '*' ||
                     (is_letter && names_allowed) ||
                     (c == '/' && spec_.specials.find('/') != std::string_view::npos);
      if (!allowed) {
        return Problem(item.offset + i,
                       fmt::format("'{}' is not allowed in {}", std::string(1, c), spec_.name));
      }
    }
    // [start[-end] | *] [/step]
    std::string_view base = text;
    int step = 1;
    if (size_t slash = text.find('/'); slash != std::string_view::npos) {
      base = text.substr(0, slash);
      std::string_view step_text = text.substr(slash + 1);
      auto parsed = Value(step_text);
      if (!parsed || *parsed <= 0 || !std::isdigit(static_cast<unsigned char>(step_text[0]))) {
        return Problem(item.offset + slash + 1,
                       fmt::format("invalid step '{}' in {}: expected a positive number", step_text,
                                   spec_.name));
      }
      step = *parsed;
    }
    int first = spec_.min;
    int last = spec_.max;
    if (base != "*") {
      size_t dash = base.find('-');
      if (dash == std::string_view::npos) {
        if (auto problem = CheckedValue({base, item.offset}, &first)) return problem;
        if (text.find('/') == std::string_view::npos) last = first;
      } else {
        if (auto problem = CheckedValue({base.substr(0, dash), item.offset}, &first))
          return problem;
        if (auto problem = CheckedValue({base.substr(dash + 1), item.offset + dash + 1}, &last)) {
          return problem;
        }
      }
    }
    if (values == nullptr) return std::nullopt;
    // Ranges may wrap around (hours 22-2), as in EventBridge.
    int span = spec_.max - spec_.min + 1;
    int count = (last >= first ? last - first : last + span - first) + 1;
    for (int i = 0; i < count; i += step) {
      values->insert(spec_.min + (first - spec_.min + i) % span);
    }
    return std::nullopt;
  }

  Field field_;
  const FieldSpec& spec_;
  Token token_;
};

}  // namespace

std::optional<CronProblem> CheckCronExpression(std::string_view expression) {
  if (expression.starts_with("cron(")) {
    return CronProblem{0, "write the six cron fields without 'cron(…)'"};
  }
  std::vector<Token> fields;
  for (const Token& token : Split(expression, ' ', 0, true)) {
    for (const Token& part : Split(token.text, '\t', token.offset, true)) fields.push_back(part);
  }
  if (fields.size() != kFieldCount) {
    return CronProblem{
        0, fmt::format("expected 6 fields (minutes hours day-of-month month day-of-week year), "
                       "found {}",
                       fields.size())};
  }
  std::set<int> minutes;
  for (int i = 0; i < kFieldCount; ++i) {
    Field field = static_cast<Field>(i);
    FieldChecker checker(field, fields[static_cast<size_t>(i)]);
    if (auto problem = checker.Check(field == kMinutes ? &minutes : nullptr)) return problem;
  }
  bool day_of_month_any = fields[kDayOfMonth].text == "?";
  bool day_of_week_any = fields[kDayOfWeek].text == "?";
  if (day_of_month_any == day_of_week_any) {
    return CronProblem{fields[kDayOfMonth].offset,
                       day_of_month_any
                           ? "day-of-month and day-of-week are both '?'; set one of them"
                           : "set either day-of-month or day-of-week, and '?' in the other"};
  }
  // CodeCatalyst refuses schedules that run more often than every 30 minutes. Check the gaps
  // between the minutes within an hour, and across the hour when the hours are consecutive.
  std::vector<int> sorted(minutes.begin(), minutes.end());
  int smallest_gap = 60;
  for (size_t i = 1; i < sorted.size(); ++i)
    smallest_gap = std::min(smallest_gap, sorted[i] - sorted[i - 1]);
  std::string_view hours = fields[kHours].text;
  bool consecutive_hours = hours == "*" || hours.find('-') != std::string_view::npos ||
                           hours.find('/') != std::string_view::npos;
  if (consecutive_hours && !sorted.empty()) {
    smallest_gap = std::min(smallest_gap, 60 - sorted.back() + sorted.front());
  }
  if (smallest_gap < 30) {
    return CronProblem{fields[kMinutes].offset,
                       fmt::format("runs {} minutes apart; CodeCatalyst needs at least 30 minutes "
                                   "between scheduled runs",
                                   smallest_gap)};
  }
  return std::nullopt;
}

}  // namespace lockstep::workflow
