#include "workflow/cron.h"

#include <gtest/gtest.h>

namespace lockstep::workflow {
namespace {

std::string ProblemOf(std::string_view expression) {
  auto problem = CheckCronExpression(expression);
  return problem ? std::to_string(problem->offset) + ": " + problem->message : "ok";
}

TEST(CronTest, AcceptsDocumentedExamples) {
  for (std::string_view expression :
       {"0 3 ? * MON-FRI *", "15 10 ? * 7 *", "0 0 ? * MON-FRI *", "0 2 * * ? *", "15 22 * * ? *",
        "0/30 22-2 ? * SAT-SUN *", "45 13 L * ? 2023-2027", "0 9 ? * 2#1 *", "0 9 ? JAN,JUL 6L *",
        "0 12 15W * ? *", "0 8 1 jan ? *"}) {
    EXPECT_EQ(ProblemOf(expression), "ok") << expression;
  }
}

TEST(CronTest, RejectsWrongFieldCount) {
  EXPECT_EQ(ProblemOf("0 3 * * ?"),
            "0: expected 6 fields (minutes hours day-of-month month day-of-week year), found 5");
}

TEST(CronTest, RejectsOutOfRangeValuesWithTheirOffset) {
  EXPECT_EQ(ProblemOf("0 24 ? * MON *"), "2: invalid hours value '24': expected 0-23");
  EXPECT_EQ(ProblemOf("0 3 ? * MON-FRY *"),
            "12: invalid day-of-week value 'FRY': expected 1-7 or SUN-SAT");
  EXPECT_EQ(ProblemOf("0 3 ? 13 MON *"), "6: invalid month value '13': expected 1-12 or JAN-DEC");
  EXPECT_EQ(ProblemOf("0 3 ? * MON 1969"), "12: invalid year value '1969': expected 1970-2199");
}

TEST(CronTest, RequiresExactlyOneQuestionMarkDay) {
  EXPECT_EQ(ProblemOf("0 3 * * * *"),
            "4: set either day-of-month or day-of-week, and '?' in the other");
  EXPECT_EQ(ProblemOf("0 3 ? * ? *"),
            "4: day-of-month and day-of-week are both '?'; set one of them");
  EXPECT_EQ(ProblemOf("0 ? * * ? *"), "2: '?' is only allowed in day-of-month and day-of-week");
}

TEST(CronTest, RejectsCharactersAFieldDoesNotAllow) {
  EXPECT_EQ(ProblemOf("0 3 ? * MON/2 *"), "11: '/' is not allowed in day-of-week");
  EXPECT_EQ(ProblemOf("0 3 ? * 2#1,3#2 *"), "12: '#' may appear only once in day-of-week");
  EXPECT_EQ(ProblemOf("0 3 ? * 2#6 *"), "10: invalid '#' in '2#6': expected a week number 1-5");
  EXPECT_EQ(ProblemOf("0 L ? * MON *"), "2: 'L' is not allowed in hours");
}

TEST(CronTest, RejectsSchedulesMoreFrequentThanThirtyMinutes) {
  EXPECT_EQ(
      ProblemOf("*/5 * * * ? *"),
      "0: runs 5 minutes apart; CodeCatalyst needs at least 30 minutes between scheduled runs");
  EXPECT_EQ(
      ProblemOf("0,45 * * * ? *"),
      "0: runs 15 minutes apart; CodeCatalyst needs at least 30 minutes between scheduled runs");
  EXPECT_EQ(ProblemOf("0,45 9 * * ? *"), "ok");
}

TEST(CronTest, RejectsTheCronWrapper) {
  EXPECT_EQ(ProblemOf("cron(0 3 ? * MON *)"), "0: write the six cron fields without 'cron(…)'");
}

}  // namespace
}  // namespace lockstep::workflow
