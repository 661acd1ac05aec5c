#include "http/request_id.h"

#include <gtest/gtest.h>

#include <string>

#include "http/json_error.h"

namespace lockstep::http {
namespace {

TEST(RequestIdTest, AcceptsTokensOfUpTo128SafeCharacters) {
  EXPECT_TRUE(IsValidRequestId("abc-DEF_012.9"));
  EXPECT_TRUE(IsValidRequestId(std::string(128, 'a')));
  EXPECT_FALSE(IsValidRequestId(std::string(129, 'a')));
  EXPECT_FALSE(IsValidRequestId(""));
  EXPECT_FALSE(IsValidRequestId("a b"));
  EXPECT_FALSE(IsValidRequestId("a\r\nX-Evil: 1"));
  EXPECT_FALSE(IsValidRequestId("caf\xc3\xa9"));
  EXPECT_FALSE(IsValidRequestId("a/b"));
}

TEST(RequestIdTest, NewIdsAre32HexDigitsAndDiffer) {
  std::string first = NewRequestId();
  std::string second = NewRequestId();
  EXPECT_EQ(first.size(), 32u);
  EXPECT_EQ(first.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(first, second);
}

TEST(RequestIdTest, KeepsAValidIncomingIdAndReplacesAnInvalidOne) {
  EXPECT_EQ(RequestIdFor("trace-42"), "trace-42");
  std::string replaced = RequestIdFor("no spaces please");
  EXPECT_EQ(replaced.size(), 32u);
}

TEST(JsonErrorTest, BodyCarriesStatusMessageAndRequestId) {
  EXPECT_EQ(JsonErrorBody(431, "request header fields too large", "id-1"),
            R"({"error":{"status":431,"message":"request header fields too large",)"
            R"("request_id":"id-1"}})");
  Response response = JsonErrorResponse(404, StatusMessage(404), "x");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.headers.Find("content-type"), "application/json");
  EXPECT_EQ(response.body, R"({"error":{"status":404,"message":"not found","request_id":"x"}})");
}

TEST(HeadersTest, NamesCompareWithoutCase) {
  Headers headers;
  headers.Add("Accept", "a");
  headers.Add("accept", "b");
  EXPECT_EQ(headers.Find("ACCEPT"), "a");
  headers.Set("AcCePt", "c");
  ASSERT_EQ(headers.fields().size(), 1u);
  EXPECT_EQ(headers.fields()[0].first, "AcCePt");
  EXPECT_EQ(headers.Remove("accept"), 1u);
  EXPECT_TRUE(headers.empty());
}

}  // namespace
}  // namespace lockstep::http
