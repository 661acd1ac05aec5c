// `lockstep plan`: the real binary on a workspace of three real repositories.
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "coord/plan.h"
#include "git_fixture.h"
#include "run_binary.h"
#include "temp_dir.h"

namespace lockstep {
namespace {

namespace fs = std::filesystem;
using testing::CommandOutput;
using testing::GitFixture;
using testing::TempDir;

class CliPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Workflow(api_, "build.yaml", "ApiBuild", "    FilesChanged: [src/.*]\n");
    api_.Write("src/app.cc", "int main() {}\n");
    Workflow(infra_, "deploy.yaml", "InfraDeploy", "    FilesChanged: [api/src/.*]\n");
    infra_.Write("README.md", "infra\n");
    Workflow(web_, "deploy.yaml", "WebDeploy", "    Branches: [main]\n");
    for (GitFixture* repository : {&api_, &infra_, &web_}) repository->Commit("first");
    workspace_.Write("lockstep.yaml", fmt::format(R"(name: registry
repositories:
  api: {{ path: {} }}
  infra: {{ path: {} }}
  web: {{ path: {}, after: [infra] }}
sync:
  - {{ from: api:src, to: infra:api/src }}
environments:
  local: {{ auto: true }}
  production: {{ approval: required }}
)",
                                                  api_.path().string(), infra_.path().string(),
                                                  web_.path().string()));
  }

  static void Workflow(GitFixture& repository, const std::string& file, const std::string& name,
                       const std::string& push) {
    repository.Write(".codecatalyst/workflows/" + file,
                     "Name: " + name + "\nSchemaVersion: \"1.0\"\nTriggers:\n  - Type: PUSH\n" +
                         push +
                         "Actions:\n  Only:\n    Identifier: aws/build@v1\n"
                         "    Configuration:\n      Steps:\n        - Run: \"true\"\n");
  }

  CommandOutput Lockstep(const std::vector<std::string>& arguments, const fs::path& where = {}) {
    return testing::RunLockstep(arguments, where.empty() ? workspace_.path() : where,
                                {"LOCKSTEP_HOME=" + (state_.path() / "state").string()});
  }

  std::string Baseline() {
    return fmt::format("api={}\ninfra={}\nweb={}\n", api_.Git({"rev-parse", "HEAD"}),
                       infra_.Git({"rev-parse", "HEAD"}), web_.Git({"rev-parse", "HEAD"}));
  }

  GitFixture api_, infra_, web_;
  TempDir workspace_, state_;
};

TEST_F(CliPlanTest, TheFirstRolloutPlansEverythingAsATreeAndAsJson) {
  CommandOutput text = Lockstep({"plan"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(
      text.out.starts_with("plan for registry, environment local\n"
                           "first rollout: api -> sync -> infra -> web\n"))
      << text.out;
  EXPECT_NE(text.out.find("    ├── why: first rollout: all 2 files count as changed\n"),
            std::string::npos)
      << text.out;

  CommandOutput json = Lockstep({"plan", "--json", "--environment", "production"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  Result<coord::Plan> plan = coord::PlanFromJson(json.out);
  ASSERT_TRUE(plan.has_value()) << plan.error().message();
  EXPECT_EQ(plan->environment, "production");
  EXPECT_EQ(plan->stages, (std::vector<std::vector<std::string>>{{"api"}, {"infra"}, {"web"}}));
  // The JSON and the tree are the same plan.
  plan->environment = "local";
  EXPECT_EQ(coord::FormatPlan(*plan), text.out);
  EXPECT_EQ(nlohmann::json::parse(json.out)["repositories"][1]["workflows"][0]["name"],
            "InfraDeploy");
}

TEST_F(CliPlanTest, ABaselinePlansOnlyWhatChangedSinceIt) {
  workspace_.Write("baseline.txt", "# the last rollout\n" + Baseline());
  CommandOutput none = Lockstep({"plan", "--baseline-file", "baseline.txt"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(none.out,
            "plan for registry, environment local\n"
            "nothing changed: every repository is at its last good commit\n");

  std::string api_before = api_.Git({"rev-parse", "HEAD"});
  api_.Write("src/app.cc", "int main() { return 0; }\n");
  api_.Commit("change");
  CommandOutput changed = Lockstep({"plan", "--baseline-file", "baseline.txt"});
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  EXPECT_TRUE(
      changed.out.starts_with("plan for registry, environment local\n"
                              "api changed: api -> sync -> infra -> web\n"))
      << changed.out;
  // --baseline overrides the file for one repository.
  CommandOutput override_api =
      Lockstep({"plan", "--baseline-file", "baseline.txt", "--baseline", "api=HEAD", "--json"});
  ASSERT_EQ(override_api.exit_code, 0) << override_api.err;
  EXPECT_EQ(nlohmann::json::parse(override_api.out)["strategy"], "nothing changed");
  EXPECT_NE(api_before, api_.Git({"rev-parse", "HEAD"}));
}

TEST_F(CliPlanTest, AWorkspaceFileCanBeNamedFromElsewhere) {
  TempDir elsewhere;
  CommandOutput out = Lockstep(
      {"plan", "--workspace", (workspace_.path() / "lockstep.yaml").string()}, elsewhere.path());
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_TRUE(out.out.starts_with("plan for registry")) << out.out;
  CommandOutput missing = Lockstep({"plan"}, elsewhere.path());
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no lockstep.yaml in "), std::string::npos) << missing.err;
}

TEST_F(CliPlanTest, ErrorsNameTheRepositoryAndThePosition) {
  fs::remove_all(infra_.path());
  CommandOutput gone = Lockstep({"plan"});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_EQ(gone.err,
            fmt::format("lockstep: error: {}:4:3: repository 'infra': {} does not exist\n",
                        (workspace_.path() / "lockstep.yaml").string(), infra_.path().string()));
  EXPECT_EQ(gone.out, "");

  workspace_.Write("lockstep.yaml", "repositories:\n  api: { path: api, after: [nope] }\n");
  CommandOutput broken = Lockstep({"plan"});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_EQ(broken.err, fmt::format("{}:2:29: error: repository 'api' is after unknown "
                                    "repository 'nope'\n",
                                    (workspace_.path() / "lockstep.yaml").string()));
}

TEST_F(CliPlanTest, BadFlagsAreUsageErrors) {
  CommandOutput environment = Lockstep({"plan", "--environment", "staging"});
  EXPECT_EQ(environment.exit_code, 2);
  EXPECT_EQ(environment.err,
            fmt::format("lockstep: error: unknown environment 'staging'; {} declares local, "
                        "production\n",
                        (workspace_.path() / "lockstep.yaml").string()));
  CommandOutput form = Lockstep({"plan", "--baseline", "api"});
  EXPECT_EQ(form.exit_code, 2);
  EXPECT_EQ(form.err, "lockstep: error: --baseline 'api' must be REPOSITORY=REVISION\n");
  CommandOutput unknown = Lockstep({"plan", "--baseline", "apx=HEAD"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("--baseline names 'apx', which is not a repository of"),
            std::string::npos)
      << unknown.err;
  workspace_.Write("bad.txt", "api=HEAD\nweb\n");
  CommandOutput file = Lockstep({"plan", "--baseline-file", "bad.txt"});
  EXPECT_EQ(file.exit_code, 2);
  EXPECT_EQ(file.err, "lockstep: error: bad.txt:2: expected REPOSITORY=REVISION\n");
}

}  // namespace
}  // namespace lockstep
