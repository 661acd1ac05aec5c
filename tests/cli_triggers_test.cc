// `lockstep triggers`: the real binary on real repositories.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "git_fixture.h"
#include "run_binary.h"
#include "temp_dir.h"

namespace lockstep {
namespace {

using testing::CommandOutput;
using testing::GitFixture;

class CliTriggersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Workflow("build.yaml",
             "Name: Build\nTriggers:\n  - Type: PUSH\n    Branches:\n      - main\n"
             "    FilesChanged:\n      - src/.*\n");
    Workflow("docs.yaml",
             "Name: Docs\nTriggers:\n  - Type: PUSH\n    FilesChanged:\n      - docs/.*\n");
    Workflow("release.yaml",
             "Name: Release\nTriggers:\n  - Type: PUSH\n    Branches:\n"
             "      - release\n");
    Workflow("emergency.yaml", "Name: Emergency\n");
    repo_.Write("src/app/main.cc", "int main() {}\n");
    base_ = repo_.Commit("base");
  }

  void Workflow(const std::string& file, const std::string& head) {
    repo_.Write(".codecatalyst/workflows/" + file,
                head +
                    "SchemaVersion: \"1.0\"\nActions:\n  Only:\n    Identifier: aws/build@v1\n"
                    "    Configuration:\n      Steps:\n        - Run: \"true\"\n");
  }

  CommandOutput Lockstep(const std::vector<std::string>& arguments) {
    return testing::RunLockstep(arguments, repo_.path());
  }

  // The JSON answer as workflow -> (fires, reasons).
  std::map<std::string, std::pair<bool, std::vector<std::string>>> Verdicts(
      const std::string& out) {
    std::map<std::string, std::pair<bool, std::vector<std::string>>> verdicts;
    for (const auto& entry : nlohmann::json::parse(out)) {
      verdicts[entry["workflow"]] = {entry["fires"].get<bool>(),
                                     entry["reasons"].get<std::vector<std::string>>()};
    }
    return verdicts;
  }

  GitFixture repo_;
  std::string base_;
};

TEST_F(CliTriggersTest, SaysWhichWorkflowsAPushStartsAndWhy) {
  repo_.Write("src/app/main.cc", "int main() { return 0; }\n");
  repo_.Commit("change the app");
  CommandOutput out = Lockstep({"triggers", "--from", "HEAD~1", "--to", "HEAD", "--json"});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  auto verdicts = Verdicts(out.out);
  using Reasons = std::vector<std::string>;
  EXPECT_EQ(verdicts["Build"],
            std::make_pair(true, Reasons{"FilesChanged 'src/.*' matched src/app/main.cc"}));
  EXPECT_EQ(verdicts["Docs"], std::make_pair(false, Reasons{"no file matched FilesChanged "
                                                            "[docs/.*]"}));
  EXPECT_EQ(verdicts["Release"], std::make_pair(false, Reasons{"branch 'main' not in [release]"}));
  EXPECT_EQ(verdicts["Emergency"], std::make_pair(false, Reasons{"manual only (no Triggers)"}));

  CommandOutput text = Lockstep({"triggers", "--from", base_, "--to", "HEAD"});
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("1 path changed; 1 of 4 workflows fires"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("  fires          Build (.codecatalyst/workflows/build.yaml)\n"
                          "                   FilesChanged 'src/.*' matched src/app/main.cc\n"),
            std::string::npos)
      << text.out;
}

TEST_F(CliTriggersTest, RenamesCountWithBothPathsAndTheBranchCanBeGiven) {
  repo_.Git({"mv", "src/app/main.cc", "main.cc"});
  repo_.Commit("move");
  CommandOutput out =
      Lockstep({"triggers", "--from", base_, "--to", "HEAD", "--branch", "release", "--json"});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  auto verdicts = Verdicts(out.out);
  // The old path matches src/.*, but the branch is release.
  EXPECT_FALSE(verdicts["Build"].first);
  EXPECT_TRUE(verdicts["Release"].first);
  // On main, the move fires Build through its old path.
  CommandOutput on_main = Lockstep({"triggers", "--from", base_, "--to", "HEAD", "--json"});
  EXPECT_EQ(Verdicts(on_main.out)["Build"].second,
            std::vector<std::string>{"FilesChanged 'src/.*' matched src/app/main.cc"});
}

TEST_F(CliTriggersTest, WorkflowsAreReadAtThePushedCommit) {
  repo_.Write("docs/guide.md", "guide\n");
  repo_.Commit("docs");
  // An uncommitted edit that would make Build fire on docs/ is not what was pushed.
  Workflow("build.yaml",
           "Name: Build\nTriggers:\n  - Type: PUSH\n    FilesChanged:\n      - docs/.*\n");
  CommandOutput out = Lockstep({"triggers", "--from", base_, "--to", "HEAD", "--json"});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  auto verdicts = Verdicts(out.out);
  EXPECT_FALSE(verdicts["Build"].first);
  EXPECT_TRUE(verdicts["Docs"].first);
}

TEST_F(CliTriggersTest, ACommittedLinkIsNotReadAsAWorkflow) {
  testing::TempDir outside;
  outside.Write("secret.yaml", "Name: HostSecret\nSchemaVersion: \"1.0\"\n");
  repo_.Symlink(".codecatalyst/workflows/x.yaml", (outside.path() / "secret.yaml").string());
  repo_.Commit("link");
  CommandOutput out = Lockstep({"triggers", "--from", base_, "--to", "HEAD", "--json"});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(out.out.find("HostSecret"), std::string::npos) << out.out;
  EXPECT_EQ(Verdicts(out.out).size(), 4u);
}

TEST_F(CliTriggersTest, UnknownRevisionIsAnError) {
  CommandOutput out = Lockstep({"triggers", "--from", "nope", "--to", "HEAD"});
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(out.err, "lockstep: error: unknown revision 'nope'\n");
  EXPECT_EQ(Lockstep({"triggers", "--to", "HEAD"}).exit_code, 2);
}

}  // namespace
}  // namespace lockstep
