// lockstep/verify@v1 under `lockstep run`: the native action runs its checks against a real
// HTTP server the test starts, with captures, workflow references and secrets, and fails the
// run with the check's message when a check never passes.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <mutex>

#include "test_http_server.h"
#include "workflow_run_fixture.h"

namespace lockstep {
namespace {

using testing::CommandOutput;
using testing::TestHttpServer;

http::Response Json(int status, std::string body) {
  http::Response response;
  response.status = status;
  response.headers.Set("Content-Type", "application/json");
  response.body = std::move(body);
  return response;
}

class CliVerifyActionTest : public testing::WorkflowRunTest {};

TEST_F(CliVerifyActionTest, RunsTheChecksWithCapturesReferencesAndSecrets) {
  std::mutex mutex;
  std::vector<std::string> seen;
  std::atomic<int> reads = 0;
  TestHttpServer server([&](const http::Request& request) {
    {
      std::lock_guard lock(mutex);
      seen.push_back(request.head.method + " " + request.head.target + " " +
                     std::string(request.head.headers.Find("Authorization").value_or("-")) + " " +
                     request.body);
    }
    if (request.head.method == "POST") return Json(201, R"({"id":17,"first_name":"Ada"})");
    // The new person shows up in reads only from the second one on.
    if (request.head.target == "/api/people/17?release=r-42" && ++reads >= 2) {
      return Json(200, R"({"id":17,"first_name":"Ada"})");
    }
    return Json(404, R"({"error":"not found"})");
  });
  Workflow("verify.yaml", R"yaml(Name: VerifyApi
SchemaVersion: "1.0"
Actions:
  Deploy:
    Identifier: aws/build@v1
    Outputs:
      Variables:
        - Release
    Configuration:
      Steps:
        - Run: Release=r-42
  Verify:
    Identifier: lockstep/verify@v1
    DependsOn:
      - Deploy
    Configuration:
      Deadline: 20s
      Interval: 100ms
      Checks:
        - Name: create person
          Method: POST
          Path: /api/people
          Headers:
            Authorization: Bearer ${Secrets.API_TOKEN}
            Content-Type: application/json
          Body: '{"first_name":"Ada","note":"it''s $(not run) `either`"}'
          ExpectStatus: 201
          ExpectJson:
            /first_name: Ada
            /id: 17
          Capture:
            PERSON_ID: /id
        - Path: /api/people/${PERSON_ID}?release=${Deploy.Release}
          ExpectStatus: 200
          ExpectBody: Ada
)yaml");
  repo_.Commit("workflow");

  CommandOutput run = Lockstep({"run", "VerifyApi"}, {"LOCKSTEP_SECRET_API_TOKEN=s3cret-t0ken",
                                                      "LOCKSTEP_GATEWAY_URL=" + server.url()});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  {
    std::lock_guard lock(mutex);
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[0],
              "POST /api/people Bearer s3cret-t0ken "
              "{\"first_name\":\"Ada\",\"note\":\"it's $(not run) `either`\"}");
    EXPECT_EQ(seen[1], "GET /api/people/17?release=r-42 - ");
    EXPECT_EQ(seen[2], seen[1]);
  }
  CommandOutput log = Lockstep({"logs", "1", "Verify"});
  EXPECT_NE(log.out.find("ok      create person  (201, 1 attempt"), std::string::npos) << log.out;
  EXPECT_NE(log.out.find("ok      GET /api/people/${PERSON_ID}?release=<Deploy.Release>  "
                         "(200, 2 attempts"),
            std::string::npos)
      << log.out;
  EXPECT_EQ(log.out.find("s3cret-t0ken"), std::string::npos) << log.out;
}

TEST_F(CliVerifyActionTest, AFailingCheckFailsTheActionWithItsMessage) {
  TestHttpServer server(
      [](const http::Request&) { return Json(503, R"({"status":"migrating"})"); });
  Workflow("verify.yaml", R"yaml(Name: VerifyApi
SchemaVersion: "1.0"
Actions:
  Verify:
    Identifier: lockstep/verify@v1
    Configuration:
      BaseUrl: )yaml" + server.url() +
                              R"yaml(
      Deadline: 500ms
      Interval: 100ms
      Checks:
        - Name: health
          Path: /api/health
          ExpectStatus: 200
  After:
    Identifier: aws/build@v1
    DependsOn:
      - Verify
    Configuration:
      Steps:
        - Run: echo after
)yaml");
  repo_.Commit("workflow");

  CommandOutput run = Lockstep({"run", "VerifyApi"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  CommandOutput log = Lockstep({"logs", "1", "Verify"});
  EXPECT_NE(log.out.find("lockstep: error: check 'health' failed after "), std::string::npos)
      << log.out;
  EXPECT_NE(log.out.find(R"(expected status 200, got 503; body: {"status":"migrating"})"),
            std::string::npos)
      << log.out;
  nlohmann::json runs = Runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["state"], "failed");
}

TEST_F(CliVerifyActionTest, NoValueReachesTheShell) {
  std::mutex mutex;
  std::string body;
  TestHttpServer server([&](const http::Request& request) {
    std::lock_guard lock(mutex);
    body = request.body;
    return Json(200, "{}");
  });
  std::string marker = (state_.path() / "injected").string();
  // A line that would end the heredoc, then a command, inside a double-quoted YAML string.
  Workflow("verify.yaml", R"yaml(Name: VerifyApi
SchemaVersion: "1.0"
Actions:
  Verify:
    Identifier: lockstep/verify@v1
    Configuration:
      BaseUrl: )yaml" + server.url() +
                              R"yaml(
      Checks:
        - Method: POST
          Path: /
          Body: "a\nLOCKSTEP_VERIFY_CHECKS\ntouch )yaml" +
                              marker + R"yaml(\n'\"$(touch )yaml" + marker + R"yaml()"
          ExpectStatus: 200
)yaml");
  repo_.Commit("workflow");

  CommandOutput run = Lockstep({"run", "VerifyApi"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_FALSE(std::filesystem::exists(marker));
  std::lock_guard lock(mutex);
  EXPECT_EQ(body, "a\nLOCKSTEP_VERIFY_CHECKS\ntouch " + marker + "\n'\"$(touch " + marker + ")");
}

}  // namespace
}  // namespace lockstep
