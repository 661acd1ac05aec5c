// `lockstep run` features beyond the basic pipeline: action groups, the environment actions
// see, caches, discovered reports, resume with reused outputs, following logs, approvals.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "background_process.h"
#include "fixture_util.h"
#include "workflow_run_fixture.h"

namespace lockstep {
namespace {

using testing::BackgroundLockstep;
using testing::CommandOutput;
using testing::WaitUntil;

class CliRunFeaturesTest : public testing::WorkflowRunTest {};

TEST_F(CliRunFeaturesTest, GroupsRunAsTheirMembersGraphAndGroupVariablesResolve) {
  std::string done = (state_.path() / "lint-done").string();
  Workflow("w.yaml", R"yaml(Name: Groups
SchemaVersion: "1.0"
Actions:
  Prepare:
    Identifier: aws/build@v1
    Outputs:
      Variables:
        - SEED
    Configuration:
      Steps:
        - Run: SEED=42
  Checks:
    DependsOn:
      - Prepare
    Actions:
      Lint:
        Identifier: aws/build@v1
        Outputs:
          Variables:
            - LINT
        Configuration:
          Steps:
            - Run: LINT=clean-${Prepare.SEED} && touch )yaml" +
                         done + R"yaml(
      Unit:
        Identifier: aws/managed-test@v1
        DependsOn:
          - Lint
        Configuration:
          Steps:
            - Run: test -f )yaml" +
                         done + R"yaml(
  Report:
    Identifier: aws/build@v1
    DependsOn:
      - Checks
    Configuration:
      Steps:
        - Run: echo "lint=${Checks.Lint.LINT}"
)yaml");
  repo_.Commit("w");
  CommandOutput run = Lockstep({"run", "Groups", "-j", "2"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(Lockstep({"logs", "1", "Report"}).out.find("lint=clean-42"), std::string::npos);
}

TEST_F(CliRunFeaturesTest, EnvironmentIsCleanWithCatalystVariablesInputsAndVars) {
  Workflow("w.yaml", R"yaml(Name: Env
SchemaVersion: "1.0"
Actions:
  Show:
    Identifier: aws/build@v1
    Inputs:
      Sources:
        - WorkflowSource
      Variables:
        - Name: COMMIT
          Value: ${WorkflowSource.CommitId}
        - Name: BRANCH
          Value: on-${WorkflowSource.BranchName}
    Configuration:
      Steps:
        - Run: echo "commit=$COMMIT branch=$BRANCH greeting=$GREETING"
        - Run: test "$CATALYST_SOURCE_DIR_WorkflowSource" = "$PWD" && test "$CATALYST_DEFAULT_DIR" = "$PWD" && echo dirs-ok
        - Run: echo "leak=${PARENT_ONLY:-none} ci=$CI"
        - Run: cat VERSION
)yaml");
  std::string commit = repo_.Commit("w");
  CommandOutput run = Lockstep({"run", "Env", "--var", "GREETING=hi"}, {"PARENT_ONLY=visible"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  std::string logs = Lockstep({"logs", "1"}).out;
  EXPECT_NE(logs.find("commit=" + commit + " branch=on-main greeting=hi"), std::string::npos)
      << logs;
  EXPECT_NE(logs.find("dirs-ok"), std::string::npos) << logs;
  EXPECT_NE(logs.find("leak=none ci=true"), std::string::npos) << logs;
  EXPECT_NE(logs.find("1.4.2"), std::string::npos) << logs;
}

TEST_F(CliRunFeaturesTest, FileCachingRestoresWhatTheLastRunSaved) {
  Workflow("w.yaml", R"yaml(Name: Cache
SchemaVersion: "1.0"
Actions:
  Deps:
    Identifier: aws/build@v1
    Caching:
      FileCaching:
        deps:
          Path: deps
    Configuration:
      Steps:
        - Run: if [ -f deps/stamp ]; then echo "cache hit $(cat deps/stamp)"; else mkdir -p deps && echo 7 > deps/stamp && echo "cache miss"; fi
)yaml");
  repo_.Commit("w");
  ASSERT_EQ(Lockstep({"run", "Cache"}).exit_code, 0);
  EXPECT_NE(Lockstep({"logs", "1"}).out.find("cache miss"), std::string::npos);
  ASSERT_EQ(Lockstep({"run", "Cache"}).exit_code, 0);
  std::string second = Lockstep({"logs", "2"}).out;
  EXPECT_NE(second.find("cache 'deps' restored from 'deps'"), std::string::npos) << second;
  EXPECT_NE(second.find("cache hit 7"), std::string::npos) << second;
}

TEST_F(CliRunFeaturesTest, AutoDiscoveredJUnitReportsAreCounted) {
  Workflow("w.yaml", R"yaml(Name: Reports
SchemaVersion: "1.0"
Actions:
  Test:
    Identifier: aws/managed-test@v1
    Outputs:
      AutoDiscoverReports:
        Enabled: true
        ReportNamePrefix: unit
    Configuration:
      Steps:
        - Run: mkdir -p out/reports && echo '<config/>' > out/settings.xml
        - Run: printf '<testsuites><testsuite><testcase name="a"/><testcase name="b"><failure/></testcase></testsuite></testsuites>' > out/reports/junit.xml
)yaml");
  repo_.Commit("w");
  CommandOutput run = Lockstep({"run", "Reports", "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  nlohmann::json summary = nlohmann::json::parse(run.out);
  EXPECT_EQ(summary["actions"][0]["tests"],
            (nlohmann::json{{"passed", 1}, {"failed", 1}, {"skipped", 0}}));
}

TEST_F(CliRunFeaturesTest, ResumeReusesOutputsOfSucceededActions) {
  std::string builds = (state_.path() / "builds").string();
  std::string flag = (state_.path() / "fixed").string();
  Workflow("w.yaml", R"yaml(Name: Resume
SchemaVersion: "1.0"
Actions:
  Build:
    Identifier: aws/build@v1
    Outputs:
      Variables:
        - VERSION
      Artifacts:
        - Name: bin
          Files:
            - "**/*.bin"
    Configuration:
      Steps:
        - Run: echo built >> )yaml" +
                         builds + R"yaml(
        - Run: mkdir -p a/b && echo payload > a/b/app.bin && VERSION=3.1
  Test:
    Identifier: aws/build@v1
    DependsOn:
      - Build
    Inputs:
      Artifacts:
        - bin
    Configuration:
      Steps:
        - Run: test -f )yaml" +
                         flag + R"yaml(
        - Run: echo "testing ${Build.VERSION} $(cat a/b/app.bin)"
)yaml");
  repo_.Commit("w");
  EXPECT_EQ(Lockstep({"run", "Resume"}).exit_code, 1);
  EXPECT_EQ(RunState(1), "failed");
  Touch("fixed");
  CommandOutput resumed = Lockstep({"run", "--resume", "1"});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_EQ(testing::ReadText(builds), "built\n");
  std::string logs = Lockstep({"logs", "1", "Test"}).out;
  EXPECT_NE(logs.find("testing 3.1 payload"), std::string::npos) << logs;
  CommandOutput again = Lockstep({"run", "--resume", "1"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.err,
            "lockstep: error: run 1 is succeeded; only a failed, cancelled or interrupted run can "
            "be resumed\n");
}

TEST_F(CliRunFeaturesTest, LogsFollowPrintsUntilTheRunEnds) {
  Workflow("w.yaml", OneAction("Follow", "        - Run: echo before; " + WaitForFile("release") +
                                             "; echo after\n"));
  repo_.Commit("w");
  BackgroundLockstep run({"run", "Follow"}, repo_.path(), Env());
  ASSERT_TRUE(WaitUntil([&] { return RunState(1) == "running"; }));
  BackgroundLockstep follow({"logs", "1", "--follow"}, repo_.path(), Env());
  ASSERT_TRUE(WaitUntil([&] { return follow.OutputSoFar().find("before") != std::string::npos; }));
  Touch("release");
  CommandOutput followed = follow.Wait();
  EXPECT_EQ(followed.exit_code, 0);
  EXPECT_NE(followed.out.find("[Only] after"), std::string::npos) << followed.out;
  EXPECT_EQ(run.Wait().exit_code, 0);
}

TEST_F(CliRunFeaturesTest, ApprovalNeedsApprove) {
  Workflow("w.yaml", R"yaml(Name: Approve
SchemaVersion: "1.0"
Actions:
  Gate:
    Identifier: aws/approval@v1
    Configuration:
      ApprovalsRequired: 1
  Ship:
    Identifier: aws/build@v1
    DependsOn:
      - Gate
    Configuration:
      Steps:
        - Run: echo shipped
)yaml");
  repo_.Commit("w");
  CommandOutput refused = Lockstep({"run", "Approve"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("action 'Gate' (aws/approval@v1) waits for an approval; pass "
                             "--approve to approve it for this run"),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(Lockstep({"run", "Approve", "--approve"}).exit_code, 0);
}

TEST_F(CliRunFeaturesTest, ValuesThatLookLikeCodeStayData) {
  std::string marker = (state_.path() / "pwned").string();
  Workflow("w.yaml", R"yaml(Name: Data
SchemaVersion: "1.0"
Actions:
  Produce:
    Identifier: aws/build@v1
    Outputs:
      Variables:
        - VALUE
    Configuration:
      Steps:
        - Run: VALUE='$(touch )yaml" +
                         marker + R"yaml()'
  Consume:
    Identifier: aws/build@v1
    DependsOn:
      - Produce
    Configuration:
      Steps:
        - Run: echo "got ${Produce.VALUE}" && echo 'single ${Produce.VALUE}' && echo ${WorkflowSource.BranchName}
)yaml");
  repo_.Commit("w");
  repo_.Git({"checkout", "-q", "-b", "fix$(touch${IFS}" + marker + ")"});
  CommandOutput run = Lockstep({"run", "Data"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_FALSE(std::filesystem::exists(marker));
  std::string logs = Lockstep({"logs", "1", "Consume"}).out;
  EXPECT_NE(logs.find("got $(touch " + marker + ")"), std::string::npos) << logs;
  EXPECT_NE(logs.find("single $(touch " + marker + ")"), std::string::npos) << logs;
}

TEST_F(CliRunFeaturesTest, SandboxWithoutBubblewrapIsRefusedBeforeAnythingRuns) {
  Workflow("w.yaml", OneAction("Boxed", "        - Run: echo hi\n"));
  repo_.Commit("w");
  CommandOutput run =
      Lockstep({"run", "Boxed", "--sandbox"}, {"LOCKSTEP_BWRAP=/nonexistent/bwrap"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("the sandbox needs bubblewrap (bwrap), which is not installed"),
            std::string::npos)
      << run.err;
  EXPECT_TRUE(Runs().empty());
}

TEST_F(CliRunFeaturesTest, OutputVariablesAShellCannotSetAreRefused) {
  Workflow("w.yaml", R"yaml(Name: Names
SchemaVersion: "1.0"
Actions:
  Build:
    Identifier: aws/build@v1
    Outputs:
      Variables:
        - my-var
    Configuration:
      Steps:
        - Run: "true"
)yaml");
  repo_.Commit("w");
  CommandOutput run = Lockstep({"run", "Names"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("action 'Build': output variable 'my-var' cannot be set by a shell "
                         "step; use letters, digits and '_', not starting with a digit"),
            std::string::npos)
      << run.err;
}

TEST_F(CliRunFeaturesTest, WorkflowNameWinsOverAFileOfTheSameName) {
  Workflow("w.yaml", OneAction("build", "        - Run: echo from the workflow\n"));
  repo_.WriteExecutable("build", "#!/bin/sh\necho a script\n");
  repo_.Commit("w");
  CommandOutput run = Lockstep({"run", "build"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
}

TEST_F(CliRunFeaturesTest, StandInStepsGetTheSecretsTheyReference) {
  Workflow("w.yaml", R"yaml(Name: Cloudy
SchemaVersion: "1.0"
Actions:
  Publish:
    Identifier: aws/s3-publish@v1
    Configuration:
      DestinationBucketName: ${Secrets.BUCKET}
)yaml");
  repo_.Write(".lockstep/local-actions.yaml",
              "Actions:\n  Publish:\n    Steps:\n      - Run: test \"${Secrets.TOKEN}\" = t0k && "
              "echo published\n");
  repo_.Commit("w");
  // The replaced action's BUCKET is not needed; the stand-in's TOKEN is.
  CommandOutput missing = Lockstep({"run", "Cloudy"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("secret TOKEN that is not provided"), std::string::npos)
      << missing.err;
  CommandOutput run = Lockstep({"run", "Cloudy"}, {"LOCKSTEP_SECRET_TOKEN=t0k"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
}

TEST_F(CliRunFeaturesTest, SecretNamesThatShareAVariableAreRefused) {
  Workflow("w.yaml", OneAction("Two", "        - Run: echo ${Secrets.A-B}\n"));
  repo_.Commit("w");
  CommandOutput run = Lockstep({"run", "Two"}, {"LOCKSTEP_SECRET_A-B=1", "LOCKSTEP_SECRET_A_B=2"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("secrets 'A-B' and 'A_B' would both be LOCKSTEP_SECRET_A_B"),
            std::string::npos)
      << run.err;
}

}  // namespace
}  // namespace lockstep
