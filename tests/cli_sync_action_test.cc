// lockstep/sync@v1 under `lockstep run`: the native action syncs a folder of a sibling
// repository into the workflow's repository, commits it, and sets its output variables.
#include <gtest/gtest.h>

#include <filesystem>

#include "fixture_util.h"
#include "git_fixture.h"
#include "workflow_run_fixture.h"

namespace lockstep {
namespace {

using testing::CommandOutput;
using testing::GitFixture;

class CliSyncActionTest : public testing::WorkflowRunTest {
 protected:
  // A workflow that syncs `api_`'s src/ into synced/api (committed) and prints the outputs.
  void SyncWorkflow(const std::string& commit) {
    // Both fixtures live in the same temporary folder, so the API repository is a sibling of
    // the workflow's repository and its folder name is the repository name.
    std::string name = api_.path().filename().string();
    Workflow("sync.yaml",
             "Name: SyncApi\nSchemaVersion: \"1.0\"\nActions:\n"
             "  Sync:\n    Identifier: lockstep/sync@v1\n    Configuration:\n"
             "      From: " +
                 name +
                 ":src\n      To: synced/api\n"
                 "      Commit: " +
                 commit +
                 "\n"
                 "  Show:\n    Identifier: aws/build@v1\n    DependsOn: [Sync]\n"
                 "    Configuration:\n      Steps:\n"
                 "        - Run: echo \"digest=${Sync.ManifestSha256} "
                 "commit=${Sync.CommitId}\"\n");
    repo_.Commit("workflow");
  }

  GitFixture api_;
};

TEST_F(CliSyncActionTest, SyncsCommitsAndSetsOutputVariables) {
  ASSERT_EQ(api_.path().parent_path(), repo_.path().parent_path());
  api_.Write("src/main.cc", "int main() { return 0; }\n");
  api_.Write("README.md", "not synced\n");
  std::string source_commit = api_.Commit("api");
  SyncWorkflow("true");

  CommandOutput run = Lockstep({"run", "SyncApi"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(testing::ReadText(repo_.path() / "synced/api/main.cc"), "int main() { return 0; }\n");
  EXPECT_FALSE(std::filesystem::exists(repo_.path() / "synced/api/README.md"));

  std::string head = repo_.Git({"rev-parse", "HEAD"});
  std::string message = repo_.Git({"log", "-1", "--format=%B"});
  EXPECT_NE(message.find("Lockstep-Sync-Commit: " + source_commit), std::string::npos) << message;
  EXPECT_EQ(repo_.Git({"status", "--porcelain"}), "");
  CommandOutput show = Lockstep({"logs", "1", "Show"});
  EXPECT_NE(show.out.find("commit=" + head), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("digest="), std::string::npos);
  EXPECT_EQ(show.out.find("digest= "), std::string::npos) << show.out;

  // A second run with nothing new commits nothing and still reports the digest.
  CommandOutput again = Lockstep({"run", "SyncApi"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(repo_.Git({"rev-parse", "HEAD"}), head);
  CommandOutput second = Lockstep({"logs", "2", "Show"});
  EXPECT_NE(second.out.find("commit=\n"), std::string::npos) << second.out;
}

TEST_F(CliSyncActionTest, AFailedSyncFailsTheActionAndSkipsWhatDependsOnIt) {
  api_.Write("src/main.cc", "int main() {}\n");
  api_.Symlink("src/escape", "../../etc/passwd");
  api_.Commit("api with an escaping link");
  SyncWorkflow("false");

  CommandOutput run = Lockstep({"run", "SyncApi"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_FALSE(std::filesystem::exists(repo_.path() / "synced"));
  CommandOutput log = Lockstep({"logs", "1", "Sync"});
  EXPECT_NE(log.out.find("points outside the subtree"), std::string::npos) << log.out;
  EXPECT_NE(run.out.find("Show"), std::string::npos);
}

TEST_F(CliSyncActionTest, ALineBreakInFromNeverReachesTheShell) {
  api_.Write("src/main.cc", "int main() {}\n");
  api_.Commit("api");
  std::string marker = (state_.path() / "injected").string();
  Workflow("sync.yaml",
           "Name: SyncApi\nSchemaVersion: \"1.0\"\nActions:\n"
           "  Sync:\n    Identifier: lockstep/sync@v1\n    Configuration:\n"
           "      From: \"" +
               api_.path().filename().string() + ":src\\ntouch " + marker +
               " #\"\n      To: synced/api\n");
  repo_.Commit("workflow");
  CommandOutput run = Lockstep({"run", "SyncApi"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.err.find("no control characters"), std::string::npos) << run.err;
  EXPECT_FALSE(std::filesystem::exists(marker));
}

}  // namespace
}  // namespace lockstep
