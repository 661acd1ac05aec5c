// `lockstep verify` against real HTTP servers started by the test: passing checks, a failure
// with a clear message, retries until the server becomes right, captures and substitution,
// and where the base URL comes from.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>

#include "run_binary.h"
#include "server/instance.h"
#include "temp_dir.h"
#include "test_http_server.h"

namespace lockstep {
namespace {

using testing::CommandOutput;
using testing::TempDir;
using testing::TestHttpServer;

http::Response Json(int status, std::string body) {
  http::Response response;
  response.status = status;
  response.headers.Set("Content-Type", "application/json");
  response.body = std::move(body);
  return response;
}

class CliVerifyTest : public ::testing::Test {
 protected:
  // Writes the checks file and runs `lockstep verify --checks checks.json ARGS…`.
  CommandOutput Verify(const std::string& checks, std::vector<std::string> arguments = {},
                       std::vector<std::string> environment = {}) {
    dir_.Write("checks.json", checks);
    arguments.insert(arguments.begin(), {"verify", "--checks", "checks.json"});
    environment.push_back("LOCKSTEP_HOME=" + (dir_.path() / "state").string());
    return testing::RunLockstep(arguments, dir_.path(), environment);
  }

  TempDir dir_;
};

TEST_F(CliVerifyTest, PassesAndPrintsEachCheck) {
  TestHttpServer server([](const http::Request& request) {
    if (request.head.target == "/api/health") return Json(200, R"({"status":"ok"})");
    return Json(404, R"({"error":"not found"})");
  });
  CommandOutput out = Verify(R"({"Checks": [
      {"Path": "/health", "ExpectStatus": 200, "ExpectJson": {"/status": "ok"}},
      {"Name": "unknown paths are 404", "Path": "/nothing", "ExpectStatus": 404}]})",
                             {"--base-url", server.url() + "/api"});
  EXPECT_EQ(out.exit_code, 0) << out.out << out.err;
  EXPECT_EQ(out.err, "");
  EXPECT_NE(out.out.find(fmt::format("verify: 2 checks against {}/api (deadline 30s, retry every "
                                     "1s)\n",
                                     server.url())),
            std::string::npos)
      << out.out;
  EXPECT_NE(out.out.find("  ok      GET /health  (200, 1 attempt, "), std::string::npos) << out.out;
  EXPECT_NE(out.out.find("  ok      unknown paths are 404  (404, 1 attempt, "), std::string::npos)
      << out.out;
  EXPECT_TRUE(out.out.ends_with("2 checks passed\n")) << out.out;
}

TEST_F(CliVerifyTest, FailsWithAClearMessageAndRunsNothingAfter) {
  std::atomic<int> after = 0;
  TestHttpServer server([&](const http::Request& request) {
    if (request.head.target == "/after") ++after;
    return Json(500, R"({"error":"database is locked"})");
  });
  CommandOutput out = Verify(
      R"({"Deadline": "300ms", "Interval": "100ms", "Checks": [
          {"Name": "list people", "Path": "/people", "ExpectStatus": 200},
          {"Path": "/after", "ExpectStatus": 500}]})",
      {"--base-url", server.url()});
  EXPECT_EQ(out.exit_code, 1) << out.out << out.err;
  EXPECT_TRUE(out.err.starts_with("lockstep: error: check 'list people' failed after ")) << out.err;
  EXPECT_TRUE(
      out.err.ends_with(R"(: expected status 200, got 500; body: {"error":"database is locked"})"
                        "\n"))
      << out.err;
  EXPECT_NE(out.out.find("  FAILED  list people  (500, "), std::string::npos) << out.out;
  EXPECT_NE(out.out.find("  -       GET /after\n"), std::string::npos) << out.out;
  EXPECT_EQ(after.load(), 0);
}

TEST_F(CliVerifyTest, RetriesUntilTheServerBecomesRightWithinTheDeadline) {
  std::atomic<int> requests = 0;
  TestHttpServer server([&](const http::Request&) {
    // A deploy in progress: not ready for the first three requests.
    if (++requests <= 3) return Json(503, R"({"status":"starting"})");
    return Json(200, R"({"status":"ok","release":"r2"})");
  });
  CommandOutput out = Verify(
      R"({"Deadline": "20s", "Interval": "50ms", "Checks": [
          {"Path": "/health", "ExpectStatus": 200, "ExpectJson": {"/release": "r2"}}]})",
      {"--base-url", server.url(), "--json"});
  ASSERT_EQ(out.exit_code, 0) << out.out << out.err;
  nlohmann::json result = nlohmann::json::parse(out.out);
  EXPECT_EQ(result["passed"], true);
  EXPECT_EQ(result["base_url"], server.url());
  ASSERT_EQ(result["checks"].size(), 1u);
  EXPECT_EQ(result["checks"][0]["name"], "GET /health");
  EXPECT_EQ(result["checks"][0]["result"], "passed");
  EXPECT_EQ(result["checks"][0]["attempts"], 4);
  EXPECT_EQ(result["checks"][0]["status"], 200);
  EXPECT_EQ(requests.load(), 4);
}

