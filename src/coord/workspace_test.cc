#include "coord/workspace.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "temp_dir.h"

namespace lockstep::coord {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr char kRegistry[] = R"(version: 1
name: registry
repositories:
  registry-api:            { path: ../registry-api, branch: main }
  registry-infrastructure: { path: ../registry-infrastructure, after: [registry-api] }
  registry-frontend:       { url: "file:///srv/git/frontend.git", after: registry-infrastructure }
sync:
  - from: registry-api:src
    to: registry-infrastructure:api/src
    commit: false
services:
  api: { route: /api, health: { path: /api/health } }
  web: { route: /, kind: static }
environments:
  local: { auto: true }
  production: { approval: required, variables: { STAGE: prod, REPLICAS: 3 } }
integration_tests:
  deadline: 1m
  tests:
    - { name: people list, method: GET, path: /api/people, expect_status: 200 }
    - name: create
      method: POST
      path: /api/people
      body: '{"first_name":"Ada"}'
      headers: { Content-Type: application/json }
      expect_status: 201
      expect_json: { /first_name: Ada, /age: 36 }
      capture: { ID: /id }
    - { path: "/api/people/${ID}", expect_body: Ada }
    - { name: e2e, workflow: "registry-frontend:frontend-e2e" }
)";

WorkspaceLoad Load(const std::string& text) {
  return LoadWorkspace(text, "/work/space/lockstep.yaml");
}

// Every diagnostic, one "line:col: message" each.
std::vector<std::string> Problems(const std::string& text) {
  WorkspaceLoad load = Load(text);
  std::vector<std::string> problems;
  for (const Diagnostic& diagnostic : load.diagnostics.items()) {
    problems.push_back(fmt::format("{}:{}: {}", diagnostic.location.line,
                                   diagnostic.location.column, diagnostic.message));
  }
  EXPECT_EQ(load.workspace.has_value(), problems.empty());
  return problems;
}

using Lines = std::vector<std::string>;

constexpr char kThree[] = R"(repositories:
  api: { path: api }
  infra: { path: infra, after: [api] }
  web: { path: web, after: [infra] }
)";

