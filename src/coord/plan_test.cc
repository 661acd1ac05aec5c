#include "coord/plan.h"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "git_fixture.h"
#include "temp_dir.h"

namespace lockstep::coord {
namespace {

namespace fs = std::filesystem;
using testing::GitFixture;
using testing::TempDir;
using Lines = std::vector<std::string>;

// Three repositories as the registry example has them: the API's code is synced into the
// infrastructure repository, and the frontend rolls out after the infrastructure.
class CoordPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Workflow(api_, "build.yaml", "ApiBuild", "    Branches: [main]\n    FilesChanged: [src/.*]\n");
    Workflow(api_, "docs.yaml", "ApiDocs", "    FilesChanged: [docs/.*]\n");
    api_.Write("src/app.cc", "int main() {}\n");
    api_.Write("docs/readme.md", "# api\n");
    Workflow(infra_, "deploy.yaml", "InfraDeploy", "    FilesChanged: [api/src/.*]\n");
    Workflow(infra_, "terraform.yaml", "Terraform", "    FilesChanged: [terraform/.*]\n");
    infra_.Write("terraform/main.tf", "# tf\n");
    Workflow(web_, "deploy.yaml", "WebDeploy", "    Branches: [main]\n");
    Workflow(web_, "lint.yaml", "WebLint", "    FilesChanged: [src/.*]\n");
    web_.Write("src/index.html", "<p>hi</p>\n");
    for (GitFixture* repository : {&api_, &infra_, &web_}) {
      repository->Commit("first");
    }
    WriteWorkspace("");
    Good();
  }

  static void Workflow(GitFixture& repository, const std::string& file, const std::string& name,
                       const std::string& push) {
    repository.Write(".codecatalyst/workflows/" + file,
                     "Name: " + name + "\nSchemaVersion: \"1.0\"\nTriggers:\n  - Type: PUSH\n" +
                         push +
                         "Actions:\n  Only:\n    Identifier: aws/build@v1\n"
                         "    Configuration:\n      Steps:\n        - Run: \"true\"\n");
  }

  // The workspace with `extra` appended (more sync rules, say).
  void WriteWorkspace(const std::string& extra, const std::string& from = "api:src") {
    dir_.Write("lockstep.yaml", fmt::format(R"(name: registry
repositories:
  api: {{ path: {} }}
  infra: {{ path: {} }}
  web: {{ path: {}, after: [infra] }}
sync:
  - {{ from: "{}", to: "infra:api/src" }}
{})",
                                            api_.path().string(), infra_.path().string(),
                                            web_.path().string(), from, extra));
  }

  // Records every head as the last good rollout's commit.
  void Good() {
    request_.last_good = {{"api", Head(api_)}, {"infra", Head(infra_)}, {"web", Head(web_)}};
  }

  static std::string Head(GitFixture& repository) { return repository.Git({"rev-parse", "HEAD"}); }

  Result<Plan> MakePlanNow() {
    Result<Workspace> workspace = ReadWorkspaceFile(dir_.path() / "lockstep.yaml");
    EXPECT_TRUE(workspace.has_value()) << workspace.error().message();
    if (!workspace) return std::unexpected(workspace.error());
    workspace_ = std::move(*workspace);
    request_.workspace = &workspace_;
    request_.mirrors_dir = dir_.path() / "mirrors";
    return MakePlan(request_);
  }

  Plan Planned() {
    Result<Plan> plan = MakePlanNow();
    EXPECT_TRUE(plan.has_value()) << plan.error().ToString();
    return plan ? std::move(*plan) : Plan{};
  }

  static Lines Names(const std::vector<PlannedWorkflow>& workflows) {
    Lines names;
    for (const PlannedWorkflow& workflow : workflows) names.push_back(workflow.name);
    return names;
  }

  GitFixture api_, infra_, web_;
  TempDir dir_;
  Workspace workspace_;
  PlanRequest request_;
};

