// lockstep/deploy@v1 under `lockstep run`: the native action deploys the artifact a Build
// action made to a real `lockstep serve` sharing the run's state directory, sets ReleaseId and
// Handler, and the service answers through the gateway; when no candidate becomes healthy the
// action and the run fail with the server's reason in the log.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "background_process.h"
#include "fixture_util.h"
#include "http/client.h"
#include "workflow_run_fixture.h"

namespace lockstep {
namespace {

using testing::BackgroundLockstep;
using testing::CommandOutput;

class CliDeployActionTest : public testing::WorkflowRunTest {
 protected:
  void SetUp() override {
    WorkflowRunTest::SetUp();
    // Its own API and gateway ports, its state in the test's LOCKSTEP_HOME, as the run's.
    server_ = std::make_unique<BackgroundLockstep>(
        std::vector<std::string>{"serve", "--api", "127.0.0.1:0", "--gateway", "127.0.0.1:0",
                                 "--shutdown-grace", "2s"},
        state_.path(), Env());
    std::filesystem::path address = state_.path() / "serve.json";
    if (!testing::WaitUntil([&] { return std::filesystem::exists(address); })) {
      server_->Signal(SIGKILL);
      FAIL() << "lockstep serve did not start: " << server_->Wait().err;
    }
    nlohmann::json served = nlohmann::json::parse(testing::ReadText(address));
    Result<http::Url> gateway = http::ParseUrl("http://" + served["gateway"].get<std::string>());
    ASSERT_TRUE(gateway.has_value()) << gateway.error().message();
    gateway_ = *gateway;
  }

  void TearDown() override {
    if (server_ == nullptr) return;
    // SIGTERM: the server stops its handlers before it exits.
    server_->Signal(SIGTERM);
    bool ended = testing::WaitUntil([&] { return testing::ProcessIsZombie(server_->pid()); },
                                    std::chrono::seconds(20));
    EXPECT_TRUE(ended) << "lockstep serve did not stop on SIGTERM";
    if (ended) {
      CommandOutput served = server_->Wait();
      EXPECT_EQ(served.exit_code, 0) << served.err;
    }
    server_.reset();  // kills it if it did not end
  }

  // A workflow whose Build action makes the artifact `bundle`: a lockstep.release.yaml whose
  // only handler runs the test handler with `arguments`, then Deploy (as `deploy`, the
  // Configuration lines) and Show, which prints Deploy's output variables.
  void DeployWorkflow(const std::string& arguments, const std::string& deploy) {
    Workflow("deploy.yaml",
             "Name: DeployApp\nSchemaVersion: \"1.0\"\nActions:\n"
             "  Build:\n    Identifier: aws/build@v1\n    Configuration:\n      Steps:\n"
             "        - Run: |\n"
             "            cat > lockstep.release.yaml <<EOF\n"
             "            handlers:\n"
             "              - { name: primary, command: [\"$HANDLER\"" +
                 arguments +
                 "] }\n"
                 "            EOF\n"
                 "    Outputs:\n      Artifacts:\n        - Name: bundle\n"
                 "          Files: [lockstep.release.yaml]\n"
                 "  Deploy:\n    Identifier: lockstep/deploy@v1\n    DependsOn: [Build]\n"
                 "    Inputs:\n      Artifacts: [bundle]\n    Configuration:\n" +
                 deploy +
                 "  Show:\n    Identifier: aws/build@v1\n    DependsOn: [Deploy]\n"
                 "    Configuration:\n      Steps:\n"
                 "        - Run: echo \"release=${Deploy.ReleaseId} handler=${Deploy.Handler}\"\n");
    repo_.Commit("workflow");
  }