TEST(WorkspaceTest, ReadsEverySection) {
  WorkspaceLoad load = Load(kRegistry);
  ASSERT_TRUE(load.workspace.has_value()) << load.diagnostics.items().front().ToString();
  const Workspace& workspace = *load.workspace;
  EXPECT_EQ(workspace.file, "/work/space/lockstep.yaml");
  EXPECT_EQ(workspace.root, "/work/space");
  EXPECT_EQ(workspace.name, "registry");

  ASSERT_EQ(workspace.repositories.size(), 3u);
  const RepositorySpec& api = workspace.repositories[0];
  EXPECT_EQ(api.name, "registry-api");
  EXPECT_EQ(api.path, "/work/registry-api");
  EXPECT_EQ(api.branch, "main");
  EXPECT_EQ(api.location.ToString(), "/work/space/lockstep.yaml:4:3");
  const RepositorySpec* frontend = workspace.FindRepository("registry-frontend");
  ASSERT_NE(frontend, nullptr);
  EXPECT_EQ(frontend->url, "file:///srv/git/frontend.git");
  EXPECT_TRUE(frontend->path.empty());
  EXPECT_EQ(frontend->after, Lines{"registry-infrastructure"});
  EXPECT_EQ(frontend->after_locations[0].line, 6);

  ASSERT_EQ(workspace.sync.size(), 1u);
  const SyncRule& rule = workspace.sync[0];
  EXPECT_EQ(rule.from_repository, "registry-api");
  EXPECT_EQ(rule.from_path, "src");
  EXPECT_EQ(rule.to_repository, "registry-infrastructure");
  EXPECT_EQ(rule.to_path, "api/src");
  EXPECT_FALSE(rule.commit);
  EXPECT_EQ(rule.location.line, 8);

  ASSERT_NE(workspace.FindService("api"), nullptr);
  EXPECT_EQ(workspace.FindService("api")->health.path, "/api/health");
  EXPECT_EQ(workspace.FindService("web")->kind, runtime::ServiceSpec::Kind::kStatic);

  ASSERT_EQ(workspace.environments.size(), 2u);
  EXPECT_TRUE(workspace.FindEnvironment("local")->auto_rollout);
  EXPECT_FALSE(workspace.FindEnvironment("local")->approval_required);
  const EnvironmentSpec* production = workspace.FindEnvironment("production");
  EXPECT_TRUE(production->approval_required);
  EXPECT_FALSE(production->auto_rollout);
  EXPECT_EQ(production->variables, (std::vector<std::pair<std::string, std::string>>{
                                       {"STAGE", "prod"}, {"REPLICAS", "3"}}));

  EXPECT_EQ(workspace.integration_deadline, milliseconds(60'000));
  ASSERT_EQ(workspace.integration_tests.size(), 4u);
  const IntegrationTest& list = workspace.integration_tests[0];
  EXPECT_EQ(list.name, "people list");
  ASSERT_TRUE(list.check.has_value());
  EXPECT_EQ(list.check->Label(), "people list");
  EXPECT_EQ(list.check->path, "/api/people");
  const engine::HttpCheck& create = *workspace.integration_tests[1].check;
  EXPECT_EQ(create.method, "POST");
  EXPECT_EQ(create.body, R"({"first_name":"Ada"})");
  EXPECT_EQ(create.expect_status, 201);
  EXPECT_EQ(create.headers, (std::vector<engine::NameValue>{{"Content-Type", "application/json"}}));
  EXPECT_EQ(create.expect_json,
            (std::vector<engine::NameValue>{{"/first_name", "\"Ada\""}, {"/age", "36"}}));
  EXPECT_EQ(create.captures, (std::vector<engine::NameValue>{{"ID", "/id"}}));
  const engine::HttpCheck& read = *workspace.integration_tests[2].check;
  EXPECT_EQ(read.expect_status, 200);
  EXPECT_EQ(read.expect_body, "Ada");
  const IntegrationTest& e2e = workspace.integration_tests[3];
  EXPECT_FALSE(e2e.check.has_value());
  EXPECT_EQ(e2e.workflow_repository, "registry-frontend");
  EXPECT_EQ(e2e.workflow, "frontend-e2e");
}

TEST(WorkspaceTest, DefaultsForAShortFile) {
  WorkspaceLoad load = Load("repositories:\n  api: { path: /srv/api/ }\n");
  ASSERT_TRUE(load.workspace.has_value());
  EXPECT_EQ(load.workspace->name, "space");  // the folder's name
  EXPECT_EQ(load.workspace->repositories[0].path, "/srv/api");
  EXPECT_EQ(load.workspace->repositories[0].branch, "");
  ASSERT_EQ(load.workspace->environments.size(), 1u);
  EXPECT_EQ(load.workspace->environments[0].name, "default");
  EXPECT_EQ(load.workspace->integration_deadline, milliseconds(30'000));
  // A list is the short form of integration_tests; an environment may be a bare name.
  load = Load("environments:\n  local:\nintegration_tests:\n  - { path: /health }\n");
  ASSERT_TRUE(load.workspace.has_value());
  EXPECT_EQ(load.workspace->environments[0].name, "local");
  EXPECT_EQ(load.workspace->integration_tests.size(), 1u);
  // An empty file, or one with only services, is a workspace without repositories.
  EXPECT_TRUE(Load("").workspace.has_value());
  EXPECT_TRUE(Load("services:\n  api: { route: /api }\n").workspace.has_value());
}

TEST(WorkspaceTest, UnknownKeysAreReportedWhereTheyAre) {
  EXPECT_EQ(Problems("version: 1\nrepository:\n  api: { path: api }\n"),
            Lines{"2:1: unknown key 'repository' at the top level; did you mean 'repositories'?"});
  EXPECT_EQ(Problems("repositories:\n  api: { path: api, brnch: main }\n"),
            Lines{"2:21: unknown key 'brnch' in repository 'api'; did you mean 'branch'?"});
  EXPECT_EQ(Problems("version: 2\n"),
            Lines{"1:10: unsupported version '2'; the only version is 1"});
}

TEST(WorkspaceTest, ARepositoryNeedsExactlyOneOfPathAndUrl) {
  EXPECT_EQ(Problems("repositories:\n  api: { branch: main }\n"),
            Lines{"2:3: repository 'api' needs 'path' (a folder on this machine) or 'url' (a "
                  "repository lockstep mirrors)"});
  EXPECT_EQ(Problems("repositories:\n  api: { path: api, url: file:///x }\n"),
            Lines{"2:21: repository 'api' has both 'path' and 'url'; give one: a folder on this "
                  "machine, or a repository lockstep mirrors"});
  EXPECT_EQ(Problems("repositories:\n  api:\n"),
            Lines{"2:3: repository 'api' needs a mapping with 'path' or 'url', found nothing"});
  EXPECT_EQ(Problems("repositories:\n  api: { path: a }\n  api: { path: b }\n"),
            Lines{"3:3: repository 'api' appears twice; the first is at line 2"});
  EXPECT_EQ(Problems("repositories:\n  my:api: { path: a }\n"),
            Lines{"2:3: repository name 'my:api' must be 1-63 letters, digits, '-', '_' or '.', "
                  "starting with a letter or digit"});
  EXPECT_EQ(Problems("repositories:\n  api: { path: a, branch: refs/heads/main }\n"),
            Lines{"2:27: 'refs/heads/main' is not a branch name (write the short name, like main "
                  "or release/2.x)"});
}

TEST(WorkspaceTest, AfterMustNameAnotherRepository) {
  EXPECT_EQ(Problems("repositories:\n  api: { path: api }\n  web: { path: web, after: [apy] }\n"),
            Lines{"3:29: repository 'web' is after unknown repository 'apy'; did you mean 'api'?"});
  EXPECT_EQ(Problems("repositories:\n  api: { path: api, after: [api] }\n"),
            Lines{"2:29: repository 'api' is after itself"});
}

TEST(WorkspaceTest, ACycleIsReportedOnceAsAPathAtAnEdgeInIt) {
  EXPECT_EQ(Problems(R"(repositories:
  api: { path: api, after: [web] }
  infra: { path: infra, after: [api] }
  web: { path: web, after: [infra] }
)"),
            Lines{"2:29: the repositories' order has a cycle: api -> infra -> web -> api (each "
                  "comes before the next, by 'after' or a sync rule)"});
  // Through a sync rule: web's code goes into api, which web is after.
  EXPECT_EQ(Problems(std::string(kThree) + "sync:\n  - { from: web:dist, to: api:public }\n"),
            Lines{"6:5: the repositories' order has a cycle: api -> infra -> web -> api (each "
                  "comes before the next, by 'after' or a sync rule)"});
}

TEST(WorkspaceTest, SyncRulesAreCheckedWithTheirPositions) {
  std::string base = std::string(kThree) + "sync:\n";
  EXPECT_EQ(Problems(base + "  - { from: apx:src, to: infra:api }\n"),
            Lines{"6:13: 'from' names unknown repository 'apx'; did you mean 'api'?"});
  EXPECT_EQ(Problems(base + "  - { from: api:src, to: nowhere:api }\n"),
            Lines{"6:26: 'to' names unknown repository 'nowhere'"});
  EXPECT_EQ(Problems(base + "  - { from: api:../src, to: infra:api }\n"),
            Lines{"6:13: the path of 'from' ('../src') has a '.' or '..' part; give a plain path "
                  "inside the repository"});
  EXPECT_EQ(Problems(base + "  - { from: api:src, to: infra:/etc }\n"),
            Lines{"6:26: the path of 'to' ('/etc') is absolute; give a plain path inside the "
                  "repository"});
  EXPECT_EQ(Problems(base + "  - { from: api:src, to: \"infra:\" }\n"),
            Lines{"6:26: a sync into the root of repository 'infra' is refused: name the folder "
                  "it writes (REPOSITORY:PATH)"});
  EXPECT_EQ(Problems(base + "  - { from: api:src@v1, to: infra:api }\n"),
            Lines{"6:13: 'from' takes no @REVISION ('api:src@v1'): a rollout syncs the source "
                  "repository's head"});
  EXPECT_EQ(Problems(base + "  - { from: src, to: infra:api }\n"),
            Lines{"6:13: expected REPOSITORY:PATH for 'from' (e.g. registry-api:src), found "
                  "'src'"});
  EXPECT_EQ(Problems(base + "  - { from: api:src, to: api:vendor }\n"),
            Lines{"6:26: a sync rule copies one repository into another; 'api' is both the "
                  "source and the target"});
  EXPECT_EQ(Problems(base + "  - { from: api:src, to: infra:api }\n"
                            "  - { from: web:dist, to: infra:api/web }\n"),
            Lines{"7:27: 'infra:api/web' overlaps 'infra:api', which the sync rule at line 6 "
                  "writes; two rules cannot write the same place"});
  EXPECT_EQ(Problems(base + "  - { to: infra:api }\n"),
            Lines{"6:5: a sync rule needs 'from' (REPOSITORY:PATH)"});
  // The whole tree of the source is "REPO:".
  WorkspaceLoad whole = Load(base + "  - { from: \"api:\", to: infra:vendor/api }\n");
  ASSERT_TRUE(whole.workspace.has_value());
  EXPECT_EQ(whole.workspace->sync[0].from_path, "");
  EXPECT_EQ(whole.workspace->sync[0].to_path, "vendor/api");
}

TEST(WorkspaceTest, ServicesAreReadByTheRuntimesRules) {
  EXPECT_EQ(Problems("services:\n  api: { route: api }\n  web: { route: /, kind: lambda }\n"),
            (Lines{"2:17: service 'api': service \"api\": path prefix \"api\" must start with '/'",
                   "3:26: service 'web': 'kind' must be http or static, found 'lambda'"}));
}

TEST(WorkspaceTest, EnvironmentsAreChecked) {
  EXPECT_EQ(Problems("environments:\n  prod: { approval: requird }\n"),
            Lines{"2:21: unknown approval 'requird'; did you mean 'required'?"});
  EXPECT_EQ(Problems("environments:\n  prod: { approval: always }\n"),
            Lines{"2:21: unknown approval 'always' (expected 'required' or 'none')"});
  EXPECT_EQ(Problems("environments:\n  prod: { auto: yes please }\n"),
            Lines{"2:17: expected true or false for 'auto', found 'yes please'"});
  EXPECT_EQ(Problems("environments:\n  prod: { variables: { 1X: a } }\n"),
            Lines{"2:24: variable name '1X' must be letters, digits and '_', not starting with "
                  "a digit"});
}

TEST(WorkspaceTest, IntegrationTestsAreChecksOrWorkflows) {
  std::string base = std::string(kThree) + "integration_tests:\n";
  EXPECT_EQ(Problems(base + "  - { name: nothing }\n"),
            Lines{"6:5: an integration test needs 'path' (an HTTP check through the gateway) or "
                  "'workflow' (REPOSITORY:WORKFLOW)"});
  EXPECT_EQ(Problems(base + "  - { workflow: web:e2e, path: /x }\n"),
            Lines{"6:7: an integration test is an HTTP check (method, path, …) or a workflow, not "
                  "both"});
  EXPECT_EQ(Problems(base + "  - { workflow: wbe:e2e }\n"),
            Lines{"6:17: 'workflow' names unknown repository 'wbe'; did you mean 'web'?"});
  EXPECT_EQ(Problems(base + "  - { path: /x, expect_status: 700 }\n"),
            Lines{"6:32: 'expect_status' must be a whole number from 100 to 599"});
  EXPECT_EQ(Problems(base + "  - { path: x }\n"),
            Lines{"6:13: 'path' must start with '/', found 'x'"});
  EXPECT_EQ(Problems(base + "  - { path: /x, expect_stats: 200 }\n"),
            Lines{"6:17: unknown key 'expect_stats' in an integration test; did you mean "
                  "'expect_status'?"});
  EXPECT_EQ(Problems(base + "  - { path: \"/people/${ID}\" }\n"),
            Lines{"6:5: integration test 'GET /people/${ID}': ${ID} is not captured by an "
                  "earlier check"});
  EXPECT_EQ(Problems(std::string(kThree) + "integration_tests: all\n"),
            Lines{"5:20: expected a list of tests for 'integration_tests' (or a mapping "
                  "{deadline, tests}), found a string"});
  EXPECT_EQ(Problems(std::string(kThree) + "integration_tests: { deadline: soon }\n"),
            Lines{"5:32: 'deadline': invalid duration 'soon': expected a whole number and a "
                  "unit, like 500ms, 30s, 2m or 1h"});
}

TEST(WorkspaceTest, EveryProblemIsReportedSortedByPosition) {
  EXPECT_EQ(Problems(R"(repositories:
  api: { path: api, after: [nope] }
environments:
  prod: { approval: maybe }
sync:
  - { from: api:src, to: gone:x }
)"),
            (Lines{"2:29: repository 'api' is after unknown repository 'nope'",
                   "4:21: unknown approval 'maybe' (expected 'required' or 'none')",
                   "6:26: 'to' names unknown repository 'gone'"}));
}

TEST(WorkspaceTest, StagesFollowAfterAndSyncEdgesInFileOrder) {
  WorkspaceLoad load = Load(R"(repositories:
  web: { path: web, after: [infra] }
  docs: { path: docs }
  infra: { path: infra }
  api: { path: api }
  admin: { path: admin, after: [api] }
sync:
  - { from: api:src, to: infra:api }
)");
  ASSERT_TRUE(load.workspace.has_value());
  EXPECT_EQ(RepositoryStages(*load.workspace),
            (std::vector<Lines>{{"docs", "api"}, {"infra", "admin"}, {"web"}}));
}

TEST(WorkspaceTest, ReadWorkspaceFileListsEveryDiagnostic) {
  testing::TempDir dir;
  dir.Write("lockstep.yaml", "repositories:\n  api: {}\n  web: { path: web, after: [x] }\n");
  Result<Workspace> workspace = ReadWorkspaceFile(dir.path() / "lockstep.yaml");
  ASSERT_FALSE(workspace.has_value());
  std::string file = (dir.path() / "lockstep.yaml").string();
  EXPECT_EQ(workspace.error().message(),
            file +
                ":2:3: error: repository 'api' needs 'path' (a folder on this machine) or 'url' "
                "(a repository lockstep mirrors)\n" +
                file + ":3:29: error: repository 'web' is after unknown repository 'x'");
  EXPECT_EQ(ReadWorkspaceFile(dir.path() / "missing.yaml").error().code(), ErrorCode::kNotFound);
}

TEST(WorkspaceTest, ADeclaredServiceIsReadAloneFromTheFile) {
  testing::TempDir dir;
  dir.Write(
      "lockstep.yaml",
      "repositories: { broken: {} }\nservices:\n  api: { route: /api }\n  bad: { route: x }\n");
  fs::path file = dir.path() / "lockstep.yaml";
  Result<std::optional<runtime::ServiceSpec>> api = ReadDeclaredService(file, "api");
  ASSERT_TRUE(api.has_value()) << api.error().ToString();
  ASSERT_TRUE(api->has_value());
  EXPECT_EQ((*api)->route.path_prefix, "/api");
  Result<std::optional<runtime::ServiceSpec>> none = ReadDeclaredService(file, "web");
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());
  Result<std::optional<runtime::ServiceSpec>> bad = ReadDeclaredService(file, "bad");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().ToString(),
            file.string() +
                ":4:17: service 'bad': service \"bad\": path prefix \"x\" must start "
                "with '/'");
}

}  // namespace
}  // namespace lockstep::coord
