#include "triggers/schedule.h"

#include <fmt/core.h>

#include <array>
#include <bitset>
#include <charconv>
#include <optional>
#include <utility>

#include "base/strings.h"
#include "workflow/cron.h"

namespace lockstep::triggers {
namespace {

namespace chrono = std::chrono;

constexpr int kFirstYear = 1970;
constexpr int kLastYear = 2199;

constexpr std::array<std::string_view, 12> kMonths = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                      "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kDays = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

// A parsed expression. Bit i of each set means value i (days of the week 1-7 = SUN-SAT).
struct Schedule {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days_of_month;
  std::bitset<13> months;
  std::bitset<8> days_of_week;
  std::bitset<kLastYear + 1> years;              // only kFirstYear and later are ever set
  bool day_of_month_any = false;                 // '?': the day-of-week field decides
  bool last_day = false;                         // L
  bool last_weekday = false;                     // LW
  std::vector<int> nearest_weekday;              // nW
  std::vector<int> last_day_of_week;             // nL
  std::vector<std::pair<int, int>> nth_weekday;  // n#k as (n, k)
};

std::optional<int> Value(std::string_view text, int field) {
  int value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error == std::errc() && end == text.data() + text.size()) return value;
  std::string upper = AsciiUpper(text);
  if (field == 3) {
    for (size_t i = 0; i < kMonths.size(); ++i) {
      if (upper == kMonths[i]) return static_cast<int>(i) + 1;
    }
  }
  if (field == 4) {
    for (size_t i = 0; i < kDays.size(); ++i) {
      if (upper == kDays[i]) return static_cast<int>(i) + 1;
    }
  }
  return std::nullopt;
}

// Sets in `set` the values of one list item "[*|a|a-b][/step]" of a field spanning
// [min, max]. Ranges may wrap around (22-2), as CheckCronExpression allows.
template <size_t N>
bool AddRange(std::string_view item, int field, int min, int max, std::bitset<N>& set) {
  std::string_view base = item;
  int step = 1;
  bool has_step = false;
  if (size_t slash = item.find('/'); slash != std::string_view::npos) {
    auto parsed = Value(item.substr(slash + 1), -1);
    if (!parsed || *parsed <= 0) return false;
    step = *parsed;
    has_step = true;
    base = item.substr(0, slash);
  }
  int first = min;
  int last = max;
  if (base != "*") {
    size_t dash = base.find('-');
    auto start = Value(base.substr(0, dash), field);
    if (!start) return false;
    first = *start;
    if (dash != std::string_view::npos) {
      auto end = Value(base.substr(dash + 1), field);
      if (!end) return false;
      last = *end;
    } else if (!has_step) {
      last = first;
    }
  }
  if (first < min || first > max || last < min || last > max) return false;
  int span = max - min + 1;
  int count = (last >= first ? last - first : last + span - first) + 1;
  for (int i = 0; i < count; i += step)
    set.set(static_cast<size_t>(min + (first - min + i) % span));
  return true;
}

Result<Schedule> Parse(std::string_view expression) {
  if (auto problem = workflow::CheckCronExpression(expression)) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("invalid schedule '{}': {}", expression, problem->message));
  }
  std::vector<std::string_view> fields;
  size_t start = 0;
  for (size_t i = 0; i <= expression.size(); ++i) {
    if (i == expression.size() || expression[i] == ' ' || expression[i] == '\t') {
      if (i > start) fields.push_back(expression.substr(start, i - start));
      start = i + 1;
    }
  }
  Schedule schedule;
  auto bad = [&](std::string_view item) {
    return Fail(ErrorCode::kInternal,
                fmt::format("schedule '{}': cannot evaluate '{}'", expression, item));
  };
  for (int field = 0; field < 6; ++field) {
    std::string_view text = fields[static_cast<size_t>(field)];
    if (text == "?") {
      if (field == 2) schedule.day_of_month_any = true;
      continue;
    }
    size_t item_start = 0;
    for (size_t i = 0; i <= text.size(); ++i) {
      if (i < text.size() && text[i] != ',') continue;
      std::string_view item = text.substr(item_start, i - item_start);
      item_start = i + 1;
      bool ok = true;
      switch (field) {
        case 0:
          ok = AddRange(item, field, 0, 59, schedule.minutes);
          break;
        case 1:
          ok = AddRange(item, field, 0, 23, schedule.hours);
          break;
        case 2:
          if (item == "L") {
            schedule.last_day = true;
          } else if (item == "LW") {
            schedule.last_weekday = true;
          } else if (item.size() > 1 && item.back() == 'W') {
            auto day = Value(item.substr(0, item.size() - 1), field);
            ok = day.has_value();
            if (ok) schedule.nearest_weekday.push_back(*day);
          } else {
            ok = AddRange(item, field, 1, 31, schedule.days_of_month);
          }
          break;
        case 3:
          ok = AddRange(item, field, 1, 12, schedule.months);
          break;
        case 4:
          if (item == "L") {
            schedule.days_of_week.set(7);  // the last day of the week: Saturday
          } else if (size_t hash = item.find('#'); hash != std::string_view::npos) {
            auto day = Value(item.substr(0, hash), field);
            auto nth = Value(item.substr(hash + 1), -1);
            ok = day && nth;
            if (ok) schedule.nth_weekday.emplace_back(*day, *nth);
          } else if (item.size() > 1 && item.back() == 'L') {
            auto day = Value(item.substr(0, item.size() - 1), field);
            ok = day.has_value();
            if (ok) schedule.last_day_of_week.push_back(*day);
          } else {
            ok = AddRange(item, field, 1, 7, schedule.days_of_week);
          }
          break;
        case 5:
          ok = AddRange(item, field, kFirstYear, kLastYear, schedule.years);
          break;
      }
      if (!ok) return bad(item);
    }
  }
  return schedule;
}

