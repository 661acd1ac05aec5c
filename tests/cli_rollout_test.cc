// Rollouts end to end: three real repositories, a real `lockstep serve`, `lockstep up`. A
// change in the first flows through the others; a failure anywhere rolls back everything the
// rollout deployed; a server killed in the middle rolls it back when it starts again; rollouts
// of one environment run one at a time; approvals pause them; lockstep/trigger@v1 runs a
// workflow of another repository.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "exec/subprocess_set.h"
#include "fixture_util.h"
#include "rollout_fixture.h"

namespace lockstep {
namespace {

using json = nlohmann::json;
using testing::CommandOutput;

class RolloutTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(w_.server.Start()) << w_.server.server_output(); }

  // `lockstep up`, expected to end with `exit_code`; its output.
  CommandOutput Up(int exit_code, std::vector<std::string> extra = {}) {
    std::vector<std::string> arguments = {"up"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    CommandOutput up = w_.Lockstep(arguments);
    EXPECT_EQ(up.exit_code, exit_code) << up.out << up.err << w_.server.server_output();
    return up;
  }

  // The steps of rollout `id` as "kind subject state" lines.
  std::vector<std::string> Steps(int64_t id) {
    std::vector<std::string> lines;
    json rollout = w_.Rollout(id);
    if (!rollout.is_object()) return lines;
    for (const json& step : rollout["steps"]) {
      lines.push_back(step.value("kind", "") + " " + step.value("subject", "") + " " +
                      step.value("state", ""));
    }
    return lines;
  }

  // The actions of the audit chain, in order, as "action subject" lines; the chain verifies.
  std::vector<std::string> AuditActions() {
    CommandOutput verify = w_.Lockstep({"audit", "verify"});
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    CommandOutput log = w_.Lockstep({"audit", "log", "--limit", "1000", "--json"});
    EXPECT_EQ(log.exit_code, 0) << log.err;
    std::vector<std::string> actions;
    json records = json::parse(log.out, nullptr, false);
    if (!records.is_array()) return actions;
    for (const json& record : records) {
      actions.push_back(record.value("action", "") + " " + record.value("subject", ""));
    }
    return actions;
  }

  static bool Has(const std::vector<std::string>& lines, const std::string& line) {
    return std::find(lines.begin(), lines.end(), line) != lines.end();
  }

  testing::RolloutWorkspace w_;
};

TEST_F(RolloutTest, AChangeFlowsThroughSyncAndEveryRepositoryInOrder) {
  CommandOutput first = Up(0);
  EXPECT_NE(first.out.find("rollout 1 succeeded"), std::string::npos) << first.out;
  EXPECT_EQ(w_.ApiMessage(), "one");
  EXPECT_FALSE(w_.Serving("web").empty());
  http::ClientResponse page = w_.server.Gateway("GET", "/index.html");
  EXPECT_NE(page.body.find("welcome"), std::string::npos) << page.body;
  EXPECT_EQ(Steps(1), (std::vector<std::string>{
                          "run api/api-ci succeeded",
                          "sync api:src -> infra:api/src succeeded",
                          "run infra/deploy-api succeeded",
                          "run web/deploy-web succeeded",
                          "integration 2 checks through the gateway succeeded",
                      }));
  // The synced code was committed in infra with its manifest, naming the source commit.
  std::string log = w_.infra.Git({"log", "-1", "--format=%B"});
  EXPECT_NE(log.find("Lockstep-Sync-Source: "), std::string::npos) << log;
  EXPECT_NE(log.find("Lockstep-Sync-Manifest: "), std::string::npos) << log;
  EXPECT_EQ(w_.infra.Git({"show", "HEAD:api/src/message.txt"}), "one");

  CommandOutput again = Up(0);
  EXPECT_NE(again.out.find("nothing changed"), std::string::npos) << again.out;

  std::string api_before = w_.Serving("api");
  std::string web_before = w_.Serving("web");
  w_.CommitApi("two");
  CommandOutput second = Up(0);
  EXPECT_NE(second.out.find("rollout 2 succeeded"), std::string::npos) << second.out;
  EXPECT_EQ(w_.ApiMessage(), "two");
  EXPECT_NE(w_.Serving("api"), api_before);
  EXPECT_EQ(w_.Serving("web"), web_before);  // same content: the same release
  json rollout = w_.Rollout(2);
  EXPECT_EQ(rollout["strategy"], "api changed: api -> sync -> infra -> web") << rollout.dump(2);

  CommandOutput list = w_.Lockstep({"rollouts"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("succeeded"), std::string::npos) << list.out;
  CommandOutput tree = w_.Lockstep({"rollout", "2"});
  EXPECT_EQ(tree.exit_code, 0) << tree.err;
  EXPECT_NE(tree.out.find("sync        api:src -> infra:api/src"), std::string::npos) << tree.out;
  EXPECT_NE(tree.out.find("└─"), std::string::npos) << tree.out;

  // Every coordination action is in the audit chain, which verifies.
  std::vector<std::string> actions = AuditActions();
  for (const char* expected :
       {"api.mutation /api/v1/rollouts", "rollout.requested local", "rollout.started local",
        "sync api:src -> infra:api/src", "run.started infra/deploy-api",
        "run.finished infra/deploy-api", "deployment api", "deployment web",
        "integration 2 checks through the gateway", "rollout.finished local"}) {
    EXPECT_TRUE(Has(actions, expected)) << expected;
  }
}

TEST_F(RolloutTest, AFailureInTheLastRepositoryRollsBackEveryServiceTheRolloutDeployed) {
  Up(0);
  std::string api_before = w_.Serving("api");
  w_.CommitApi("two");
  w_.CommitWeb("<h1>welcome fail-web</h1>");
  CommandOutput failed = Up(1);
  json rollout = w_.Rollout(2);
  EXPECT_EQ(rollout["state"], "failed");
  std::string reason = rollout.value("reason", "");
  EXPECT_NE(reason.find("web/deploy-web"), std::string::npos) << reason;
  EXPECT_NE(reason.find("rolled back api"), std::string::npos) << reason;
  // The api had been deployed by this rollout and succeeded: it went back too.
  EXPECT_EQ(w_.Serving("api"), api_before);
  EXPECT_EQ(w_.ApiMessage(), "one");
  std::vector<std::string> steps = Steps(2);
  EXPECT_EQ(steps.back(), "rollback api succeeded") << failed.out;
  std::vector<std::string> actions = AuditActions();
  EXPECT_TRUE(Has(actions, "rollout.rolling_back local"));
  EXPECT_TRUE(Has(actions, "rollback api"));  // the rollout's step and the runtime's deployment

  // The last good commits did not move: fixing the page carries the api change out again.
  w_.CommitWeb("<h1>welcome again</h1>");
  Up(0);
  EXPECT_EQ(w_.ApiMessage(), "two");
}

TEST_F(RolloutTest, AFallbackAlongTheHandlerChainIsReportedAndTheRolloutStillSucceeds) {
  Up(0);
  w_.CommitApi("exit-main");
  CommandOutput second = Up(0);
  json rollout = w_.Rollout(2);
  EXPECT_EQ(rollout["state"], "succeeded") << second.out;
  EXPECT_EQ(w_.ApiMessage(), "older");
  std::string reason = rollout.value("reason", "");
  EXPECT_TRUE(reason.starts_with("with a fallback: api is served by older (main: exited"))
      << reason;
  // The step that deployed says so too, and carries the deployment in its data.
  bool reported = false;
  for (const json& step : rollout["steps"]) {
    if (step.value("subject", "") != "infra/deploy-api") continue;
    std::string detail = step.value("detail", "");
    EXPECT_NE(detail.find("api is served by older"), std::string::npos) << detail;
    reported = true;
  }
  EXPECT_TRUE(reported) << rollout.dump(2);

  // The next good commit is served by the newest handler again, with no fallback reported.
  w_.CommitApi("three");
  Up(0);
  EXPECT_EQ(w_.ApiMessage(), "three");
  EXPECT_EQ(w_.Rollout(3).value("reason", ""), "");
}

TEST_F(RolloutTest, FailingIntegrationTestsRollBackEveryServiceInReverseOrder) {
  Up(0);
  std::string api_before = w_.Serving("api");
  std::string web_before = w_.Serving("web");
  w_.CommitApi("three");
  w_.CommitWeb("<h1>hello</h1>");  // no "welcome": the page check fails
  Up(1);
  json rollout = w_.Rollout(2);
  EXPECT_EQ(rollout["state"], "failed");
  EXPECT_NE(rollout.value("reason", "").find("integration tests"), std::string::npos)
      << rollout.dump(2);
  EXPECT_EQ(w_.Serving("api"), api_before);
  EXPECT_EQ(w_.Serving("web"), web_before);
  std::vector<std::string> steps = Steps(2);
  ASSERT_GE(steps.size(), 2u);
  // web was deployed last, so it goes back first.
  EXPECT_EQ(steps[steps.size() - 2], "rollback web succeeded");
  EXPECT_EQ(steps.back(), "rollback api succeeded");
}

TEST_F(RolloutTest, AWorkflowFailingInTheMiddleStopsEverythingDownstream) {
  Up(0);
  std::string api_before = w_.Serving("api");
  w_.CommitApi("fail-infra");
  Up(1);
  json rollout = w_.Rollout(2);
  EXPECT_EQ(rollout["state"], "failed");
  EXPECT_NE(rollout.value("reason", "").find("infra/deploy-api"), std::string::npos)
      << rollout.dump(2);
  EXPECT_NE(rollout.value("reason", "").find("nothing was deployed"), std::string::npos)
      << rollout.dump(2);
  for (const std::string& step : Steps(2)) {
    EXPECT_EQ(step.find("web/"), std::string::npos) << "ran downstream of a failure: " << step;
  }
  EXPECT_EQ(w_.Serving("api"), api_before);
}

TEST_F(RolloutTest, AServerKilledDuringARolloutRollsItBackWhenItStartsAgain) {
  Up(0);
  std::string api_before = w_.Serving("api");
  std::filesystem::path gate = w_.root.path() / "gate";
  w_.WriteWorkspace("", {{"GATE", gate.string()}});
  w_.CommitApi("four");
  w_.CommitWeb("<h1>welcome four</h1>");
  Up(0, {"--no-wait"});
  // The api is deployed and the web run waits at its gate: kill -9 the server now.
  ASSERT_TRUE(testing::WaitUntil([&] {
    for (const std::string& step : Steps(2)) {
      if (step == "run web/deploy-web running") return true;
    }
    return false;
  })) << testing::ReadText(w_.server.state() / "logs" / "access.log");
  EXPECT_EQ(w_.ApiMessage(), "four");
  std::string tag = "LOCKSTEP_ROLLOUT_TAG=" + w_.server.state().string() + ":2";
  EXPECT_FALSE(exec::FindProcessesWithEnvironment(tag).empty());
  w_.server.Kill();

  ASSERT_TRUE(w_.server.Start()) << w_.server.server_output();
  ASSERT_TRUE(w_.WaitForState(2, "failed")) << w_.Rollout(2).dump(2);
  json rollout = w_.Rollout(2);
  EXPECT_NE(rollout.value("reason", "").find("interrupted"), std::string::npos) << rollout.dump(2);
  EXPECT_NE(rollout.value("reason", "").find("rolled back api"), std::string::npos)
      << rollout.dump(2);
  EXPECT_EQ(w_.Serving("api"), api_before);
  EXPECT_TRUE(testing::WaitUntil([&] { return w_.ApiMessage() == "one"; }));
  // The run the dead server started was stopped, not left waiting at its gate.
  EXPECT_TRUE(testing::WaitUntil([&] { return exec::FindProcessesWithEnvironment(tag).empty(); }));
  for (const std::string& step : Steps(2)) {
    EXPECT_EQ(step.find(" running"), std::string::npos) << step;
  }
  // The chain survived the crash and verifies.
  EXPECT_TRUE(Has(AuditActions(), "rollout.finished local"));
}

TEST_F(RolloutTest, RolloutsThatWaitSurviveAKilledServerAndCarryOnAfterIt) {
  w_.WriteWorkspace("approval: required");
  Up(0, {"--no-wait"});
  ASSERT_TRUE(w_.WaitForState(1, "awaiting_approval"));
  w_.CommitApi("two");
  Up(0, {"--no-wait"});
  EXPECT_EQ(w_.Rollout(2)["state"], "queued");
  w_.server.Kill();
  ASSERT_TRUE(w_.server.Start()) << w_.server.server_output();
  // Nothing was running: both wait as they did.
  EXPECT_EQ(w_.Rollout(1)["state"], "awaiting_approval");
  EXPECT_EQ(w_.Rollout(2)["state"], "queued");
  ASSERT_EQ(w_.Lockstep({"approve", "1"}).exit_code, 0);
  ASSERT_TRUE(w_.WaitForState(1, "succeeded")) << w_.Rollout(1).dump(2);
  ASSERT_TRUE(w_.WaitForState(2, "awaiting_approval")) << w_.Rollout(2).dump(2);
  ASSERT_EQ(w_.Lockstep({"approve", "2"}).exit_code, 0);
  ASSERT_TRUE(w_.WaitForState(2, "succeeded")) << w_.Rollout(2).dump(2);
  EXPECT_EQ(w_.ApiMessage(), "two");
  EXPECT_TRUE(Has(AuditActions(), "rollout.finished local"));
}

TEST_F(RolloutTest, RolloutsOfOneEnvironmentRunOneAfterTheOther) {
  std::filesystem::path gate = w_.root.path() / "gate";
  w_.WriteWorkspace("", {{"GATE", gate.string()}});
  Up(0, {"--no-wait"});
  ASSERT_TRUE(w_.WaitForState(1, "running"));
  w_.CommitApi("two");
  Up(0, {"--no-wait"});
  json second = w_.Rollout(2);
  EXPECT_EQ(second["state"], "queued") << second.dump(2);
  EXPECT_TRUE(second["steps"].empty());
  w_.root.Write("gate", "");
  ASSERT_TRUE(w_.WaitForState(1, "succeeded")) << w_.Rollout(1).dump(2);
  ASSERT_TRUE(w_.WaitForState(2, "succeeded")) << w_.Rollout(2).dump(2);
  json first = w_.Rollout(1);
  second = w_.Rollout(2);
  EXPECT_GE(second.value("started_at", ""), first.value("finished_at", ""));
  // The second was planned again when its turn came: only what the first left to do.
  EXPECT_EQ(second["strategy"], "api changed: api -> sync -> infra -> web");
  EXPECT_EQ(w_.ApiMessage(), "two");
}

TEST_F(RolloutTest, AnEnvironmentThatNeedsApprovalWaitsForADecision) {
  w_.WriteWorkspace("approval: required");
  Up(0, {"--no-wait"});
  ASSERT_TRUE(w_.WaitForState(1, "awaiting_approval")) << w_.Rollout(1).dump(2);
  EXPECT_EQ(w_.Serving("api"), "");
  CommandOutput approved = w_.Lockstep({"approve", "1", "--actor", "alice"});
  EXPECT_EQ(approved.exit_code, 0) << approved.err;
  ASSERT_TRUE(w_.WaitForState(1, "succeeded")) << w_.Rollout(1).dump(2);
  EXPECT_EQ(w_.Rollout(1)["decided_by"], "alice");
  EXPECT_EQ(w_.ApiMessage(), "one");

  std::string api_before = w_.Serving("api");
  w_.CommitApi("five");
  Up(0, {"--no-wait"});
  ASSERT_TRUE(w_.WaitForState(2, "awaiting_approval"));
  CommandOutput rejected = w_.Lockstep({"reject", "2", "--actor", "bob", "--reason", "not today"});
  EXPECT_EQ(rejected.exit_code, 0) << rejected.err;
  json rollout = w_.Rollout(2);
  EXPECT_EQ(rollout["state"], "rejected");
  EXPECT_EQ(rollout["reason"], "rejected by bob: not today");
  EXPECT_EQ(w_.Serving("api"), api_before);
  // A decision is only for a rollout that waits for one.
  std::vector<std::string> actions = AuditActions();
  EXPECT_TRUE(Has(actions, "approval.requested environment local"));
  EXPECT_TRUE(Has(actions, "approval.granted rollout 1"));
  EXPECT_TRUE(Has(actions, "approval.rejected rollout 2"));
  CommandOutput twice = w_.Lockstep({"approve", "2"});
  EXPECT_EQ(twice.exit_code, 1);
  EXPECT_NE(twice.err.find("not awaiting approval"), std::string::npos) << twice.err;
}

TEST_F(RolloutTest, BadWorkspacesAndRequestsChangeNothing) {
  // A cycle of `after` edges: refused with its position, no rollout recorded.
  std::string good = testing::ReadText(w_.root.path() / "lockstep.yaml");
  std::string cycle = good;
  cycle.replace(cycle.find("branch: main }"), 14, "branch: main, after: [web] }");
  w_.root.Write("lockstep.yaml", cycle);
  CommandOutput refused = Up(1);
  EXPECT_NE(refused.err.find("lockstep.yaml:"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("->"), std::string::npos) << refused.err;
  w_.root.Write("lockstep.yaml", good);

  // A repository that disappeared is named.
  std::filesystem::path moved = w_.web.path().string() + ".moved";
  std::filesystem::rename(w_.web.path(), moved);
  CommandOutput missing = Up(1);
  EXPECT_NE(missing.err.find("web"), std::string::npos) << missing.err;
  std::filesystem::rename(moved, w_.web.path());
  CommandOutput list = w_.Lockstep({"rollouts", "--json"});
  EXPECT_EQ(json::parse(list.out)["rollouts"].size(), 0u) << list.out;

  EXPECT_EQ(w_.Lockstep({"rollout", "abc"}).exit_code, 2);
  CommandOutput unknown = w_.Lockstep({"rollout", "99"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("no rollout 99"), std::string::npos) << unknown.err;
  http::ClientResponse no_token =
      w_.server.Api("POST", "/api/v1/rollouts", "{}", std::string("wrong"));
  EXPECT_EQ(no_token.status, 401);
  http::ClientResponse bad =
      w_.server.Api("POST", "/api/v1/rollouts", "{\"environment\": 3}", w_.server.admin_token());
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body.find("request_id"), std::string::npos) << bad.body;
  std::vector<std::string> actions = AuditActions();
  EXPECT_TRUE(Has(actions, "api.refused /api/v1/rollouts"));
}

TEST_F(RolloutTest, TheTriggerActionRunsAWorkflowOfAnotherRepositoryAndWaits) {
  w_.api.Write(".codecatalyst/workflows/trigger-web.yaml", R"(Name: trigger-web
SchemaVersion: "1.0"
Actions:
  TriggerWeb:
    Identifier: lockstep/trigger@v1
    Configuration: { Repository: web, Workflow: deploy-web, Timeout: 2m }
  Show:
    Identifier: aws/build@v1
    DependsOn: [TriggerWeb]
    Configuration:
      Steps:
        - Run: echo "triggered run=${TriggerWeb.RunId} status=${TriggerWeb.Status}"
)");
  w_.api.Commit("trigger");
  CommandOutput run = w_.Lockstep({"run", "trigger-web", "--repo", w_.api.path().string()});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_FALSE(w_.Serving("web").empty());
  CommandOutput show = w_.Lockstep({"logs", "1", "Show"});
  EXPECT_NE(show.out.find("triggered run=2 status=succeeded"), std::string::npos) << show.out;

  w_.CommitWeb("fail-web");
  CommandOutput failed = w_.Lockstep({"run", "trigger-web", "--repo", w_.api.path().string()});
  EXPECT_EQ(failed.exit_code, 1) << failed.out;
  CommandOutput log = w_.Lockstep({"logs", "3", "TriggerWeb"});
  EXPECT_NE(log.out.find("web/deploy-web: run 4 failed"), std::string::npos) << log.out;
}

// `lockstep serve` polls the repositories: an environment with `auto: true` gets a rollout
// for each change; another one only shows the plan as pending.
TEST(RolloutPollingTest, AChangeStartsARolloutInAnAutoEnvironmentAndIsPendingElsewhere) {
  testing::RolloutWorkspace w("200ms");
  w.WriteWorkspace("auto: true");
  ASSERT_TRUE(w.server.Start()) << w.server.server_output();
  ASSERT_TRUE(w.WaitForState(1, "succeeded")) << w.Rollout(1).dump(2) << w.server.server_output();
  EXPECT_EQ(w.Rollout(1)["actor"], "lockstep (poll)");
  EXPECT_EQ(w.ApiMessage(), "one");
  w.CommitApi("two");
  ASSERT_TRUE(w.WaitForState(2, "succeeded")) << w.Rollout(2).dump(2);
  EXPECT_EQ(w.ApiMessage(), "two");

  // Without `auto`, a change is only reported.
  w.WriteWorkspace();
  w.CommitApi("three");
  json listed;
  ASSERT_TRUE(testing::WaitUntil([&] {
    CommandOutput list = w.Lockstep({"rollouts", "--json"});
    listed = json::parse(list.out, nullptr, false);
    return listed.is_object() && !listed["pending"].empty();
  })) << listed.dump(2);
  EXPECT_EQ(listed["pending"][0]["strategy"], "api changed: api -> sync -> infra -> web");
  EXPECT_EQ(listed["rollouts"].size(), 2u);
  EXPECT_EQ(w.ApiMessage(), "two");
}

}  // namespace
}  // namespace lockstep