TEST_F(CoordPlanTest, AnApiChangeIsSyncedAndFlowsThroughInfrastructureToTheFrontend) {
  api_.Write("src/app.cc", "int main() { return 0; }\n");
  api_.Write("src/new.cc", "// new\n");
  api_.Commit("change the app");
  Plan plan = Planned();

  EXPECT_EQ(plan.workspace, "registry");
  EXPECT_EQ(plan.environment, "default");
  EXPECT_EQ(plan.strategy, "api changed: api -> sync -> infra -> web");
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_EQ(plan.changes[0].repository, "api");
  EXPECT_EQ(plan.changes[0].branch, "main");
  EXPECT_EQ(plan.changes[0].from_commit, request_.last_good["api"]);
  EXPECT_EQ(plan.changes[0].to_commit, Head(api_));
  EXPECT_EQ(plan.changes[0].note, "");
  ASSERT_EQ(plan.changes[0].files.size(), 2u);
  EXPECT_EQ(plan.changes[0].files[0].path, "src/app.cc");
  EXPECT_EQ(plan.changes[0].files[0].kind, git::ChangedPath::Kind::kModified);
  EXPECT_EQ(plan.changes[0].files[1].kind, git::ChangedPath::Kind::kAdded);

  ASSERT_EQ(plan.syncs.size(), 1u);
  EXPECT_EQ(plan.syncs[0].rule, 0u);
  EXPECT_EQ(plan.syncs[0].from_repository, "api");
  EXPECT_EQ(plan.syncs[0].to_path, "api/src");
  EXPECT_EQ(plan.syncs[0].changed_files, (Lines{"src/app.cc", "src/new.cc"}));

  EXPECT_EQ(plan.stages, (std::vector<Lines>{{"api"}, {"infra"}, {"web"}}));
  ASSERT_EQ(plan.repositories.size(), 3u);
  const PlannedRepository& api = plan.repositories[0];
  EXPECT_EQ(api.name, "api");
  EXPECT_EQ(api.path, api_.path());
  EXPECT_EQ(api.commit, Head(api_));
  EXPECT_EQ(api.stage, 0);
  EXPECT_EQ(api.reasons, Lines{"2 files changed"});
  EXPECT_EQ(Names(api.workflows), Lines{"ApiBuild"});
  EXPECT_EQ(api.workflows[0].file, ".codecatalyst/workflows/build.yaml");
  EXPECT_EQ(api.workflows[0].reasons, Lines{"FilesChanged 'src/.*' matched src/app.cc"});
  EXPECT_EQ(Names(api.not_firing), Lines{"ApiDocs"});
  EXPECT_EQ(api.not_firing[0].reasons, Lines{"no file matched FilesChanged [docs/.*]"});

  // The infrastructure's workflows fire because of the paths the sync writes.
  const PlannedRepository& infra = plan.repositories[1];
  EXPECT_EQ(infra.stage, 1);
  EXPECT_EQ(infra.reasons, Lines{"receives sync api:src -> api/src"});
  EXPECT_EQ(infra.syncs_in, std::vector<size_t>{0});
  EXPECT_EQ(Names(infra.workflows), Lines{"InfraDeploy"});
  EXPECT_EQ(infra.workflows[0].reasons, Lines{"FilesChanged 'api/src/.*' matched api/src/app.cc"});
  EXPECT_EQ(Names(infra.not_firing), Lines{"Terraform"});

  // The frontend changed nothing: a push with no files, which fires branch-only workflows.
  const PlannedRepository& web = plan.repositories[2];
  EXPECT_EQ(web.stage, 2);
  EXPECT_EQ(web.reasons, Lines{"after infra"});
  EXPECT_EQ(Names(web.workflows), Lines{"WebDeploy"});
  EXPECT_EQ(Names(web.not_firing), Lines{"WebLint"});
}

TEST_F(CoordPlanTest, NothingChangedIsAnEmptyPlan) {
  Plan plan = Planned();
  EXPECT_TRUE(plan.empty());
  EXPECT_EQ(plan.strategy, "nothing changed");
  EXPECT_TRUE(plan.changes.empty());
  EXPECT_TRUE(plan.syncs.empty());
  EXPECT_TRUE(plan.stages.empty());
  EXPECT_EQ(FormatPlan(plan),
            "plan for registry, environment default\n"
            "nothing changed: every repository is at its last good commit\n");
}

TEST_F(CoordPlanTest, AChangeOutsideTheSyncedFolderSyncsNothing) {
  api_.Write("docs/readme.md", "# the api\n");
  api_.Commit("docs");
  Plan plan = Planned();
  EXPECT_EQ(plan.strategy, "api changed: api");
  EXPECT_TRUE(plan.syncs.empty());
  EXPECT_EQ(plan.stages, (std::vector<Lines>{{"api"}}));
  EXPECT_EQ(Names(plan.repositories[0].workflows), Lines{"ApiDocs"});
}

TEST_F(CoordPlanTest, AForcePushCountsEveryFileAsChanged) {
  std::string last_good = request_.last_good["api"];
  api_.Git({"checkout", "-q", "--orphan", "rewritten"});
  api_.Write("src/app.cc", "int main() { return 2; }\n");
  api_.Commit("rewritten history");
  api_.Git({"branch", "-q", "-M", "rewritten", "main"});
  Plan plan = Planned();
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_EQ(plan.changes[0].note, fmt::format("force-pushed: the last good commit {} is no longer "
                                              "an ancestor of main",
                                              last_good.substr(0, 7)));
  // Every file at the head, as added, though only one differs.
  EXPECT_EQ(plan.changes[0].files.size(), 4u);
  for (const git::ChangedPath& file : plan.changes[0].files) {
    EXPECT_EQ(file.kind, git::ChangedPath::Kind::kAdded) << file.path;
  }
  EXPECT_EQ(plan.repositories[0].reasons[0],
            plan.changes[0].note + ": all 4 files count as changed");
  EXPECT_EQ(plan.syncs.at(0).changed_files, Lines{"src/app.cc"});
  EXPECT_EQ(Names(plan.repositories[0].workflows), (Lines{"ApiBuild", "ApiDocs"}));
}

