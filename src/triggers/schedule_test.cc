#include "triggers/schedule.h"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace lockstep::triggers {
namespace {

namespace chrono = std::chrono;
using Times = std::vector<std::string>;

chrono::system_clock::time_point At(int year, unsigned month, unsigned day, int hour, int minute,
                                    int second = 0) {
  return chrono::sys_days(chrono::year(year) / chrono::month(month) / chrono::day(day)) +
         chrono::hours(hour) + chrono::minutes(minute) + chrono::seconds(second);
}

// "YYYY-MM-DD Www HH:MM" in UTC, with the weekday so that tests show what they claim.
std::string Format(chrono::system_clock::time_point time) {
  static constexpr const char* kNames[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  auto day = chrono::floor<chrono::days>(time);
  chrono::year_month_day date(day);
  auto minutes = chrono::duration_cast<chrono::minutes>(time - day).count();
  return fmt::format("{:04}-{:02}-{:02} {} {:02}:{:02}", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     kNames[chrono::weekday(day).c_encoding()], minutes / 60, minutes % 60);
}

Times Next(std::string_view expression, chrono::system_clock::time_point after, int count) {
  auto times = NextScheduleTimes(expression, after, count);
  if (!times) return {"error: " + times.error().message()};
  Times out;
  for (auto time : *times) out.push_back(Format(time));
  return out;
}

TEST(ScheduleTest, WeekdayMornings) {
  // 2026-12-04 is a Friday: its 09:00 has passed, so the weekend is skipped.
  EXPECT_EQ(Next("0 9 ? * MON-FRI *", At(2026, 12, 4, 18, 43), 6),
            (Times{"2026-12-07 Mon 09:00", "2026-12-08 Tue 09:00", "2026-12-09 Wed 09:00",
                   "2026-12-10 Thu 09:00", "2026-12-11 Fri 09:00", "2026-12-14 Mon 09:00"}));
}

TEST(ScheduleTest, DailyAndMonthlySchedules) {
  EXPECT_EQ(Next("15 22 * * ? *", At(2026, 2, 28, 22, 15), 2),
            (Times{"2026-03-01 Sun 22:15", "2026-03-02 Mon 22:15"}));
  EXPECT_EQ(Next("0 8 1 * ? *", At(2026, 11, 15, 0, 0), 3),
            (Times{"2026-12-01 Tue 08:00", "2027-01-01 Fri 08:00", "2027-02-01 Mon 08:00"}));
}

TEST(ScheduleTest, EveryHalfHourAcrossTheYearBoundary) {
  EXPECT_EQ(Next("0/30 * * * ? *", At(2026, 12, 31, 23, 10), 3),
            (Times{"2026-12-31 Thu 23:30", "2027-01-01 Fri 00:00", "2027-01-01 Fri 00:30"}));
}

TEST(ScheduleTest, StartsStrictlyAfterTheGivenTime) {
  EXPECT_EQ(Next("0/30 * * * ? *", At(2026, 1, 1, 10, 30), 1), (Times{"2026-01-01 Thu 11:00"}));
  EXPECT_EQ(Next("0/30 * * * ? *", At(2026, 1, 1, 10, 29, 59), 1), (Times{"2026-01-01 Thu 10:30"}));
}

TEST(ScheduleTest, LastDayOfMonthInLeapAndCommonYears) {
  EXPECT_EQ(Next("15 10 L * ? *", At(2028, 2, 1, 0, 0), 3),
            (Times{"2028-02-29 Tue 10:15", "2028-03-31 Fri 10:15", "2028-04-30 Sun 10:15"}));
  EXPECT_EQ(Next("15 10 L * ? *", At(2027, 2, 1, 0, 0), 1), (Times{"2027-02-28 Sun 10:15"}));
}

TEST(ScheduleTest, LeapDayOnlyInLeapYears) {
  EXPECT_EQ(Next("0 0 29 FEB ? *", At(2026, 3, 1, 0, 0), 2),
            (Times{"2028-02-29 Tue 00:00", "2032-02-29 Sun 00:00"}));
}

TEST(ScheduleTest, YearFieldEndsTheSchedule) {
  EXPECT_EQ(Next("0 12 1 JAN ? 2030-2031", At(2026, 12, 4, 0, 0), 3),
            (Times{"2030-01-01 Tue 12:00", "2031-01-01 Wed 12:00"}));
  EXPECT_EQ(Next("45 13 L * ? 2023-2027", At(2027, 11, 1, 0, 0), 5),
            (Times{"2027-11-30 Tue 13:45", "2027-12-31 Fri 13:45"}));
}

TEST(ScheduleTest, ImpossibleDateGivesNoTimesQuickly) {
  auto start = chrono::steady_clock::now();
  EXPECT_EQ(Next("0 0 31 2 ? *", At(2026, 1, 1, 0, 0), 1), Times{});
  EXPECT_LT(chrono::steady_clock::now() - start, chrono::milliseconds(500));
}

TEST(ScheduleTest, WrappingRangesOfHoursAndDays) {
  // SAT-SUN wraps past the end of the week, 22-2 past midnight.
  EXPECT_EQ(Next("0/30 22-2 ? * SAT-SUN *", At(2026, 12, 5, 2, 0), 5),
            (Times{"2026-12-05 Sat 02:30", "2026-12-05 Sat 22:00", "2026-12-05 Sat 22:30",
                   "2026-12-05 Sat 23:00", "2026-12-05 Sat 23:30"}));
  EXPECT_EQ(Next("0 1 ? * SAT-SUN *", At(2026, 12, 5, 2, 0), 3),
            (Times{"2026-12-06 Sun 01:00", "2026-12-12 Sat 01:00", "2026-12-13 Sun 01:00"}));
}

TEST(ScheduleTest, ListsStepsAndNamesInLowerCase) {
  EXPECT_EQ(Next("5,35 8-16/4 1 jan,jul ? *", At(2026, 12, 4, 0, 0), 7),
            (Times{"2027-01-01 Fri 08:05", "2027-01-01 Fri 08:35", "2027-01-01 Fri 12:05",
                   "2027-01-01 Fri 12:35", "2027-01-01 Fri 16:05", "2027-01-01 Fri 16:35",
                   "2027-07-01 Thu 08:05"}));
}

TEST(ScheduleTest, NthWeekdayOfMonth) {
  // 2#1: the first Monday (December 2026 starts on a Tuesday, January 2027 on a Friday).
  EXPECT_EQ(Next("0 9 ? * 2#1 *", At(2026, 12, 4, 0, 0), 3),
            (Times{"2026-12-07 Mon 09:00", "2027-01-04 Mon 09:00", "2027-02-01 Mon 09:00"}));
  // 6#5: the fifth Friday, which most months do not have.
  EXPECT_EQ(Next("0 9 ? * FRI#5 *", At(2027, 1, 1, 0, 0), 2),
            (Times{"2027-01-29 Fri 09:00", "2027-04-30 Fri 09:00"}));
}

TEST(ScheduleTest, LastWeekdayOfMonth) {
  // 6L: the last Friday, in January and July only.
  EXPECT_EQ(Next("0 9 ? JAN,JUL 6L *", At(2026, 12, 4, 0, 0), 2),
            (Times{"2027-01-29 Fri 09:00", "2027-07-30 Fri 09:00"}));
}

TEST(ScheduleTest, LInDayOfWeekMeansSaturday) {
  EXPECT_EQ(Next("0 9 ? * L *", At(2026, 12, 4, 0, 0), 2),
            (Times{"2026-12-05 Sat 09:00", "2026-12-12 Sat 09:00"}));
}

TEST(ScheduleTest, NearestWeekdayStaysInTheMonth) {
  EXPECT_EQ(Next("0 12 15W * ? *", At(2027, 4, 1, 0, 0), 5),
            (Times{"2027-04-15 Thu 12:00", "2027-05-14 Fri 12:00", "2027-06-15 Tue 12:00",
                   "2027-07-15 Thu 12:00", "2027-08-16 Mon 12:00"}));
  // The 1st on a Saturday moves forward to Monday the 3rd, not back into March.
  EXPECT_EQ(Next("0 12 1W * ? *", At(2028, 3, 15, 0, 0), 2),
            (Times{"2028-04-03 Mon 12:00", "2028-05-01 Mon 12:00"}));
  // The 30th of April 2028, the month's last day, is a Sunday: back to Friday the 28th.
  EXPECT_EQ(Next("0 12 30W 4 ? 2028", At(2028, 1, 1, 0, 0), 2), (Times{"2028-04-28 Fri 12:00"}));
}

TEST(ScheduleTest, LastWeekdayOfTheMonth) {
  EXPECT_EQ(Next("0 18 LW * ? *", At(2026, 12, 4, 0, 0), 3),
            (Times{"2026-12-31 Thu 18:00", "2027-01-29 Fri 18:00", "2027-02-26 Fri 18:00"}));
}

TEST(ScheduleTest, RejectsInvalidExpressionsWithTheValidatorsMessage) {
  EXPECT_EQ(Next("0 3 * * * *", At(2026, 1, 1, 0, 0), 1),
            (Times{"error: invalid schedule '0 3 * * * *': set either day-of-month or "
                   "day-of-week, and '?' in the other"}));
  auto negative = NextScheduleTimes("0 3 ? * MON *", At(2026, 1, 1, 0, 0), -1);
  ASSERT_FALSE(negative.has_value());
  EXPECT_EQ(negative.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(negative.error().message(),
            "the number of schedule times must not be negative, got -1");
}

TEST(ScheduleTest, ZeroCountGivesNoTimes) {
  EXPECT_EQ(Next("0 3 ? * MON *", At(2026, 1, 1, 0, 0), 0), Times{});
}

TEST(ScheduleTest, ManyTimesAreFast) {
  auto start = chrono::steady_clock::now();
  auto times = NextScheduleTimes("0/30 * * * ? *", At(2026, 1, 1, 0, 0), 20000);
  ASSERT_TRUE(times.has_value());
  ASSERT_EQ(times->size(), 20000u);
  EXPECT_EQ(Format(times->back()), "2027-02-21 Sun 16:00");
  EXPECT_LT(chrono::steady_clock::now() - start, chrono::milliseconds(500));
}

}  // namespace
}  // namespace lockstep::triggers