TEST_F(CliVerifyTest, CapturesValuesAndSubstitutesThemAndVariablesFromTheEnvironment) {
  std::mutex mutex;
  std::vector<std::string> seen;
  TestHttpServer server([&](const http::Request& request) {
    std::lock_guard lock(mutex);
    seen.push_back(request.head.method + " " + request.head.target + " " +
                   std::string(request.head.headers.Find("Authorization").value_or("")) + " " +
                   request.body);
    if (request.head.method == "POST") return Json(201, R"({"id":"p-17","first_name":"Ada"})");
    if (request.head.target == "/people/p-17") return Json(200, R"({"first_name":"Ada"})");
    return Json(404, "{}");
  });
  CommandOutput out =
      Verify(R"({"Checks": [
      {"Name": "create", "Method": "POST", "Path": "/people",
       "Headers": {"Authorization": "Bearer ${API_TOKEN}"},
       "Body": "{\"first_name\":\"Ada\"}", "ExpectStatus": 201, "Capture": {"PERSON_ID": "/id"}},
      {"Name": "read", "Path": "/people/${PERSON_ID}", "Body": "id=${PERSON_ID}",
       "ExpectStatus": 200, "ExpectBody": "Ada"}]})",
             {"--base-url", server.url(), "--from-env", "API_TOKEN"}, {"API_TOKEN=s3cret"});
  EXPECT_EQ(out.exit_code, 0) << out.out << out.err;
  std::lock_guard lock(mutex);
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "POST /people Bearer s3cret {\"first_name\":\"Ada\"}",
                      "GET /people/p-17  id=p-17",
                  }));
  EXPECT_EQ(out.out.find("s3cret"), std::string::npos) << out.out;
}

TEST_F(CliVerifyTest, FindsTheGatewayOfTheRunningServerUnlessTheEnvironmentSaysOtherwise) {
  TestHttpServer gateway([](const http::Request&) { return Json(200, R"({"from":"gateway"})"); });
  TestHttpServer other([](const http::Request&) { return Json(200, R"({"from":"other"})"); });
  const std::string checks =
      R"({"Deadline": "200ms", "Checks": [{"Path": "/", "ExpectStatus": 200,
                                            "ExpectJson": {"/from": "gateway"}}]})";

  CommandOutput none = Verify(checks);
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_EQ(none.err,
            fmt::format("lockstep: error: no base URL: pass --base-url, set BaseUrl in the checks "
                        "file or LOCKSTEP_GATEWAY_URL, or start lockstep serve (none is running "
                        "for {})\n",
                        (dir_.path() / "state").string()));

  // This process plays the running server: it holds the lock and records the addresses.
  std::filesystem::create_directories(dir_.path() / "state");
  Result<server::InstanceLock> lock = server::InstanceLock::Acquire(dir_.path() / "state");
  ASSERT_TRUE(lock.has_value()) << lock.error().ToString();
  server::ServerAddress address{"127.0.0.1:1", gateway.address(), static_cast<int>(::getpid())};
  ASSERT_TRUE(server::WriteServerAddress(dir_.path() / "state", address).has_value());

  CommandOutput found = Verify(checks);
  EXPECT_EQ(found.exit_code, 0) << found.out << found.err;
  EXPECT_NE(found.out.find("against " + gateway.url()), std::string::npos) << found.out;

  CommandOutput overridden = Verify(checks, {}, {"LOCKSTEP_GATEWAY_URL=" + other.url()});
  EXPECT_EQ(overridden.exit_code, 1) << overridden.out << overridden.err;
  EXPECT_NE(overridden.err.find(R"(expected "gateway" at /from, found "other")"), std::string::npos)
      << overridden.err;
}

TEST_F(CliVerifyTest, RefusesABadChecksFileBeforeSendingAnything) {
  std::atomic<int> requests = 0;
  TestHttpServer server([&](const http::Request&) {
    ++requests;
    return Json(200, "{}");
  });
  CommandOutput out = Verify(
      R"({"Checks": [{"Path": "/", "ExpectStatus": 200},
                     {"Path": "/people/${ID}", "ExpectStatus": 200}]})",
      {"--base-url", server.url()});
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(out.err,
            "lockstep: error: checks.json: check 2 (GET /people/${ID}): ${ID} is not captured by "
            "an earlier check\n");
  EXPECT_EQ(requests.load(), 0);

  CommandOutput bad_url = Verify(R"({"Checks": [{"Path": "/", "ExpectStatus": 200}]})",
                                 {"--base-url", "https://example.com"});
  EXPECT_EQ(bad_url.exit_code, 1);
  EXPECT_EQ(bad_url.err,
            "lockstep: error: invalid URL 'https://example.com': https is not supported, only "
            "http; expected http://HOST[:PORT][/PREFIX]\n");

  CommandOutput unset = Verify(R"({"Checks": [{"Path": "/", "ExpectStatus": 200}]})",
                               {"--base-url", server.url(), "--from-env", "NOT_SET_ANYWHERE"});
  EXPECT_EQ(unset.exit_code, 2);
  EXPECT_EQ(unset.err,
            "lockstep: error: --from-env NOT_SET_ANYWHERE: the environment variable is not set\n");
}

}  // namespace
}  // namespace lockstep
