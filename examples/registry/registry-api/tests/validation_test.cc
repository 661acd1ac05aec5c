#include "validation.h"

#include <gtest/gtest.h>

namespace registry {
namespace {

using namespace std::chrono;
using nlohmann::json;

constexpr year_month_day kToday{year(2026), month(12), day(5)};

json Valid() {
  return {{"first_name", "Ada"},
          {"last_name", "Lovelace"},
          {"email", "ada@example.org"},
          {"date_of_birth", "1815-12-10"},
          {"address", "London"}};
}

TEST(ValidationTest, AcceptsAValidPersonAndIgnoresReadOnlyFields) {
  json body = Valid();
  body["id"] = 7;
  body["created_at"] = "whenever";
  PersonFields fields;
  Validation v = ParseFields(body, kToday, &fields);
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(fields.first_name, "Ada");
  EXPECT_EQ(fields.address, "London");
}

TEST(ValidationTest, NamesEveryMissingOrInvalidField) {
  json body = {{"first_name", " "}, {"email", "not-an-email"}, {"date_of_birth", "2023-02-29"}};
  PersonFields fields;
  Validation v = ParseFields(body, kToday, &fields);
  EXPECT_TRUE(v.type_errors.empty());
  EXPECT_EQ(v.value_errors, (FieldErrors{{"first_name", "is required"},
                                         {"last_name", "is required"},
                                         {"email", "must be an email address"},
                                         {"date_of_birth", "must be a date as YYYY-MM-DD"}}));
}

TEST(ValidationTest, DateOfBirthMustNotBeInTheFuture) {
  json body = Valid();
  body["date_of_birth"] = "2026-12-06";
  PersonFields fields;
  EXPECT_EQ(ParseFields(body, kToday, &fields).value_errors,
            (FieldErrors{{"date_of_birth", "must not be in the future"}}));
  body["date_of_birth"] = "2026-12-05";
  EXPECT_TRUE(ParseFields(body, kToday, &fields).ok());
}

TEST(ValidationTest, WrongTypesAndUnknownFieldsAreTypeErrors) {
  json body = Valid();
  body["email"] = 42;
  body["nickname"] = "Ada";
  PersonFields fields;
  Validation v = ParseFields(body, kToday, &fields);
  EXPECT_EQ(v.type_errors, (FieldErrors{{"email", "must be a string"},
                                        {"nickname", "is not a field of a person"}}));
  EXPECT_EQ(ParseFields(json::array(), kToday, &fields).type_errors,
            (FieldErrors{{"body", "must be a JSON object"}}));
}

TEST(ValidationTest, PatchMergesAndNullClearsOptionalFields) {
  PersonFields fields;
  ASSERT_TRUE(ParseFields(Valid(), kToday, &fields).ok());
  Validation v = PatchFields({{"last_name", "King"}, {"address", nullptr}}, kToday, &fields);
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(fields.first_name, "Ada");
  EXPECT_EQ(fields.last_name, "King");
  EXPECT_FALSE(fields.address);
  // A required field cannot be cleared; the person is left as it was.
  v = PatchFields({{"email", nullptr}}, kToday, &fields);
  EXPECT_EQ(v.value_errors, (FieldErrors{{"email", "is required"}}));
  EXPECT_EQ(fields.email, "ada@example.org");
}

TEST(ValidationTest, EmailAndDateShapes) {
  EXPECT_TRUE(IsEmailAddress("a.b+c@mail.example.org"));
  EXPECT_FALSE(IsEmailAddress("a@b"));
  EXPECT_FALSE(IsEmailAddress("@example.org"));
  EXPECT_FALSE(IsEmailAddress("a@@example.org"));
  EXPECT_FALSE(IsEmailAddress("a b@example.org"));
  EXPECT_FALSE(IsEmailAddress("a@example..org"));
  year_month_day date;
  EXPECT_TRUE(IsCalendarDate("2024-02-29", &date));
  EXPECT_FALSE(IsCalendarDate("2023-02-29", &date));
  EXPECT_FALSE(IsCalendarDate("2024-13-01", &date));
  EXPECT_FALSE(IsCalendarDate("2024-1-01", &date));
  EXPECT_FALSE(IsCalendarDate("12/05/2026", &date));
}

}  // namespace
}  // namespace registry
