#include "engine/http_check_runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <mutex>
#include <thread>

#include "http/http_server.h"
#include "test_http_server.h"

namespace lockstep::engine {
namespace {

namespace net = boost::asio;
using std::chrono::milliseconds;

// Runs checks against a real HttpServer on 127.0.0.1 whose answers each test decides.
class RunChecksTest : public ::testing::Test {
 protected:
  void Start(http::SimpleHandler handler) {
    server_ = std::make_unique<testing::TestHttpServer>(std::move(handler));
    base_.host = "127.0.0.1";
    base_.port = server_->port();
  }

  static http::Response Answer(int status, std::string body) {
    http::Response response;
    response.status = status;
    response.headers.Set("Content-Type", "application/json");
    response.body = std::move(body);
    return response;
  }

  static HttpCheck Check(std::string name, std::string path, int status) {
    HttpCheck check;
    check.name = std::move(name);
    check.path = std::move(path);
    check.expect_status = status;
    return check;
  }

  std::unique_ptr<testing::TestHttpServer> server_;
  http::Url base_;
};

TEST_F(RunChecksTest, RetriesUntilTheServerBecomesRight) {
  std::atomic<int> requests = 0;
  Start([&](const http::Request&) {
    // Starting up for the first two requests, then healthy.
    return ++requests <= 2 ? Answer(503, R"({"status":"starting"})")
                           : Answer(200, R"({"status":"ok"})");
  });
  CheckSuite suite;
  suite.deadline = milliseconds(10'000);
  suite.interval = milliseconds(20);
  HttpCheck health = Check("health", "/health", 200);
  health.expect_json = {{"/status", "\"ok\""}};
  suite.checks.push_back(health);
  std::vector<std::string> reported;
  RunChecksOptions options;
  options.on_check_done = [&](const CheckResult& result) { reported.push_back(result.label); };

  SuiteResult result = RunChecks(suite, base_, {}, options);
  EXPECT_TRUE(result.passed) << result.failure;
  ASSERT_EQ(result.checks.size(), 1u);
  EXPECT_EQ(result.checks[0].state, CheckResult::State::kPassed);
  EXPECT_EQ(result.checks[0].attempts, 3);
  EXPECT_EQ(result.checks[0].status, 200);
  EXPECT_EQ(result.checks[0].failure, "");
  EXPECT_EQ(requests.load(), 3);
  EXPECT_EQ(reported, std::vector<std::string>{"health"});
}

TEST_F(RunChecksTest, FailsAtTheDeadlineNamingTheCheckAndRunsNothingAfterIt) {
  std::mutex mutex;
  std::vector<std::string> targets;
  Start([&](const http::Request& request) {
    std::lock_guard lock(mutex);
    targets.push_back(request.head.target);
    return request.head.target == "/ok" ? Answer(200, "{}") : Answer(500, R"({"error":"db"})");
  });
  CheckSuite suite;
  suite.deadline = milliseconds(300);
  suite.interval = milliseconds(50);
  suite.checks = {Check("", "/ok", 200), Check("list people", "/people", 200),
                  Check("", "/never", 200)};

  auto start = std::chrono::steady_clock::now();
  SuiteResult result = RunChecks(suite, base_, {});
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(result.passed);
  EXPECT_GE(elapsed, milliseconds(250));
  EXPECT_LT(elapsed, milliseconds(5000));
  ASSERT_EQ(result.checks.size(), 3u);
  EXPECT_EQ(result.checks[0].state, CheckResult::State::kPassed);
  EXPECT_EQ(result.checks[0].label, "GET /ok");
  const CheckResult& failed = result.checks[1];
  EXPECT_EQ(failed.state, CheckResult::State::kFailed);
  EXPECT_GE(failed.attempts, 2);
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(failed.failure, R"(expected status 200, got 500; body: {"error":"db"})");
  EXPECT_EQ(result.checks[2].state, CheckResult::State::kNotRun);
  EXPECT_EQ(result.checks[2].attempts, 0);
  EXPECT_TRUE(result.failure.starts_with(
      fmt::format("check 'list people' failed after {} attempts in ", failed.attempts)))
      << result.failure;
  EXPECT_TRUE(result.failure.ends_with(R"(: expected status 200, got 500; body: {"error":"db"})"))
      << result.failure;
  std::lock_guard lock(mutex);
  EXPECT_EQ(std::count(targets.begin(), targets.end(), "/never"), 0);
}

TEST_F(RunChecksTest, CapturesAValueForTheChecksAfter) {
  Start([&](const http::Request& request) {
    if (request.head.method == "POST" && request.head.target == "/people") {
      return Answer(201, R"({"id": 7, "first_name": "Ada"})");
    }
    if (request.head.target == "/people/7" &&
        request.head.headers.Find("Authorization") == "Bearer s3cret") {
      return Answer(200, R"({"id": 7, "first_name": "Ada"})");
    }
    return Answer(404, R"({"error":"not found"})");
  });
  CheckSuite suite;
  suite.deadline = milliseconds(5000);
  suite.interval = milliseconds(20);
  HttpCheck create = Check("create", "/people", 201);
  create.method = "POST";
  create.body = R"({"first_name":"Ada"})";
  create.captures = {{"PERSON_ID", "/id"}};
  HttpCheck read = Check("read", "/people/${PERSON_ID}", 200);
  read.headers = {{"Authorization", "Bearer ${TOKEN}"}};
  read.expect_json = {{"/first_name", "\"Ada\""}};
  suite.checks = {create, read};

  SuiteResult result = RunChecks(suite, base_, {{"TOKEN", "s3cret"}});
  EXPECT_TRUE(result.passed) << result.failure;
  EXPECT_EQ(result.checks[1].attempts, 1);
}

TEST(RunChecksErrorTest, ReportsAServerThatIsNotThere) {
  net::io_context io;
  net::ip::tcp::acceptor acceptor(io, {net::ip::make_address("127.0.0.1"), 0});
  http::Url base{"127.0.0.1", acceptor.local_endpoint().port(), ""};
  acceptor.close();
  CheckSuite suite;
  suite.deadline = milliseconds(100);
  suite.interval = milliseconds(1000);
  HttpCheck check;
  check.path = "/health";
  suite.checks.push_back(check);
  SuiteResult result = RunChecks(suite, base, {});
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.checks[0].attempts, 1);
  EXPECT_EQ(result.checks[0].status, std::nullopt);
  EXPECT_EQ(result.checks[0].failure,
            fmt::format("connecting to 127.0.0.1:{}: connection refused", base.port));
}

}  // namespace
}  // namespace lockstep::engine
