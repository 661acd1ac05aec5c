#include "engine/http_checks.h"

#include <gtest/gtest.h>

namespace lockstep::engine {
namespace {

using std::chrono::milliseconds;

std::string ParseError(std::string_view json, const std::vector<std::string>& given = {}) {
  Result<CheckSuite> suite = ParseCheckSuite(json, given);
  return suite ? std::string("parsed") : suite.error().message();
}

HttpCheck Check(std::string path, int status = 200) {
  HttpCheck check;
  check.path = std::move(path);
  check.expect_status = status;
  return check;
}

TEST(ParseCheckSuiteTest, ReadsEveryKeyAndDefaults) {
  Result<CheckSuite> suite = ParseCheckSuite(R"({
    "BaseUrl": "http://127.0.0.1:8080/api", "Deadline": "5s", "Interval": "200ms",
    "Checks": [
      {"Name": "create", "Method": "POST", "Path": "/people",
       "Headers": {"Content-Type": "application/json"}, "Body": "{\"first_name\":\"Ada\"}",
       "ExpectStatus": 201, "ExpectBody": "Ada",
       "ExpectJson": {"/first_name": "Ada", "/age": 36, "/admin": false, "/note": null},
       "Capture": {"PERSON_ID": "/id"}},
      {"Path": "/people/${PERSON_ID}", "ExpectStatus": 200}
    ]})");
  ASSERT_TRUE(suite.has_value()) << suite.error().message();
  EXPECT_EQ(suite->base_url, "http://127.0.0.1:8080/api");
  EXPECT_EQ(suite->deadline, milliseconds(5000));
  EXPECT_EQ(suite->interval, milliseconds(200));
  ASSERT_EQ(suite->checks.size(), 2u);
  const HttpCheck& create = suite->checks[0];
  EXPECT_EQ(create.Label(), "create");
  EXPECT_EQ(create.method, "POST");
  EXPECT_EQ(create.body, "{\"first_name\":\"Ada\"}");
  EXPECT_EQ(create.headers, (std::vector<NameValue>{{"Content-Type", "application/json"}}));
  EXPECT_EQ(create.expect_status, 201);
  EXPECT_EQ(create.expect_body, "Ada");
  EXPECT_EQ(
      create.expect_json,
      (std::vector<NameValue>{
          {"/first_name", "\"Ada\""}, {"/age", "36"}, {"/admin", "false"}, {"/note", "null"}}));
  EXPECT_EQ(create.captures, (std::vector<NameValue>{{"PERSON_ID", "/id"}}));
  const HttpCheck& read = suite->checks[1];
  EXPECT_EQ(read.Label(), "GET /people/${PERSON_ID}");
  EXPECT_EQ(read.expect_body, std::nullopt);

