// `lockstep serve` with its thin clients, end to end: real server processes on ephemeral
// loopback ports, real handler processes (tests/tools/test_handler.cc), real HTTP.
#include <fmt/core.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <random>

#include "exec/subprocess_set.h"
#include "serve_fixture.h"
#include "temp_dir.h"

namespace lockstep::testing {
namespace {

using json = nlohmann::json;

class ServeTest : public ::testing::Test {
 protected:
  ServeTest() : server_(temp_.path()) {}

  // A release directory running the test handler with `arguments` per candidate.
  std::string Release(const std::string& version,
                      const std::vector<std::pair<std::string, std::vector<std::string>>>& chain) {
    std::string yaml = "handlers:\n";
    for (const auto& [name, arguments] : chain) {
      std::vector<std::string> command = {LOCKSTEP_TEST_HANDLER};
      command.insert(command.end(), arguments.begin(), arguments.end());
      yaml +=
          fmt::format("  - name: {}\n    command: [\"{}\"]\n", name, fmt::join(command, "\", \""));
    }
    temp_.Write(version + "/lockstep.release.yaml", yaml);
    temp_.Write(version + "/version.txt", version);
    return version;
  }

  CommandOutput Deploy(const std::string& directory, std::vector<std::string> extra = {}) {
    std::vector<std::string> arguments = {
        "deploy",         "api",      directory, "--route",         "/api",
        "--strip-prefix", "--health", "/health", "--start-timeout", "5s"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    return server_.Lockstep(arguments);
  }

  json Status(const std::string& service = "api") {
    CommandOutput out = server_.Lockstep({"status", service, "--json"});
    EXPECT_EQ(out.exit_code, 0) << out.err;
    return json::parse(out.out, nullptr, false);
  }

  // Handler processes this server's state directory started that still run.
  size_t RunningHandlers() {
    return exec::FindProcessesWithEnvironment("LOCKSTEP_SUPERVISOR=" + server_.state().string())
        .size();
  }

  TempDir temp_;
  ServeFixture server_;
};

TEST_F(ServeTest, DeploysFallsBackRollsBackAndServesAStaticSite) {
  ASSERT_TRUE(server_.Start()) << server_.server_output();
  CommandOutput first = Deploy(Release("v1", {{"web", {"--message", "one"}}}));
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_NE(first.out.find("deploy 1 of api: succeeded"), std::string::npos) << first.out;
  http::ClientResponse hello = server_.Gateway("GET", "/api/hello");
  EXPECT_EQ(hello.status, 200) << hello.body;
  EXPECT_NE(hello.body.find("\"message\":\"one\""), std::string::npos) << hello.body;
  EXPECT_NE(hello.body.find("\"target\":\"/hello\""), std::string::npos) << hello.body;
  EXPECT_TRUE(hello.headers.Find("X-Request-Id").has_value());

  // The newest handler cannot start: the next one in the chain serves.
  CommandOutput second = Deploy(
      Release("v2", {{"integrated", {"--exit-code", "1"}}, {"enhanced", {"--message", "two"}}}));
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_NE(second.out.find("integrated       exited with code 1"), std::string::npos)
      << second.out;
  EXPECT_NE(second.out.find("enhanced         healthy"), std::string::npos) << second.out;
  EXPECT_NE(server_.Gateway("GET", "/api/").body.find("\"message\":\"two\""), std::string::npos);
  json status = Status();
  EXPECT_EQ(status["handler"], "enhanced");
  EXPECT_EQ(status["status"], "serving");

  // Back to v1, still warm.
  CommandOutput rollback = server_.Lockstep({"rollback", "api", "--json"});
  ASSERT_EQ(rollback.exit_code, 0) << rollback.out << rollback.err;
  json deployment = json::parse(rollback.out);
  EXPECT_EQ(deployment["kind"], "rollback");
  EXPECT_EQ(deployment["candidates"][0]["outcome"], "healthy (kept warm)");
  EXPECT_NE(server_.Gateway("GET", "/api/").body.find("\"message\":\"one\""), std::string::npos);

  CommandOutput releases = server_.Lockstep({"releases", "api", "--json"});
  ASSERT_EQ(releases.exit_code, 0) << releases.err;
  json list = json::parse(releases.out);
  ASSERT_EQ(list["releases"].size(), 2u);

  // A static site beside it, with no way out of its folder.
  temp_.Write("site/index.html", "<h1>people</h1>");
  temp_.Write("secret.txt", "secret");
  CommandOutput site = server_.Lockstep({"deploy", "web", "site", "--route", "/", "--static"});
  ASSERT_EQ(site.exit_code, 0) << site.out << site.err;
  EXPECT_EQ(server_.Gateway("GET", "/").body, "<h1>people</h1>");
  for (const char* escape : {"/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt"}) {
    http::ClientResponse response = server_.Gateway("GET", escape);
    EXPECT_NE(response.status, 200) << escape;
    EXPECT_EQ(response.body.find("secret"), std::string::npos) << escape << response.body;
  }
  // The API still routes to its own service.
  EXPECT_EQ(server_.Gateway("GET", "/api/x").status, 200);
}

TEST_F(ServeTest, TheDataDirectorySurvivesDeploysAndRollbacks) {
  ASSERT_TRUE(server_.Start()) << server_.server_output();
  ASSERT_EQ(Deploy(Release("v1", {{"web", {}}})).exit_code, 0);
  EXPECT_EQ(server_.Gateway("POST", "/api/visit", "{}").body, R"({"visits":1})");
  ASSERT_EQ(Deploy(Release("v2", {{"web", {}}})).exit_code, 0);
  EXPECT_EQ(server_.Gateway("POST", "/api/visit", "{}").body, R"({"visits":2})");
  ASSERT_EQ(server_.Lockstep({"rollback", "api"}).exit_code, 0);
  EXPECT_EQ(server_.Gateway("POST", "/api/visit", "{}").body, R"({"visits":3})");
}

TEST_F(ServeTest, DeploysAServiceAsTheWorkspacesLockstepYamlDeclaresIt) {
  ASSERT_TRUE(server_.Start()) << server_.server_output();
  temp_.Write("lockstep.yaml",
              "services:\n  api:\n    route: { path: /people, strip_prefix: true }\n"
              "    health: { path: /health }\n  broken:\n    route: nope\n");
  CommandOutput deployed = server_.Lockstep({"deploy", "api", Release("v1", {{"web", {}}})});
  ASSERT_EQ(deployed.exit_code, 0) << deployed.out << deployed.err;
  EXPECT_NE(server_.Gateway("GET", "/people/x").body.find("\"target\":\"/x\""), std::string::npos);
  CommandOutput broken = server_.Lockstep({"deploy", "broken", "v1"});
  EXPECT_EQ(broken.exit_code, 2);
  EXPECT_NE(broken.err.find("lockstep.yaml:6:12: service 'broken'"), std::string::npos)
      << broken.err;
}

TEST_F(ServeTest, AFailedDeployKeepsTheOldReleaseAndExitsNonZero) {
  ASSERT_TRUE(server_.Start()) << server_.server_output();
  ASSERT_EQ(Deploy(Release("v1", {{"web", {"--message", "one"}}})).exit_code, 0);
  CommandOutput bad = Deploy(Release("v2", {{"web", {"--exit-code", "3"}}}));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.out.find("failed"), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("exited with code 3"), std::string::npos) << bad.out;
  EXPECT_NE(server_.Gateway("GET", "/api/").body.find("\"message\":\"one\""), std::string::npos);
  // A release without a chain is refused before anything runs.
  temp_.Write("bare/file.txt", "x");
  CommandOutput bare = Deploy("bare");
  EXPECT_EQ(bare.exit_code, 1);
  EXPECT_NE(bare.err.find("lockstep.release.yaml"), std::string::npos) << bare.err;
}

TEST_F(ServeTest, MutationsNeedTheAdminToken) {
  ASSERT_TRUE(server_.Start()) << server_.server_output();
  std::string body = json{{"directory", temp_.path().string()}}.dump();
  for (const std::optional<std::string>& token :
       {std::optional<std::string>(), std::optional<std::string>("wrong"),
        std::optional<std::string>(server_.admin_token() + "x")}) {
    http::ClientResponse refused = server_.Api("POST", "/api/v1/services/api/deploy", body, token);
    EXPECT_EQ(refused.status, 401);
    json error = json::parse(refused.body, nullptr, false);
    ASSERT_TRUE(error.is_object()) << refused.body;
    EXPECT_FALSE(error["error"]["request_id"].get<std::string>().empty());
  }
  EXPECT_EQ(server_.Api("GET", "/api/v1/status").status, 200);
  EXPECT_EQ(server_.Api("GET", "/healthz").status, 200);
  // Malformed requests get a JSON error naming the problem, and change nothing.
  http::ClientResponse malformed =
      server_.Api("POST", "/api/v1/services/api/deploy", "{nope", server_.admin_token());
  EXPECT_EQ(malformed.status, 400);
  http::ClientResponse relative = server_.Api("POST", "/api/v1/services/api/deploy",
                                              R"({"directory": "rel"})", server_.admin_token());
  EXPECT_EQ(relative.status, 400);
  EXPECT_NE(relative.body.find("absolute"), std::string::npos);
  http::ClientResponse bad_spec = server_.Api(
      "POST", "/api/v1/services/api/deploy",
      json{{"directory", temp_.path().string()}, {"service", {{"route", "nope"}}}}.dump(),
      server_.admin_token());
  EXPECT_EQ(bad_spec.status, 400);
  EXPECT_NE(bad_spec.body.find("service:"), std::string::npos) << bad_spec.body;
  EXPECT_EQ(json::parse(server_.Api("GET", "/api/v1/services").body)["services"].size(), 0u);
}

TEST_F(ServeTest, OneServerPerStateDirectoryAndAClearErrorForABusyPort) {
  ASSERT_TRUE(server_.Start()) << server_.server_output();
  CommandOutput second = RunLockstep({"serve", "--api", "127.0.0.1:0", "--gateway", "127.0.0.1:0"},
                                     temp_.path(), server_.environment());
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("another lockstep serve"), std::string::npos) << second.err;

