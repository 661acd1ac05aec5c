#include "engine/local_actions.h"

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace lockstep::engine {
namespace {

class LocalActionsTest : public ::testing::Test {
 protected:
  lockstep::testing::TempDir dir_;
};

TEST_F(LocalActionsTest, MissingFileMeansNoStandIns) {
  auto actions = LoadLocalActions(dir_.path() / "none.yaml");
  ASSERT_TRUE(actions);
  EXPECT_EQ(actions->Find("Deploy", "aws/cdk-deploy@v1"), nullptr);
}

TEST_F(LocalActionsTest, ActionNameWinsOverIdentifier) {
  dir_.Write("l.yaml",
             "Actions:\n  Deploy:\n    Steps:\n      - Run: ./deploy-local.sh\n"
             "Identifiers:\n  aws/cdk-deploy@v1:\n    Steps:\n      - Run: npx cdk synth\n");
  auto actions = LoadLocalActions(dir_.path() / "l.yaml");
  ASSERT_TRUE(actions) << actions.error().ToString();
  ASSERT_NE(actions->Find("Deploy", "aws/cdk-deploy@v1"), nullptr);
  EXPECT_EQ(*actions->Find("Deploy", "aws/cdk-deploy@v1"),
            std::vector<std::string>{"./deploy-local.sh"});
  EXPECT_EQ(*actions->Find("Other", "aws/cdk-deploy@v1"),
            std::vector<std::string>{"npx cdk synth"});
}

TEST_F(LocalActionsTest, ErrorsSayWhere) {
  dir_.Write("l.yaml", "Actions:\n  Deploy:\n    Steps:\n      - Script: x\nOther: 1\n");
  auto actions = LoadLocalActions(dir_.path() / "l.yaml");
  ASSERT_FALSE(actions);
  EXPECT_EQ(actions.error().ToString(),
            (dir_.path() / "l.yaml").string() + ":4:9: each step must be '- Run: COMMAND'");
  dir_.Write("m.yaml", "Actoins: {}\n");
  auto misspelt = LoadLocalActions(dir_.path() / "m.yaml");
  ASSERT_FALSE(misspelt);
  EXPECT_EQ(misspelt.error().ToString(), (dir_.path() / "m.yaml").string() +
                                             ":1:1: unknown key 'Actoins'; expected 'Actions', "
                                             "'Identifiers' or 'Sandbox'");
}

TEST_F(LocalActionsTest, SandboxListsActionsAndTheirNetwork) {
  dir_.Write("l.yaml", "Sandbox:\n  Build: {}\n  Fetch:\n    Network: true\n");
  auto actions = LoadLocalActions(dir_.path() / "l.yaml");
  ASSERT_TRUE(actions) << actions.error().ToString();
  ASSERT_EQ(actions->sandbox.size(), 2u);
  EXPECT_FALSE(actions->sandbox.at("Build").network);
  EXPECT_TRUE(actions->sandbox.at("Fetch").network);
  dir_.Write("bad.yaml", "Sandbox:\n  Fetch:\n    Netwrok: true\n");
  auto bad = LoadLocalActions(dir_.path() / "bad.yaml");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().ToString(), (dir_.path() / "bad.yaml").string() +
                                        ":3:5: unknown key 'Netwrok'; expected 'Network'");
}

}  // namespace
}  // namespace lockstep::engine