  Result<CheckSuite> minimal =
      ParseCheckSuite(R"({"Checks": [{"Path": "/", "ExpectStatus": 204}]})");
  ASSERT_TRUE(minimal.has_value()) << minimal.error().message();
  EXPECT_EQ(minimal->base_url, "");
  EXPECT_EQ(minimal->deadline, milliseconds(30'000));
  EXPECT_EQ(minimal->interval, milliseconds(1'000));
}

TEST(ParseCheckSuiteTest, NamesTheCheckAndTheKeyInErrors) {
  EXPECT_EQ(ParseError("{"), "not valid JSON: syntax error at byte 2");
  EXPECT_EQ(ParseError("[]"), "expected a JSON object with 'Checks'");
  EXPECT_EQ(ParseError(R"({"Checks": []})"), "'Checks' must be a list of at least one check");
  EXPECT_EQ(ParseError(R"({"Check": []})"),
            "unknown key 'Check' (expected BaseUrl, Deadline, Interval or Checks)");
  EXPECT_EQ(ParseError(R"({"Deadline": "soon", "Checks": [{"Path": "/", "ExpectStatus": 200}]})"),
            "'Deadline': invalid duration 'soon': expected a whole number and a unit, like 500ms, "
            "30s, 2m or 1h");
  EXPECT_EQ(ParseError(R"({"Checks": [{"Path": "/", "ExpectStatus": 200, "Expect": 1}]})"),
            "check 1 (GET /): unknown key 'Expect'");
  EXPECT_EQ(ParseError(R"({"Checks": [{"ExpectStatus": 200}]})"), "check 1: 'Path' is required");
  EXPECT_EQ(
      ParseError(R"({"Checks": [{"Name": "health", "Path": "health", "ExpectStatus": 200}]})"),
      "check 1 (health): 'Path' must start with '/'");
  EXPECT_EQ(ParseError(R"({"Checks": [{"Path": "/", "Method": "GE T", "ExpectStatus": 200}]})"),
            "check 1 (GE T /): 'Method' 'GE T' is not an HTTP method");
  EXPECT_EQ(ParseError(R"({"Checks": [{"Path": "/"}]})"),
            "check 1 (GET /): 'ExpectStatus' is required");
  EXPECT_EQ(ParseError(R"({"Checks": [{"Path": "/", "ExpectStatus": "200"}]})"),
            "check 1 (GET /): 'ExpectStatus' must be a whole number from 100 to 599");
  EXPECT_EQ(ParseError(R"({"Checks": [{"Path": "/", "ExpectStatus": 200, "Body": 1}]})"),
            "check 1 (GET /): 'Body' must be a string");
  EXPECT_EQ(
      ParseError(R"({"Checks": [{"Path": "/", "ExpectStatus": 200, "Headers": {"X-A": 1}}]})"),
      "check 1 (GET /): 'Headers': the value of 'X-A' must be a string");
  EXPECT_EQ(
      ParseError(R"({"Checks": [{"Path": "/", "ExpectStatus": 200, "ExpectJson": {"id": 1}}]})"),
      "check 1 (GET /): 'ExpectJson': 'id' is not a JSON pointer (like /name or "
      "/items/0/id)");
  EXPECT_EQ(
      ParseError(R"({"Checks": [{"Path": "/", "ExpectStatus": 200, "ExpectJson": {"/a": [1]}}]})"),
      "check 1 (GET /): 'ExpectJson': the value for '/a' must be a string, number, boolean or "
      "null");
  EXPECT_EQ(
      ParseError(R"({"Checks": [{"Path": "/", "ExpectStatus": 200, "Capture": {"1D": "/id"}}]})"),
      "check 1 (GET /): 'Capture': '1D' is not a variable name (letters, digits and '_', not "
      "starting with a digit)");
  EXPECT_EQ(ParseError(R"({"Checks": [{"Path": "/", "ExpectStatus": 200,
                                      "Capture": {"TOKEN": "/token"}}]})",
                       {"TOKEN"}),
            "check 1 (GET /): 'Capture': 'TOKEN' is given from outside and cannot be captured");
}

TEST(ParseCheckSuiteTest, AVariableMustBeCapturedByAnEarlierCheckOrGiven) {
  // Used in the check that captures it: too early.
  EXPECT_EQ(ParseError(R"({"Checks": [
              {"Path": "/people/${ID}", "ExpectStatus": 200, "Capture": {"ID": "/id"}}]})"),
            "check 1 (GET /people/${ID}): ${ID} is not captured by an earlier check");
  EXPECT_EQ(ParseError(R"({"Checks": [
              {"Path": "/people", "ExpectStatus": 201, "Capture": {"ID": "/id"}},
              {"Name": "read", "Path": "/people/1", "ExpectStatus": 200,
               "Headers": {"Authorization": "Bearer ${TOKEN}"}}]})"),
            "check 2 (read): ${TOKEN} is not captured by an earlier check");
  EXPECT_EQ(ParseError(R"({"Checks": [
              {"Path": "/people", "ExpectStatus": 201, "Capture": {"ID": "/id"}},
              {"Path": "/people/${ID}", "ExpectStatus": 200, "ExpectBody": "${ID}",
               "Headers": {"Authorization": "Bearer ${TOKEN}"}}]})",
                       {"TOKEN"}),
            "parsed");
  // Text that is not a variable name is kept as written.
  EXPECT_EQ(ParseError(R"({"Checks": [{"Path": "/a${b.c}${}", "ExpectStatus": 200}]})"), "parsed");
}