  TempDir other;
  std::string busy = server_.gateway().Authority();
  CommandOutput taken =
      RunLockstep({"serve", "--api", "127.0.0.1:0", "--gateway", busy}, other.path(),
                  {"LOCKSTEP_HOME=" + (other.path() / "s").string()});
  EXPECT_EQ(taken.exit_code, 1);
  EXPECT_NE(taken.err.find("is in use"), std::string::npos) << taken.err;
  EXPECT_NE(taken.err.find("--gateway"), std::string::npos) << taken.err;
}

TEST_F(ServeTest, StopsGracefullyAndBringsServicesBackOnRestart) {
  ASSERT_TRUE(server_.Start()) << server_.server_output();
  ASSERT_EQ(Deploy(Release("v1", {{"web", {"--message", "one"}}})).exit_code, 0);
  ASSERT_EQ(RunningHandlers(), 1u);
  CommandOutput stopped = server_.Stop();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_EQ(RunningHandlers(), 0u);  // handlers stop with the server
  ASSERT_TRUE(server_.Start()) << server_.server_output();
  ASSERT_TRUE(WaitUntil([&] {
    json status = Status();
    return status["status"] == "serving" && status["processes"].size() == 1 &&
           status["processes"][0]["role"] == "active";
  }));
  EXPECT_EQ(Status()["status"], "serving");
  EXPECT_NE(server_.Gateway("GET", "/api/").body.find("\"message\":\"one\""), std::string::npos);
}

// kill -9 of the server at seeded random moments of a cutover: after a restart the service
// serves the old release or the new one, healthy, and no handler process is left over.
TEST_F(ServeTest, AKilledServerComesBackOnTheOldOrTheNewReleaseWithNoLeftovers) {
  ASSERT_TRUE(server_.Start()) << server_.server_output();
  CommandOutput first = Deploy(Release("v1", {{"web", {"--message", "one"}}}), {"--json"});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  std::set<std::string> releases = {json::parse(first.out)["release"].get<std::string>()};
  std::mt19937 random(20261204);
  for (int round = 0; round < 4; ++round) {
    std::string version = fmt::format("v{}", round + 2);
    // The new release takes a moment to become healthy, so the kill lands in the middle.
    temp_.Write(version + "/lockstep.release.yaml",
                fmt::format("handlers:\n  - name: slow\n    command: [/bin/sh, -c, \"sleep 0.{}; "
                            "exec {} --message {}\"]\n",
                            round + 1, LOCKSTEP_TEST_HANDLER, version));
    temp_.Write(version + "/version.txt", version);
    BackgroundLockstep deploy(
        {"deploy", "api", version, "--route", "/api", "--strip-prefix", "--health", "/health"},
        temp_.path(), server_.environment());
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % 400));  // the kill's moment
    server_.Kill();
    deploy.Wait();
    ASSERT_TRUE(server_.Start()) << server_.server_output();
    ASSERT_TRUE(WaitUntil([&] {
      json status = Status();
      return status["status"] == "serving" && status["processes"].size() == 1 &&
             status["processes"][0]["role"] == "active";
    })) << Status().dump(2);
    json status = Status();
    std::string serving = status["release"];
    std::string body = server_.Gateway("GET", "/api/").body;
    EXPECT_NE(body.find(serving), std::string::npos) << body;
    // Either the old release or the new one; the new one is recorded as a release.
    auto listed = json::parse(server_.Lockstep({"releases", "api", "--json"}).out);
    std::set<std::string> known;
    for (const json& release : listed["releases"]) known.insert(release["id"]);
    EXPECT_TRUE(known.contains(serving));
    EXPECT_TRUE(releases.contains(serving) || body.find(version) != std::string::npos) << body;
    releases.insert(serving);
    EXPECT_EQ(RunningHandlers(), 1u) << "round " << round;
  }
}

}  // namespace
}  // namespace lockstep::testing