TEST_F(CoordPlanTest, ALastGoodCommitMissingFromTheRepositoryCountsAsAForcePush) {
  request_.last_good["api"] = std::string(40, 'a');
  Plan plan = Planned();
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_EQ(plan.changes[0].note,
            "force-pushed: the last good commit aaaaaaa is no longer in the repository");
  EXPECT_EQ(plan.changes[0].from_commit, std::string(40, 'a'));
  EXPECT_EQ(plan.changes[0].files.size(), 4u);
}

TEST_F(CoordPlanTest, TheFirstRolloutChangesEverything) {
  request_.last_good.clear();
  Plan plan = Planned();
  EXPECT_EQ(plan.strategy, "first rollout: api -> sync -> infra -> web");
  ASSERT_EQ(plan.changes.size(), 3u);
  for (const RepositoryChange& change : plan.changes) {
    EXPECT_EQ(change.note, "first rollout");
    EXPECT_EQ(change.from_commit, "");
  }
  // The frontend waits for the infrastructure, which waits for the API's sync.
  EXPECT_EQ(plan.stages, (std::vector<Lines>{{"api"}, {"infra"}, {"web"}}));
  EXPECT_EQ(plan.repositories[1].reasons, (Lines{"first rollout: all 3 files count as changed",
                                                 "receives sync api:src -> api/src"}));
  EXPECT_EQ(plan.repositories[2].reasons,
            (Lines{"first rollout: all 3 files count as changed", "after infra"}));
  EXPECT_EQ(Names(plan.repositories[1].workflows), (Lines{"InfraDeploy", "Terraform"}));
  EXPECT_EQ(Names(plan.repositories[2].workflows), (Lines{"WebDeploy", "WebLint"}));
}

TEST_F(CoordPlanTest, IndependentChangesRunInParallel) {
  api_.Write("src/app.cc", "int main() { return 1; }\n");
  api_.Commit("api");
  web_.Write("src/index.html", "<p>hello</p>\n");
  web_.Commit("web");
  dir_.Write("lockstep.yaml",
             fmt::format(R"(name: registry
repositories:
  api: {{ path: {} }}
  infra: {{ path: {}, after: [api, web] }}
  web: {{ path: {} }}
)",
                         api_.path().string(), infra_.path().string(), web_.path().string()));
  Plan plan = Planned();
  EXPECT_EQ(plan.stages, (std::vector<Lines>{{"api", "web"}, {"infra"}}));
  EXPECT_EQ(plan.repositories[2].reasons, (Lines{"after api", "after web"}));
  // The infrastructure's workflows all look at files: none fires for a push without any.
  EXPECT_EQ(plan.strategy, "api, web changed: api + web in parallel");
}

TEST_F(CoordPlanTest, AMissingRepositoryIsAnErrorNamingIt) {
  fs::path gone = dir_.path() / "gone";
  dir_.Write("lockstep.yaml", "repositories:\n  api: { path: " + api_.path().string() +
                                  " }\n  infra: { path: gone }\n");
  Result<Plan> plan = MakePlanNow();
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().ToString(),
            fmt::format("{}:3:3: repository 'infra': {} does not exist",
                        (dir_.path() / "lockstep.yaml").string(), gone.string()));
  // A folder that is not a repository of its own.
  fs::create_directories(api_.path() / "sub");
  dir_.Write("lockstep.yaml",
             "repositories:\n  api: { path: " + (api_.path() / "sub").string() + " }\n");
  plan = MakePlanNow();
  ASSERT_FALSE(plan.has_value());
  EXPECT_NE(
      plan.error().ToString().find(":2:3: repository 'api': " + (api_.path() / "sub").string() +
                                   " is not the root of a git repository"),
      std::string::npos)
      << plan.error().ToString();
}

TEST_F(CoordPlanTest, AMissingBranchIsAnErrorNamingTheRepository) {
  dir_.Write("lockstep.yaml",
             "repositories:\n  api: { path: " + api_.path().string() + ", branch: release }\n");
  Result<Plan> plan = MakePlanNow();
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().ToString(),
            fmt::format("{}:2:3: repository 'api': branch 'release' does not exist",
                        (dir_.path() / "lockstep.yaml").string()));
}