  std::unique_ptr<BackgroundLockstep> server_;
  http::Url gateway_;
};

TEST_F(CliDeployActionTest, DeploysTheArtifactAndTheGatewayServesIt) {
  DeployWorkflow("", R"(      Service: app
      Route: /app
      StripPrefix: true
      HealthPath: /health
      StartTimeout: 20s
)");
  CommandOutput run =
      Lockstep({"run", "DeployApp", "--var", std::string("HANDLER=") + LOCKSTEP_TEST_HANDLER});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;

  CommandOutput show = Lockstep({"logs", "1", "Show"});
  size_t at = show.out.find("release=");
  ASSERT_NE(at, std::string::npos) << show.out;
  std::string release = show.out.substr(at + 8, 20);
  EXPECT_EQ(release.find_first_not_of("0123456789abcdef"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("release=" + release + " handler=primary"), std::string::npos)
      << show.out;

  // The route's prefix is stripped: the handler sees "/".
  Result<http::ClientResponse> response =
      http::Fetch(gateway_, {.method = "GET", .target = "/app/", .headers = {}, .body = {}},
                  std::chrono::seconds(10));
  ASSERT_TRUE(response.has_value()) << response.error().message();
  EXPECT_EQ(response->status, 200) << response->body;
  nlohmann::json body = nlohmann::json::parse(response->body);
  EXPECT_EQ(body["handler"], "primary");
  EXPECT_EQ(body["release"], release);
  EXPECT_EQ(body["target"], "/");

  CommandOutput log = Lockstep({"logs", "1", "Deploy"});
  EXPECT_NE(log.out.find("deploy 1 of app: succeeded"), std::string::npos) << log.out;
  EXPECT_NE(log.out.find("primary          healthy"), std::string::npos) << log.out;
}

TEST_F(CliDeployActionTest, ACandidateThatExitsFailsTheActionWithTheReason) {
  DeployWorkflow(", --exit-code, \"3\"", R"(      Service: app
      Route: /app
      StartTimeout: 20s
)");
  CommandOutput run =
      Lockstep({"run", "DeployApp", "--var", std::string("HANDLER=") + LOCKSTEP_TEST_HANDLER});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  nlohmann::json runs = Runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["state"], "failed");

  CommandOutput log = Lockstep({"logs", "1", "Deploy"});
  EXPECT_NE(log.out.find("deploy 1 of app: failed"), std::string::npos) << log.out;
  EXPECT_NE(log.out.find("primary          exited with code 3"), std::string::npos) << log.out;
  EXPECT_NE(log.out.find("reason    no handler of release "), std::string::npos) << log.out;
  EXPECT_NE(log.out.find("became healthy; primary: exited with code 3"), std::string::npos)
      << log.out;
  // Show depends on Deploy and never ran, so no output variable was used.
  CommandOutput show = Lockstep({"logs", "1", "Show"});
  EXPECT_EQ(show.out.find("release="), std::string::npos) << show.out;

  // Nothing serves the route.
  Result<http::ClientResponse> response =
      http::Fetch(gateway_, {.method = "GET", .target = "/app/", .headers = {}, .body = {}},
                  std::chrono::seconds(10));
  ASSERT_TRUE(response.has_value()) << response.error().message();
  EXPECT_EQ(response->status, 404) << response->body;
}

TEST_F(CliDeployActionTest, WithoutRouteTheWorkspaceDeclaresTheService) {
  // The action's own folder is in the state directory; the declaration is the repository's.
  repo_.Write("lockstep.yaml",
              "version: 1\nname: test\nservices:\n  app:\n    route: /declared\n"
              "    health: {path: /health}\n");
  DeployWorkflow("", "      Service: app\n");
  CommandOutput run =
      Lockstep({"run", "DeployApp", "--var", std::string("HANDLER=") + LOCKSTEP_TEST_HANDLER});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err << Lockstep({"logs", "1", "Deploy"}).out;

  Result<http::ClientResponse> response =
      http::Fetch(gateway_, {.method = "GET", .target = "/declared/x", .headers = {}, .body = {}},
                  std::chrono::seconds(10));
  ASSERT_TRUE(response.has_value()) << response.error().message();
  EXPECT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(nlohmann::json::parse(response->body)["target"], "/declared/x");
}

TEST_F(CliDeployActionTest, NoConfigurationValueReachesTheShell) {
  std::string marker = (state_.path() / "injected").string();
  // Valid for the validator (a path without spaces), and code if a shell read it unquoted or
  // within double quotes.
  DeployWorkflow("", "      Service: app\n      Route: /app\n      HealthPath: \"/health'$(>" +
                         marker + ")'`>" + marker + "`\"\n      StartTimeout: 2s\n");
  CommandOutput run =
      Lockstep({"run", "DeployApp", "--var", std::string("HANDLER=") + LOCKSTEP_TEST_HANDLER});
  CommandOutput log = Lockstep({"logs", "1", "Deploy"});
  // The command ran and the server got the path as written; nothing ran it.
  EXPECT_NE(log.out.find("deploy 1 of app: "), std::string::npos) << run.out << log.out;
  EXPECT_FALSE(std::filesystem::exists(marker));
}

}  // namespace
}  // namespace lockstep