TEST(CheckSuiteToJsonTest, WritesWhatParseCheckSuiteReadsBack) {
  CheckSuite suite;
  suite.base_url = "http://localhost:1";
  suite.deadline = milliseconds(1500);
  HttpCheck check = Check("/people", 201);
  check.name = "create \"quoted\"\nname";
  check.method = "POST";
  check.body = "{\"a\":1}";
  check.headers = {{"X-A", "1"}};
  check.expect_body = "Ada";
  check.expect_json = {{"/n", "1.5"}, {"/s", "\"x\""}};
  check.captures = {{"ID", "/id"}};
  suite.checks.push_back(check);
  std::string json = CheckSuiteToJson(suite);
  EXPECT_EQ(json.find('\n'), std::string::npos) << json;
  Result<CheckSuite> back = ParseCheckSuite(json);
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_EQ(back->base_url, suite.base_url);
  EXPECT_EQ(back->deadline, milliseconds(1500));
  EXPECT_EQ(back->interval, suite.interval);
  ASSERT_EQ(back->checks.size(), 1u);
  EXPECT_EQ(back->checks[0].name, check.name);
  EXPECT_EQ(back->checks[0].method, "POST");
  EXPECT_EQ(back->checks[0].body, check.body);
  EXPECT_EQ(back->checks[0].headers, check.headers);
  EXPECT_EQ(back->checks[0].expect_body, check.expect_body);
  EXPECT_EQ(back->checks[0].expect_json, check.expect_json);
  EXPECT_EQ(back->checks[0].captures, check.captures);
}

TEST(PrepareRequestTest, SubstitutesVariablesAndEncodesThemInThePath) {
  HttpCheck check = Check("/people/${ID}/notes?tag=${TAG}");
  check.method = "PUT";
  check.body = "{\"id\":\"${ID}\",\"keep\":\"${HOME:-x}\"}";
  check.headers = {{"Authorization", "Bearer ${TOKEN}"}};
  Variables variables = {{"ID", "a/../b c"}, {"TAG", "x&y"}, {"TOKEN", "t0k3n"}};
  Result<CheckRequest> request = PrepareRequest(check, variables);
  ASSERT_TRUE(request.has_value()) << request.error().message();
  EXPECT_EQ(request->method, "PUT");
  EXPECT_EQ(request->target, "/people/a%2F..%2Fb%20c/notes?tag=x%26y");
  EXPECT_EQ(request->body, "{\"id\":\"a/../b c\",\"keep\":\"${HOME:-x}\"}");
  EXPECT_EQ(request->headers, (std::vector<NameValue>{{"Authorization", "Bearer t0k3n"}}));

  Result<CheckRequest> missing = PrepareRequest(check, {{"ID", "1"}});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message(), "${TAG} is not set");
}

TEST(EvaluateResponseTest, PassesWhenEverythingMatchesAndCaptures) {
  HttpCheck check = Check("/people", 201);
  check.expect_body = "Ada";
  check.expect_json = {{"/first_name", "\"Ada\""}, {"/age", "36"},    {"/score", "1"},
                       {"/admin", "false"},        {"/note", "null"}, {"/tags/1", "\"b\""}};
  check.captures = {{"ID", "/id"}, {"NAME", "/first_name"}, {"ADMIN", "/admin"}};
  CheckVerdict verdict =
      EvaluateResponse(check, {}, 201,
                       R"({"id": 42, "first_name": "Ada", "age": 36, "score": 1.0, "admin": false,
          "note": null, "tags": ["a", "b"]})");
  EXPECT_TRUE(verdict.passed) << verdict.failure;
  EXPECT_EQ(verdict.failure, "");
  EXPECT_EQ(verdict.captured, (Variables{{"ADMIN", "false"}, {"ID", "42"}, {"NAME", "Ada"}}));
}

