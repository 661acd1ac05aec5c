// `lockstep demo`'s four acts as an integration test: the registry example's three real
// repositories, a real `lockstep serve`, real compilation of the example's C++. After each act
// the state is read back through the API and the gateway (not from the printed story), the
// people API's contract is checked through the gateway whenever the newest handler serves, and
// a person added before act 2 must survive a deploy, a fallback and a rollback. Last, a server
// started again on the workspace brings the system back. Bounded by the story's own limits
// (15 minutes per rollout) and ctest's timeout for this suite.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "audit/verify.h"
#include "cli/demo_server.h"
#include "cli/demo_story.h"
#include "fixture_util.h"
#include "people_contract.h"
#include "temp_dir.h"

namespace lockstep::cli {
namespace {

using json = nlohmann::ordered_json;

class RegistryDemoTest : public ::testing::Test {
 protected:
  RegistryDemoTest()
      : story_({.executable = LOCKSTEP_BINARY,
                .example = testing::SourceDir() / "examples" / "registry",
                .directory = dir_.path() / "workspace",
                .api = "127.0.0.1:0",
                .gateway = "127.0.0.1:0"},
               [this](std::string_view text) { printed_ += text; }) {}

  void TearDown() override {
    if (HasFailure()) std::cerr << "the story as printed:\n" << printed_;
  }

  ActOutcome Act(int number) {
    Result<ActOutcome> outcome = story_.Act(number);
    EXPECT_TRUE(outcome.has_value()) << outcome.error().message();
    if (!outcome) return {};
    EXPECT_EQ(outcome->trouble, "") << "act " << number;
    EXPECT_EQ(outcome->rollout, number);
    return *outcome;
  }

  json Api(const std::string& target) {
    Result<json> answer = story_.server().Api({.target = target});
    EXPECT_TRUE(answer.has_value()) << target << ": " << answer.error().message();
    return answer.value_or(json::object());
  }

  json Rollout(int id) { return Api("/api/v1/rollouts/" + std::to_string(id)); }
  json Service(const std::string& name) { return Api("/api/v1/services/" + name); }

  http::Url PeopleApi() {
    http::Url api = story_.server().gateway();
    api.prefix = "/api";
    return api;
  }

  // The step of `rollout` for `subject`, or null.
  static json StepOf(const json& rollout, const std::string& subject) {
    for (const json& step : rollout["steps"]) {
      if (step.value("subject", "") == subject) return step;
    }
    return nullptr;
  }

  testing::TempDir dir_;
  std::string printed_;
  DemoStory story_;
};

TEST_F(RegistryDemoTest, FourActsThroughTheApiAndTheGateway) {
  Result<void> begun = story_.Begin();
  ASSERT_TRUE(begun.has_value()) << begun.error().message();

  // Act 1: everything built, synced, deployed and tested.
  Act(1);
  json first = Rollout(1);
  ASSERT_EQ(first.value("state", ""), "succeeded") << first.dump(2);
  EXPECT_EQ(first.value("strategy", ""),
            "first rollout: registry-api -> sync -> registry-infrastructure -> registry-frontend");
  for (const char* subject :
       {"registry-api/api-ci", "registry-api:src -> registry-infrastructure:api/src",
        "registry-infrastructure/infrastructure-deployment", "registry-frontend/frontend-deploy"}) {
    EXPECT_EQ(StepOf(first, subject).value("state", ""), "succeeded") << subject;
  }
  EXPECT_EQ(Service("api").value("handler", ""), "integrated");
  Result<http::ClientResponse> page = story_.server().Gateway("GET", "/");
  ASSERT_TRUE(page.has_value()) << page.error().message();
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("People registry"), std::string::npos);
  testing::ExpectPeopleContract(PeopleApi());
  std::string email = testing::UniqueEmail("survivor");
  std::string survivor = testing::CreatePerson(PeopleApi(), "Katherine", "Johnson", email);
  ASSERT_FALSE(survivor.empty());
  std::string first_release = Service("api").value("release", "");

  // Act 2: the newest handler fails its health check; the chain falls back, and says so.
  Act(2);
  json second = Rollout(2);
  EXPECT_EQ(second.value("state", ""), "succeeded");
  EXPECT_NE(second.value("reason", "").find("api is served by enhanced (integrated: not healthy"),
            std::string::npos)
      << second.value("reason", "");
  json deployed = StepOf(second, "registry-infrastructure/infrastructure-deployment");
  EXPECT_NE(deployed.value("detail", "").find("api is served by enhanced"), std::string::npos)
      << deployed.dump(2);
  json api = Service("api");
  EXPECT_EQ(api.value("handler", ""), "enhanced");
  std::string fallback_release = api.value("release", "");
  EXPECT_NE(fallback_release, first_release);
  EXPECT_EQ(testing::GetPerson(PeopleApi(), survivor).value("email", ""), email);

  // Act 3: a healthy commit breaks a post-deployment test; what it deployed is rolled back.
  Act(3);
  json third = Rollout(3);
  EXPECT_EQ(third.value("state", ""), "failed");
  EXPECT_NE(third.value("reason", "").find("rolled back api"), std::string::npos)
      << third.value("reason", "");
  EXPECT_EQ(StepOf(third, "registry-infrastructure/infrastructure-deployment").value("state", ""),
            "failed");
  EXPECT_EQ(StepOf(third, "api").value("kind", ""), "rollback");
  EXPECT_TRUE(StepOf(third, "registry-frontend/frontend-deploy").is_null());  // never reached
  EXPECT_EQ(Service("api").value("release", ""), fallback_release);
  EXPECT_EQ(testing::GetPerson(PeopleApi(), survivor).value("email", ""), email);

  // Act 4: the fix, on the newest handler, all green; the audit chain verifies.
  Act(4);
  json fourth = Rollout(4);
  EXPECT_EQ(fourth.value("state", ""), "succeeded");
  EXPECT_EQ(fourth.value("reason", ""), "");
  EXPECT_EQ(Service("api").value("handler", ""), "integrated");
  testing::ExpectPeopleContract(PeopleApi());
  EXPECT_EQ(testing::GetPerson(PeopleApi(), survivor).value("email", ""), email);
  Result<audit::AuditVerifyReport> audit =
      audit::VerifyAuditChain(story_.server().state_directory());
  ASSERT_TRUE(audit.has_value()) << audit.error().message();
  EXPECT_TRUE(audit->intact()) << audit->problem->ToString();
  std::string serving = Service("api").value("release", "");

  // The workspace holds everything: a server started there again serves the same release
  // and the same people.
  story_.server().Stop();
  Result<std::unique_ptr<DemoServer>> again =
      DemoServer::Start(LOCKSTEP_BINARY, dir_.path() / "workspace", "127.0.0.1:0", "127.0.0.1:0");
  ASSERT_TRUE(again.has_value()) << again.error().message();
  Result<json> restored = (*again)->Api({.target = "/api/v1/services/api"});
  ASSERT_TRUE(restored.has_value()) << restored.error().message();
  EXPECT_EQ(restored->value("release", ""), serving);
  // The handler passes its health gate again before it takes traffic: wait for that, bounded.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (restored && restored->value("status", "") != "serving" &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // polling the server's state
    restored = (*again)->Api({.target = "/api/v1/services/api"});
  }
  ASSERT_TRUE(restored.has_value()) << restored.error().message();
  ASSERT_EQ(restored->value("status", ""), "serving") << restored->dump(2);
  http::Url people = (*again)->gateway();
  people.prefix = "/api";
  EXPECT_EQ(testing::GetPerson(people, survivor).value("email", ""), email);
}

}  // namespace
}  // namespace lockstep::cli
