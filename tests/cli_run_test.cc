// `lockstep run`, `runs` and `logs` end to end: the real binary, real git repositories, real
// processes and a real state store in temporary directories.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "background_process.h"
#include "fixture_util.h"
#include "git_fixture.h"
#include "run_binary.h"
#include "temp_dir.h"
#include "workflow_run_fixture.h"

namespace lockstep {
namespace {

namespace fs = std::filesystem;
using testing::BackgroundLockstep;
using testing::CommandOutput;
using testing::GitFixture;
using testing::TempDir;
using testing::WaitUntil;

constexpr std::string_view kPipeline = R"yaml(Name: Pipeline
SchemaVersion: "1.0"
Actions:
  Build:
    Identifier: aws/build@v1
    Inputs:
      Sources:
        - WorkflowSource
    Outputs:
      Artifacts:
        - Name: binaries
          Files:
            - out/**
      Variables:
        - VERSION
    Configuration:
      Steps:
        - Run: mkdir -p out && cp src/app.sh out/app && chmod +x out/app
        - Run: VERSION=$(cat VERSION)
  Test:
    Identifier: aws/managed-test@v1
    DependsOn:
      - Build
    Inputs:
      Artifacts:
        - binaries
    Outputs:
      Reports:
        unit:
          Format: JUNITXML
          IncludePaths:
            - report.xml
    Configuration:
      Steps:
        - Run: cd out
        - Run: test "$(./app)" = "hello from app"
        - Run: cd .. && printf '<testsuite><testcase name="a"/><testcase name="b"><skipped/></testcase></testsuite>' > report.xml
  Package:
    Identifier: aws/build@v1
    DependsOn:
      - Test
    Inputs:
      Artifacts:
        - binaries
      Variables:
        - Name: VERSION
          Value: ${Build.VERSION}
    Outputs:
      Artifacts:
        - Name: package
          Files:
            - "*.tar.gz"
      Variables:
        - PACKAGE
    Configuration:
      Steps:
        - Run: tar czf app-${Build.VERSION}.tar.gz out
        - Run: PACKAGE=app-$VERSION.tar.gz
)yaml";

class CliRunTest : public testing::WorkflowRunTest {};

TEST_F(CliRunTest, PipelineRunsWithArtifactsVariablesAndReports) {
  Workflow("pipeline.yaml", kPipeline);
  repo_.Commit("pipeline");
  repo_.Write("VERSION", "9.9.9-uncommitted\n");  // the run uses the commit, not the work tree

  CommandOutput run = Lockstep({"run", "Pipeline", "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  nlohmann::json summary = nlohmann::json::parse(run.out);
  EXPECT_EQ(summary["state"], "succeeded");
  ASSERT_EQ(summary["actions"].size(), 3u);
  EXPECT_EQ(summary["actions"][1]["tests"],
            (nlohmann::json{{"passed", 1}, {"failed", 0}, {"skipped", 1}}));
  fs::path package = state_.path() / "runs/1/artifacts/package/app-1.4.2.tar.gz";
  EXPECT_TRUE(fs::exists(package)) << run.err;
  EXPECT_NE(run.err.find("run 1 succeeded"), std::string::npos) << run.err;

  CommandOutput logs = Lockstep({"logs", "1", "Package"});
  EXPECT_EQ(logs.exit_code, 0);
  EXPECT_NE(logs.out.find("--- step 1/2: tar czf app-1.4.2.tar.gz out"), std::string::npos)
      << logs.out;
}

TEST_F(CliRunTest, PlainOutputHasOneLinePerChangeAndASummaryTable) {
  Workflow("pipeline.yaml", kPipeline);
  repo_.Commit("pipeline");
  CommandOutput run = Lockstep({"run", ".codecatalyst/workflows/pipeline.yaml", "-j", "1"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find(" Build running\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(" Build succeeded "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("ACTION   STATE"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("1 passed, 0 failed, 1 skipped"), std::string::npos) << run.out;
}

TEST_F(CliRunTest, RunsStartedAndEndedAreInTheAuditChain) {
  Workflow("w.yaml", OneAction("Audited", "        - Run: exit 3"));
  repo_.Commit("workflow");
  EXPECT_EQ(Lockstep({"run", "Audited"}).exit_code, 1);
  CommandOutput log = Lockstep({"audit", "log", "--json"});
  ASSERT_EQ(log.exit_code, 0) << log.err;
  nlohmann::json records = nlohmann::json::parse(log.out);
  ASSERT_EQ(records.size(), 2u) << log.out;
  EXPECT_EQ(records[0]["action"], "run.started");
  EXPECT_EQ(records[0]["subject"], "run 1");
  EXPECT_EQ(records[0]["details"]["workflow"], "Audited");
  EXPECT_EQ(records[1]["action"], "run.finished");
  EXPECT_EQ(records[1]["details"]["state"], "failed");
  EXPECT_EQ(Lockstep({"audit", "verify"}).exit_code, 0);
}

TEST_F(CliRunTest, FailedStepSkipsDependantsAndShowsTheLogTail) {
  Workflow("w.yaml", R"yaml(Name: Failing
SchemaVersion: "1.0"
Actions:
  Build:
    Identifier: aws/build@v1
    Configuration:
      Steps:
        - Run: echo compiling
        - Run: 'echo "error: missing semicolon" >&2; exit 3'
        - Run: echo never
  Deploy:
    Identifier: aws/build@v1
    DependsOn:
      - Build
    Configuration:
      Steps:
        - Run: echo deploying
)yaml");
  repo_.Commit("w");
  CommandOutput run = Lockstep({"run", "Failing"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(
      run.out.find("step 2 (echo \"error: missing semicolon\" >&2; exit 3) exited with code 3"),
      std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("skipped: depends on Build, which failed"), std::string::npos);
  EXPECT_NE(run.out.find("err error: missing semicolon"), std::string::npos) << run.out;
  EXPECT_EQ(Lockstep({"logs", "1", "Build"}).out.find("never"), std::string::npos);
}

TEST_F(CliRunTest, KeepGoingRunsIndependentActions) {
  Workflow("w.yaml", R"yaml(Name: KeepGoing
SchemaVersion: "1.0"
Actions:
  Broken:
    Identifier: aws/build@v1
    Configuration:
      Steps:
        - Run: "false"
  Independent:
    Identifier: aws/build@v1
    DependsOn:
      - Slow
    Configuration:
      Steps:
        - Run: echo ran
  Slow:
    Identifier: aws/build@v1
    Configuration:
      Steps:
        - Run: "true"
)yaml");
  repo_.Commit("w");
  CommandOutput stopped = Lockstep({"run", "KeepGoing", "-j", "1", "--json"});
  EXPECT_EQ(stopped.exit_code, 1);
  CommandOutput going = Lockstep({"run", "KeepGoing", "-j", "1", "--keep-going", "--json"});
  EXPECT_EQ(going.exit_code, 1);
  nlohmann::json summary = nlohmann::json::parse(going.out);
  EXPECT_EQ(summary["actions"][1]["state"], "succeeded");
  EXPECT_EQ(summary["actions"][2]["state"], "succeeded");
}

TEST_F(CliRunTest, UnknownWorkflowAndCommitAreRefusedWithoutRecordingAnything) {
  Workflow("pipeline.yaml", kPipeline);
  repo_.Commit("pipeline");
  CommandOutput unknown = Lockstep({"run", "Pipelin"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_EQ(unknown.err, "lockstep: error: no workflow named 'Pipelin' in " +
                             repo_.path().string() + "; did you mean 'Pipeline'?\n");
  CommandOutput commit = Lockstep({"run", "Pipeline", "--commit", "nosuchref"});
  EXPECT_EQ(commit.exit_code, 1);
  EXPECT_NE(commit.err.find("unknown revision 'nosuchref'"), std::string::npos) << commit.err;
  fs::create_directories(repo_.path() / "dir.yaml");
  CommandOutput unreadable = Lockstep({"run", "dir.yaml"});
  EXPECT_EQ(unreadable.exit_code, 1);
  EXPECT_NE(unreadable.err.find("no workflow named 'dir.yaml'"), std::string::npos)
      << unreadable.err;
  EXPECT_TRUE(Runs().empty());
}

TEST_F(CliRunTest, WorkflowWithErrorsIsRefusedWithDiagnostics) {
  Workflow("bad.yaml",
           "Name: Bad\nSchemaVersion: \"1.0\"\nActions:\n  A:\n    Identifier: aws/build@v1\n"
           "    DependsOn:\n      - Nope\n    Configuration:\n      Steps:\n        - Run: x\n");
  repo_.Commit("bad");
  CommandOutput run = Lockstep({"run", ".codecatalyst/workflows/bad.yaml"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("bad.yaml:7:9: error: "), std::string::npos) << run.err;
  EXPECT_TRUE(Runs().empty());
}

TEST_F(CliRunTest, CloudOnlyActionIsRefusedWithTheMappingOrSkipped) {
  Workflow("w.yaml", R"yaml(Name: Cloud
SchemaVersion: "1.0"
Actions:
  DeployStack:
    Identifier: aws/cdk-deploy@v1
    Configuration:
      StackName: app
  After:
    Identifier: aws/build@v1
    DependsOn:
      - DeployStack
    Configuration:
      Steps:
        - Run: echo after
)yaml");
  repo_.Commit("w");
  CommandOutput refused = Lockstep({"run", "Cloud"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("action 'DeployStack' uses aws/cdk-deploy@v1, which runs only in "
                             "AWS. Map it to a local command in .lockstep/local-actions.yaml"),
            std::string::npos)
      << refused.err;
  EXPECT_TRUE(Runs().empty());

  CommandOutput skipped = Lockstep({"run", "Cloud", "--skip-cloud", "--json"});
  EXPECT_EQ(skipped.exit_code, 0) << skipped.err;
  nlohmann::json summary = nlohmann::json::parse(skipped.out);
  EXPECT_EQ(summary["actions"][0]["state"], "skipped");
  EXPECT_EQ(summary["actions"][1]["state"], "succeeded");

  repo_.Write(".lockstep/local-actions.yaml",
              "Identifiers:\n  aws/cdk-deploy@v1:\n    Steps:\n      - Run: echo local deploy\n");
  CommandOutput mapped = Lockstep({"run", "Cloud"});
  EXPECT_EQ(mapped.exit_code, 0) << mapped.out << mapped.err;
  EXPECT_NE(Lockstep({"logs", "2", "DeployStack"}).out.find("local deploy"), std::string::npos);
}

TEST_F(CliRunTest, SecretsReachOnlyReferencingActionsAndAreMasked) {
  Workflow("w.yaml", R"yaml(Name: Secret
SchemaVersion: "1.0"
Actions:
  Uses:
    Identifier: aws/build@v1
    Configuration:
      Steps:
        - Run: printf 'token is %s\n' "${Secrets.TOKEN}"; printf 'hunt'; sleep 0.1; printf 'er2 split\n'
  Other:
    Identifier: aws/build@v1
    Configuration:
      Steps:
        - Run: env | grep -c LOCKSTEP_SECRET || true
)yaml");
  repo_.Commit("w");
  CommandOutput missing = Lockstep({"run", "Secret"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("the workflow references secret TOKEN that is not provided"),
            std::string::npos)
      << missing.err;
  EXPECT_TRUE(Runs().empty());

  fs::path secrets = state_.path() / "secrets.env";
  std::ofstream(secrets) << "TOKEN=hunter2\n";
  ::chmod(secrets.c_str(), 0644);
  CommandOutput open = Lockstep({"run", "Secret", "--secrets", secrets.string()});
  EXPECT_EQ(open.exit_code, 1);
  EXPECT_NE(open.err.find("chmod 600"), std::string::npos);
  ::chmod(secrets.c_str(), 0600);

  CommandOutput run = Lockstep({"run", "Secret", "--secrets", secrets.string()});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  std::string logs = Lockstep({"logs", "1"}).out;
  EXPECT_NE(logs.find("[Uses] token is ***"), std::string::npos) << logs;
  EXPECT_NE(logs.find("[Uses] *** split"), std::string::npos) << logs;
  EXPECT_NE(logs.find("[Other] 0"), std::string::npos) << logs;
  EXPECT_EQ(logs.find("hunter2"), std::string::npos);
  EXPECT_EQ(run.out.find("hunter2"), std::string::npos);

  CommandOutput from_env = Lockstep({"run", "Secret"}, {"LOCKSTEP_SECRET_TOKEN=hunter2"});
  EXPECT_EQ(from_env.exit_code, 0) << from_env.err;
}

TEST_F(CliRunTest, HugeOutputIsCappedAndTheRunGoesOn) {
  Workflow("w.yaml",
           OneAction("Loud",
                     "        - Run: head -c 1073741824 /dev/zero | tr '\\\\0' 'x'; echo done\n"));
  repo_.Commit("w");
  CommandOutput run = Lockstep({"run", "Loud", "--max-output", "1"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  std::string logs = Lockstep({"logs", "1"}).out;
  EXPECT_LT(logs.size(), size_t{4} << 20);
  EXPECT_NE(logs.find("output truncated"), std::string::npos) << logs.substr(logs.size() - 300);
}

TEST_F(CliRunTest, DaemonForkedByAStepIsKilledWhenTheActionEnds) {
  fs::path pid_file = state_.path() / "daemon.pid";
  Workflow("w.yaml", OneAction("Daemon", "        - Run: sleep 1000 & echo $! > " +
                                             pid_file.string() + "\n"));
  repo_.Commit("w");
  CommandOutput run = Lockstep({"run", "Daemon"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  std::ifstream in(pid_file);
  int pid = 0;
  in >> pid;
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(WaitUntil([&] { return ::kill(pid, 0) != 0 || testing::ProcessIsZombie(pid); }));
}

TEST_F(CliRunTest, InterruptCancelsCleanlyEvenWhenAStepIgnoresSigterm) {
  Workflow("w.yaml",
           OneAction("Stubborn", "        - Run: trap '' TERM; touch " +
                                     (state_.path() / "ready").string() + "; sleep 1000\n"));
  repo_.Commit("w");
  BackgroundLockstep run({"run", "Stubborn", "--kill-grace", "200ms"}, repo_.path(), Env());
  ASSERT_TRUE(WaitUntil([&] { return Exists("ready"); }));
  run.Signal(SIGINT);
  CommandOutput output = run.Wait();
  EXPECT_EQ(output.exit_code, 1) << output.out << output.err;
  EXPECT_NE(output.out.find("cancelled: lockstep received SIGINT"), std::string::npos)
      << output.out;
  EXPECT_EQ(RunState(1), "cancelled");
}

TEST_F(CliRunTest, FullDiskForLogsFailsTheActionAndKeepsTheStoreConsistent) {
  Workflow("w.yaml", OneAction("Logs", "        - Run: echo hello\n"));
  repo_.Commit("w");
  fs::create_directories(state_.path() / "runs/1/logs");
  fs::create_symlink("/dev/full", state_.path() / "runs/1/logs/Only.1.log");
  CommandOutput run = Lockstep({"run", "Logs", "--json"});
  EXPECT_EQ(run.exit_code, 1);
  nlohmann::json summary = nlohmann::json::parse(run.out);
  EXPECT_EQ(summary["actions"][0]["state"], "failed");
  EXPECT_NE(summary["actions"][0]["reason"].get<std::string>().find("No space left on device"),
            std::string::npos)
      << summary.dump();
  EXPECT_EQ(RunState(1), "failed");
}

TEST_F(CliRunTest, KilledRunIsFoundInterruptedAndResumeFinishesIt) {
  fs::path counter = state_.path() / "first-ran";
  Workflow("w.yaml",
           "Name: Crash\nSchemaVersion: \"1.0\"\nActions:\n"
           "  First:\n    Identifier: aws/build@v1\n    Configuration:\n      Steps:\n"
           "        - Run: echo x >> " +
               counter.string() +
               "\n"
               "  Second:\n    Identifier: aws/build@v1\n    DependsOn:\n      - First\n"
               "    Configuration:\n      Steps:\n"
               "        - Run: echo $$ > " +
               (state_.path() / "second.pid").string() + "; " + WaitForFile("release") + "\n");
  repo_.Commit("w");
  {
    BackgroundLockstep run({"run", "Crash"}, repo_.path(), Env());
    ASSERT_TRUE(WaitUntil([&] { return Exists("second.pid"); }));
    run.Signal(SIGKILL);
    run.Wait();
  }
  int step_pid = 0;
  std::ifstream(state_.path() / "second.pid") >> step_pid;
  ASSERT_GT(step_pid, 0);

  EXPECT_EQ(RunState(1), "interrupted");  // `runs` recovers it, and stops what it left
  EXPECT_TRUE(
      WaitUntil([&] { return ::kill(step_pid, 0) != 0 || testing::ProcessIsZombie(step_pid); }));

  Touch("release");
  CommandOutput resumed = Lockstep({"run", "--resume", "1", "--json"});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_EQ(RunState(1), "succeeded");
  EXPECT_EQ(testing::ReadText(counter), "x\n");  // First was not run again
}

TEST_F(CliRunTest, QueuedRunWaitsForTheEarlierOne) {
  Workflow("w.yaml",
           OneAction("Queue", "        - Run: " + WaitForFile("release-$LOCKSTEP_RUN_ID") + "\n"));
  repo_.Commit("w");
  BackgroundLockstep first({"run", "Queue"}, repo_.path(), Env());
  ASSERT_TRUE(WaitUntil([&] { return RunState(1) == "running"; }));
  BackgroundLockstep second({"run", "Queue"}, repo_.path(), Env());
  ASSERT_TRUE(WaitUntil([&] { return second.OutputSoFar().find("waits") != std::string::npos; }));
  EXPECT_EQ(RunState(2), "queued");
  Touch("release-1");
  Touch("release-2");
  EXPECT_EQ(first.Wait().exit_code, 0);
  EXPECT_EQ(second.Wait().exit_code, 0);
  EXPECT_EQ(RunState(2), "succeeded");
}

TEST_F(CliRunTest, SupersededRunCancelsTheOlderWaitingOne) {
  Workflow("w.yaml",
           OneAction("Super", "        - Run: " + WaitForFile("release-$LOCKSTEP_RUN_ID") + "\n",
                     "RunMode: SUPERSEDED\n"));
  repo_.Commit("w");
  BackgroundLockstep first({"run", "Super"}, repo_.path(), Env());
  ASSERT_TRUE(WaitUntil([&] { return RunState(1) == "running"; }));
  BackgroundLockstep second({"run", "Super"}, repo_.path(), Env());
  ASSERT_TRUE(WaitUntil([&] { return RunState(2) == "queued"; }));
  BackgroundLockstep third({"run", "Super"}, repo_.path(), Env());
  ASSERT_TRUE(WaitUntil([&] { return RunState(2) == "cancelled"; }));
  CommandOutput second_output = second.Wait();
  EXPECT_EQ(second_output.exit_code, 1);
  EXPECT_NE(second_output.out.find("superseded by run 3"), std::string::npos) << second_output.out;
  Touch("release-1");
  Touch("release-3");
  EXPECT_EQ(first.Wait().exit_code, 0);
  EXPECT_EQ(third.Wait().exit_code, 0);
}

TEST_F(CliRunTest, ParallelRunsRunAtOnce) {
  Workflow("w.yaml", OneAction("Par",
                               "        - Run: touch " + state_.path().string() +
                                   "/started-$LOCKSTEP_RUN_ID; " + WaitForFile("release") + "\n",
                               "RunMode: PARALLEL\n"));
  repo_.Commit("w");
  BackgroundLockstep first({"run", "Par"}, repo_.path(), Env());
  BackgroundLockstep second({"run", "Par"}, repo_.path(), Env());
  EXPECT_TRUE(WaitUntil([&] { return Exists("started-1") && Exists("started-2"); }));
  Touch("release");
  EXPECT_EQ(first.Wait().exit_code, 0);
  EXPECT_EQ(second.Wait().exit_code, 0);
}

TEST_F(CliRunTest, SandboxKeepsTheSystemReadOnlyAndTheNetworkOff) {
  if (::access("/usr/bin/bwrap", X_OK) != 0) GTEST_SKIP() << "bubblewrap is not installed";
  Workflow(
      "w.yaml",
      OneAction("Boxed",
                "        - Run: echo ok > inside.txt && cat inside.txt\n"
                "        - Run: \"! touch /usr/lockstep-escape 2>/dev/null\"\n"
                "        - Run: test \"$(grep -c '[a-z0-9]:' /proc/net/dev)\" = 1  # only lo\n"));
  repo_.Commit("w");
  CommandOutput run = Lockstep({"run", "Boxed", "--sandbox"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_FALSE(fs::exists("/usr/lockstep-escape"));
}

TEST_F(CliRunTest, SandboxPerActionWithOrWithoutTheNetwork) {
  if (::access("/usr/bin/bwrap", X_OK) != 0) GTEST_SKIP() << "bubblewrap is not installed";
  Workflow("w.yaml", R"yaml(Name: PerAction
SchemaVersion: "1.0"
Actions:
  Offline:
    Identifier: aws/build@v1
    Configuration:
      Steps:
        - Run: test "$(grep -c '[a-z0-9]:' /proc/net/dev)" = 1 && ! touch /usr/lockstep-escape 2>/dev/null
  Online:
    Identifier: aws/build@v1
    Configuration:
      Steps:
        - Run: test "$(grep -c '[a-z0-9]:' /proc/net/dev)" = "$HOST_INTERFACES"
  Host:
    Identifier: aws/build@v1
    Configuration:
      Steps:
        - Run: test -w /usr
)yaml");
  repo_.Write(".lockstep/local-actions.yaml",
              "Sandbox:\n  Offline: {}\n  Online:\n    Network: true\n");
  repo_.Commit("w");
  // With the network, the sandbox sees this machine's interfaces; without, only lo.
  std::string host_dev = testing::ReadText("/proc/net/dev");
  int interfaces = 0;
  for (size_t colon = host_dev.find(':'); colon != std::string::npos;
       colon = host_dev.find(':', colon + 1)) {
    ++interfaces;
  }
  CommandOutput run =
      Lockstep({"run", "PerAction", "--var", "HOST_INTERFACES=" + std::to_string(interfaces)});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
}

TEST_F(CliRunTest, InPlaceWriteToTheSharedSourceFailsTheActionAndIsRepaired) {
  Workflow("w.yaml", R"yaml(Name: Writer
SchemaVersion: "1.0"
Actions:
  Writer:
    Identifier: aws/build@v1
    Inputs:
      Sources:
        - WorkflowSource
    Configuration:
      Steps:
        - Run: chmod u+w VERSION && echo damaged >> VERSION
  Reader:
    Identifier: aws/build@v1
    DependsOn:
      - Writer
    Inputs:
      Sources:
        - WorkflowSource
    Configuration:
      Steps:
        - Run: cat VERSION
  Rewriter:
    Identifier: aws/build@v1
    Inputs:
      Sources:
        - WorkflowSource
    Configuration:
      Steps:
        - Run: sed -i 's/1.4.2/2.0.0/' VERSION && cat VERSION
)yaml");
  repo_.Commit("w");
  CommandOutput run = Lockstep({"run", "Writer", "-j", "1", "--keep-going", "--json"});
  nlohmann::json summary = nlohmann::json::parse(run.out);
  EXPECT_EQ(summary["actions"][0]["state"], "failed");
  EXPECT_NE(summary["actions"][0]["reason"].get<std::string>().find(
                "Writer wrote to source file in place: VERSION"),
            std::string::npos)
      << summary.dump();
  EXPECT_EQ(summary["actions"][2]["state"], "succeeded");  // rename-style rewrites are fine
  // The next run's copy is clean.
  CommandOutput again = Lockstep({"run", "Writer", "-j", "1", "--keep-going"});
  EXPECT_EQ(Lockstep({"logs", "2", "Rewriter"}).out.find("damaged"), std::string::npos);
}

TEST_F(CliRunTest, RunsAndLogsHaveJson) {
  Workflow("w.yaml", OneAction("Json", "        - Run: echo out; echo err >&2\n"));
  repo_.Commit("w");
  ASSERT_EQ(Lockstep({"run", "Json"}).exit_code, 0);
  nlohmann::json runs = Runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["workflow"], "Json");
  EXPECT_EQ(runs[0]["state"], "succeeded");
  CommandOutput logs = Lockstep({"logs", "1", "Only", "--json"});
  std::vector<nlohmann::json> lines;
  std::istringstream in(logs.out);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 3u) << logs.out;
  EXPECT_EQ(lines[0]["stream"], "---");
  EXPECT_EQ(lines[1]["text"], "out");
  EXPECT_EQ(lines[2]["stream"], "err");
  CommandOutput missing = Lockstep({"logs", "1", "Nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "lockstep: error: run 1 has no action 'Nope'; it has: Only\n");
}

}  // namespace
}  // namespace lockstep