TEST(EvaluateResponseTest, SaysWhatWasExpectedAndWhatCame) {
  HttpCheck check = Check("/people", 201);
  CheckVerdict verdict = EvaluateResponse(check, {}, 503, R"({"error":"starting"})");
  EXPECT_FALSE(verdict.passed);
  EXPECT_EQ(verdict.failure, R"(expected status 201, got 503; body: {"error":"starting"})");

  check.expect_body = "Grace ${ID}";
  verdict = EvaluateResponse(check, {{"ID", "7"}}, 201, "Grace 8");
  EXPECT_EQ(verdict.failure, "expected the body to contain \"Grace ${ID}\"; body: Grace 8");
  verdict = EvaluateResponse(check, {{"ID", "7"}}, 201, "Grace 7");
  EXPECT_TRUE(verdict.passed) << verdict.failure;

  check.expect_body.reset();
  check.expect_json = {{"/id", "42"}};
  verdict = EvaluateResponse(check, {}, 201, "<html>oops</html>");
  EXPECT_EQ(verdict.failure, "expected a JSON body; body: <html>oops</html>");
  verdict = EvaluateResponse(check, {}, 201, R"({"id": "42"})");
  EXPECT_EQ(verdict.failure, R"(expected 42 at /id, found "42"; body: {"id": "42"})");
  verdict = EvaluateResponse(check, {}, 201, R"({"name": "x"})");
  EXPECT_EQ(verdict.failure,
            R"(expected 42 at /id, but the body has nothing there; body: {"name": "x"})");
  verdict = EvaluateResponse(check, {}, 201, R"([1])");
  EXPECT_EQ(verdict.failure, "expected 42 at /id, but the body has nothing there; body: [1]");

  check.expect_json = {{"/items/5/id", "1"}};
  verdict = EvaluateResponse(check, {}, 201, R"({"items": [{"id": 1}]})");
  EXPECT_EQ(verdict.failure, R"(expected 1 at /items/5/id, but the body has nothing there; )"
                             R"(body: {"items": [{"id": 1}]})");
  check.expect_json = {{"/items/0/id", "-1"}};
  verdict = EvaluateResponse(check, {}, 201, R"({"items": [{"id": 18446744073709551615}]})");
  EXPECT_FALSE(verdict.passed);

  check.expect_json.clear();
  check.captures = {{"ITEM", "/items"}};
  verdict = EvaluateResponse(check, {}, 201, R"({"items": []})");
  EXPECT_EQ(verdict.failure,
            R"(/items holds a list, not a scalar to capture as ITEM; body: {"items": []})");
  EXPECT_TRUE(verdict.captured.empty());
  check.captures = {{"ID", "/id"}};
  verdict = EvaluateResponse(check, {}, 201, R"({})");
  EXPECT_EQ(verdict.failure, "nothing at /id to capture as ID; body: {}");
}

TEST(BodyExcerptTest, KeepsOneBoundedPrintableLine) {
  EXPECT_EQ(BodyExcerpt(""), "(empty)");
  EXPECT_EQ(BodyExcerpt("a\nb\r\tc\x01"), "a\\nb\\r\\tc\\x01");
  std::string long_body(1000, 'x');
  EXPECT_EQ(BodyExcerpt(long_body), std::string(300, 'x') + "… (1000 bytes)");
  // "é" is two bytes; a cut between them backs off to before it.
  EXPECT_EQ(BodyExcerpt("abcé", 4), "abc… (5 bytes)");
  EXPECT_EQ(BodyExcerpt("abcé", 5), "abcé");
}

}  // namespace
}  // namespace lockstep::engine