TEST_F(CoordPlanTest, ASyncSourceFolderThatDoesNotExistIsAnError) {
  WriteWorkspace("", "api:lib");
  Result<Plan> plan = MakePlanNow();
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().ToString(),
            fmt::format("{}:7:5: sync rule api:lib -> infra:api/src: 'lib' does not exist at the "
                        "head of main ({}) in repository 'api'",
                        (dir_.path() / "lockstep.yaml").string(), Head(api_).substr(0, 7)));
}

TEST_F(CoordPlanTest, ABaselineIsPlannedAgainstAndMustResolve) {
  std::string first = Head(web_);
  web_.Write("src/index.html", "<p>two</p>\n");
  web_.Commit("two");
  Good();
  request_.baseline = {{"web", "HEAD~1"}};
  Plan plan = Planned();
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_EQ(plan.changes[0].from_commit, first);
  EXPECT_EQ(Names(plan.repositories[0].workflows), (Lines{"WebDeploy", "WebLint"}));

  request_.baseline = {{"web", "no-such-tag"}};
  Result<Plan> failed = MakePlanNow();
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().message(), "repository 'web': unknown revision 'no-such-tag'");
}

TEST_F(CoordPlanTest, AnUnknownEnvironmentIsRefused) {
  request_.environment = "production";
  Result<Plan> plan = MakePlanNow();
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().message(),
            "unknown environment 'production'; lockstep.yaml declares default");
}

TEST_F(CoordPlanTest, AUrlRepositoryIsReadFromItsMirror) {
  web_.Write("src/index.html", "<p>mirrored</p>\n");
  web_.Commit("web");
  dir_.Write("lockstep.yaml",
             "repositories:\n  web: { url: \"file://" + web_.path().string() + "\" }\n");
  Plan plan = Planned();
  ASSERT_EQ(plan.repositories.size(), 1u);
  EXPECT_EQ(plan.repositories[0].path.parent_path(), dir_.path() / "mirrors");
  EXPECT_EQ(plan.repositories[0].commit, Head(web_));
  EXPECT_EQ(Names(plan.repositories[0].workflows), (Lines{"WebDeploy", "WebLint"}));
}

TEST_F(CoordPlanTest, TheTreeShowsEveryStepWithItsReason) {
  api_.Write("src/app.cc", "int main() { return 0; }\n");
  api_.Commit("change the app");
  Plan plan = Planned();
  std::string from = request_.last_good["api"].substr(0, 7);
  EXPECT_EQ(FormatPlan(plan), fmt::format(R"(plan for registry, environment default
api changed: api -> sync -> infra -> web

stage 1
└── api (main @ {})
    ├── why: 1 file changed ({}..{})
    │   └── M src/app.cc
    ├── runs ApiBuild (.codecatalyst/workflows/build.yaml)
    │   └── FilesChanged 'src/.*' matched src/app.cc
    └── skips ApiDocs (.codecatalyst/workflows/docs.yaml): no file matched FilesChanged [docs/.*]

stage 2
└── infra (main @ {})
    ├── why: receives sync api:src -> api/src
    ├── sync api:src -> infra:api/src: 1 changed file, committed with its manifest
    ├── runs InfraDeploy (.codecatalyst/workflows/deploy.yaml)
    │   └── FilesChanged 'api/src/.*' matched api/src/app.cc
    └── skips Terraform (.codecatalyst/workflows/terraform.yaml): no file matched FilesChanged [terraform/.*]

stage 3
└── web (main @ {})
    ├── why: after infra
    ├── runs WebDeploy (.codecatalyst/workflows/deploy.yaml)
    │   └── PUSH on main
    └── skips WebLint (.codecatalyst/workflows/lint.yaml): no file matched FilesChanged [src/.*]
)",
                                          Head(api_).substr(0, 7), from, Head(api_).substr(0, 7),
                                          Head(infra_).substr(0, 7), Head(web_).substr(0, 7)));
}

TEST_F(CoordPlanTest, JsonReadsBackToTheSamePlan) {
  api_.Write("src/app.cc", "int main() { return 0; }\n");
  api_.Git({"mv", "docs/readme.md", "docs/README.md"});
  api_.Commit("change and rename");
  for (bool first : {false, true}) {
    if (first) request_.last_good.clear();
    Plan plan = Planned();
    ASSERT_FALSE(plan.empty());
    Result<Plan> back = PlanFromJson(PlanToJson(plan));
    ASSERT_TRUE(back.has_value()) << back.error().message();
    EXPECT_EQ(*back, plan);
    EXPECT_EQ(PlanToJson(*back), PlanToJson(plan));
  }
  Result<Plan> empty = PlanFromJson(PlanToJson(Plan{}));
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(*empty, Plan{});
  EXPECT_FALSE(PlanFromJson("{\"workspace\": 1}").has_value());
  EXPECT_FALSE(PlanFromJson("not json").has_value());
}

}  // namespace
}  // namespace lockstep::coord