// Whether the date matches the day-of-month and day-of-week fields (exactly one of which is
// '?'; the validator ensures it).
bool DayMatches(const Schedule& schedule, chrono::year_month_day date) {
  int day = static_cast<int>(static_cast<unsigned>(date.day()));
  chrono::year_month_day_last month_end(date.year(), chrono::month_day_last(date.month()));
  int last = static_cast<int>(static_cast<unsigned>(month_end.day()));
  // c_encoding: 0 = Sunday; the cron fields count 1 = Sunday.
  int weekday = static_cast<int>(chrono::weekday(chrono::sys_days(date)).c_encoding()) + 1;
  auto is_weekday = [](int cron_weekday) { return cron_weekday >= 2 && cron_weekday <= 6; };
  if (!schedule.day_of_month_any) {
    if (schedule.days_of_month.test(static_cast<size_t>(day))) return true;
    if (schedule.last_day && day == last) return true;
    if (schedule.last_weekday && is_weekday(weekday)) {
      // The last weekday: no weekday follows it within the month.
      int following_weekdays = 0;
      for (int d = day + 1, w = weekday % 7 + 1; d <= last; ++d, w = w % 7 + 1) {
        if (is_weekday(w)) ++following_weekdays;
      }
      if (following_weekdays == 0) return true;
    }
    for (int wanted : schedule.nearest_weekday) {
      // The weekday nearest day `wanted`, never leaving the month: Saturday moves to Friday
      // (or Monday the 3rd when `wanted` is the 1st), Sunday to Monday (or Friday when
      // `wanted` is the month's last day). Days the month does not have never match.
      if (wanted > last) continue;
      chrono::sys_days target = chrono::sys_days(date) + chrono::days(wanted - day);
      int target_weekday = static_cast<int>(chrono::weekday(target).c_encoding()) + 1;
      int nearest = wanted;
      if (target_weekday == 7) nearest = wanted == 1 ? 3 : wanted - 1;
      if (target_weekday == 1) nearest = wanted == last ? wanted - 2 : wanted + 1;
      if (nearest == day) return true;
    }
    return false;
  }
  if (schedule.days_of_week.test(static_cast<size_t>(weekday))) return true;
  for (int wanted : schedule.last_day_of_week) {
    if (wanted == weekday && day + 7 > last) return true;
  }
  for (auto [wanted, nth] : schedule.nth_weekday) {
    if (wanted == weekday && (day - 1) / 7 + 1 == nth) return true;
  }
  return false;
}

// The first minute of the day at or after `from` (minutes since midnight) in the schedule.
std::optional<int> FirstTime(const Schedule& schedule, int from) {
  for (int hour = from / 60; hour < 24; ++hour) {
    if (!schedule.hours.test(static_cast<size_t>(hour))) continue;
    for (int minute = hour == from / 60 ? from % 60 : 0; minute < 60; ++minute) {
      if (schedule.minutes.test(static_cast<size_t>(minute))) return hour * 60 + minute;
    }
  }
  return std::nullopt;
}

}  // namespace

// Walks day by day, but skips whole years and months that the year and month fields exclude,
// so that even a schedule that fires once a year (or never again) costs at most a few
// thousand steps. Within a matching day the first matching minute is found directly.
Result<std::vector<chrono::system_clock::time_point>> NextScheduleTimes(
    std::string_view expression, chrono::system_clock::time_point after, int count) {
  if (count < 0) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("the number of schedule times must not be negative, got {}", count));
  }
  auto schedule = Parse(expression);
  if (!schedule) return std::unexpected(schedule.error());
  std::vector<chrono::system_clock::time_point> times;
  auto start = chrono::floor<chrono::minutes>(after) + chrono::minutes(1);
  chrono::sys_days day = chrono::floor<chrono::days>(start);
  int from = static_cast<int>((start - day) / chrono::minutes(1));
  constexpr chrono::sys_days kFirstDay =
      chrono::year_month_day(chrono::year(kFirstYear), chrono::January, chrono::day(1));
  if (day < kFirstDay) {
    day = kFirstDay;
    from = 0;
  }
  while (static_cast<int>(times.size()) < count) {
    chrono::year_month_day date(day);
    int year = static_cast<int>(date.year());
    if (year > kLastYear) break;
    if (!schedule->years.test(static_cast<size_t>(year))) {
      day = chrono::year_month_day(date.year() + chrono::years(1), chrono::January, chrono::day(1));
      from = 0;
      continue;
    }
    unsigned month = static_cast<unsigned>(date.month());
    if (!schedule->months.test(month)) {
      day = chrono::year_month_day(date.year(), date.month(), chrono::day(1)) + chrono::months(1);
      from = 0;
      continue;
    }
    std::optional<int> time;
    if (DayMatches(*schedule, date)) time = FirstTime(*schedule, from);
    if (!time) {
      day += chrono::days(1);
      from = 0;
      continue;
    }
    times.push_back(day + chrono::minutes(*time));
    from = *time + 1;
    if (from == 24 * 60) {
      day += chrono::days(1);
      from = 0;
    }
  }
  return times;
}

}  // namespace lockstep::triggers
