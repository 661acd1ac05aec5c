#include "triggers/evaluate.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "workflow/load.h"

namespace lockstep::triggers {
namespace {

using Reasons = std::vector<std::string>;

// A valid workflow with `triggers` (YAML at the top level, or empty for none).
workflow::Workflow Load(std::string_view triggers) {
  std::string text = "Name: w\nSchemaVersion: \"1.0\"\n" + std::string(triggers) +
                     "Actions:\n  Build:\n    Identifier: aws/build@v1\n"
                     "    Configuration:\n      Steps:\n        - Run: make\n";
  workflow::LoadResult loaded = workflow::LoadWorkflow(text, "w.yaml");
  std::string diagnostics;
  for (const Diagnostic& item : loaded.diagnostics.items()) diagnostics += item.ToString() + "\n";
  EXPECT_TRUE(loaded.ok()) << diagnostics;
  return loaded.workflow.value_or(workflow::Workflow{});
}

struct PushCase {
  std::string branch;
  std::vector<std::string> paths;
  bool fires;
  Reasons reasons;
};

void ExpectPush(const workflow::Workflow& workflow, const std::vector<PushCase>& cases) {
  TriggerEvaluator evaluator(workflow);
  for (const PushCase& c : cases) {
    TriggerDecision decision = evaluator.EvaluatePush({c.branch, c.paths});
    EXPECT_EQ(decision.fires, c.fires) << "push to " << c.branch;
    EXPECT_EQ(decision.reasons, c.reasons) << "push to " << c.branch;
  }
}

struct PullCase {
  std::string event;
  std::string destination;
  std::vector<std::string> paths;
  bool fires;
  Reasons reasons;
};

void ExpectPull(const workflow::Workflow& workflow, const std::vector<PullCase>& cases) {
  TriggerEvaluator evaluator(workflow);
  for (const PullCase& c : cases) {
    TriggerDecision decision =
        evaluator.EvaluatePullRequest({c.event, "feature-1", c.destination, c.paths});
    EXPECT_EQ(decision.fires, c.fires) << c.event << " into " << c.destination;
    EXPECT_EQ(decision.reasons, c.reasons) << c.event << " into " << c.destination;
  }
}

// A bare PUSH trigger starts a run for a push to any branch.
TEST(TriggerEvaluatorTest, PushWithoutBranchesFiresOnEveryBranch) {
  ExpectPush(Load("Triggers:\n  - Type: PUSH\n"),
             {{"main", {"a.txt"}, true, {"PUSH on main"}},
              {"feature-branch-123", {}, true, {"PUSH on feature-branch-123"}}});
}

// Branches: [main] starts runs for pushes to main and to nothing else; names match whole.
TEST(TriggerEvaluatorTest, PushToMainOnlyMatchesTheWholeBranchName) {
  ExpectPush(Load("Triggers:\n  - Type: PUSH\n    Branches:\n      - main\n"),
             {{"main", {"a.txt"}, true, {"PUSH on main"}},
              {"release", {"a.txt"}, false, {"branch 'release' not in [main]"}},
              {"main-old", {"a.txt"}, false, {"branch 'main-old' not in [main]"}},
              {"my-main", {"a.txt"}, false, {"branch 'my-main' not in [main]"}}});
}

TEST(TriggerEvaluatorTest, BranchPatternsAreRegularExpressions) {
  ExpectPush(Load("Triggers:\n  - Type: PUSH\n    Branches:\n      - main\n      - release-.*\n"),
             {{"release-2024", {}, true, {"PUSH on release-2024"}},
              {"release", {}, false, {"branch 'release' not in [main, release-.*]"}}});
}

// Branches and FilesChanged must both match; any changed file matching any pattern is enough.
TEST(TriggerEvaluatorTest, PushNeedsBothBranchAndChangedFile) {
  workflow::Workflow workflow = Load(
      "Triggers:\n  - Type: PUSH\n    Branches:\n      - main\n    FilesChanged:\n"
      "      - static\\/index\\.html\n      - src\\/lib\\/.*\n");
  ExpectPush(workflow, {{"main",
                         {"README.md", "src/lib/util.js"},
                         true,
                         {"FilesChanged 'src\\/lib\\/.*' matched src/lib/util.js"}},
                        {"main",
                         {"static/index.html"},
                         true,
                         {"FilesChanged 'static\\/index\\.html' matched static/index.html"}},
                        {"main",
                         {"static/index.html.bak", "src/app.js"},
                         false,
                         {"no file matched FilesChanged [static\\/index\\.html, src\\/lib\\/.*]"}},
                        {"main",
                         {},
                         false,
                         {"no file matched FilesChanged [static\\/index\\.html, src\\/lib\\/.*]"}},
                        {"dev", {"src/lib/util.js"}, false, {"branch 'dev' not in [main]"}}});
}

TEST(TriggerEvaluatorTest, FilesChangedWithoutBranchesFiresOnAnyBranch) {
  ExpectPush(Load("Triggers:\n  - Type: PUSH\n    FilesChanged:\n      - src/.*\n"),
             {{"release",
               {"docs/a.md", "src/app/main.cc"},
               true,
               {"FilesChanged 'src/.*' matched src/app/main.cc"}},
              {"release", {"docs/a.md"}, false, {"no file matched FilesChanged [src/.*]"}}});
}

// The CLI passes both paths of a rename: moving a file out of src/ still counts as a change there.
TEST(TriggerEvaluatorTest, RenameMatchesThroughEitherPath) {
  ExpectPush(Load("Triggers:\n  - Type: PUSH\n    FilesChanged:\n      - src/.*\n"),
             {{"main",
               {"attic/old.cc", "src/old.cc"},
               true,
               {"FilesChanged 'src/.*' matched src/old.cc"}}});
}

TEST(TriggerEvaluatorTest, NoTriggersMeansManualOnly) {
  ExpectPush(Load(""), {{"main", {"a"}, false, {"manual only (no Triggers)"}}});
  ExpectPull(Load("Triggers:\n"), {{"OPEN", "main", {"a"}, false, {"manual only (no Triggers)"}}});
}

TEST(TriggerEvaluatorTest, ManualTriggerNeverFiresByItself) {
  ExpectPush(Load("Triggers:\n  - Type: MANUAL\n"),
             {{"main", {"a"}, false, {"MANUAL trigger: started by hand only"}}});
}

// A workflow fires when any trigger does; the reasons are those of the triggers that fired.
TEST(TriggerEvaluatorTest, AnyOfSeveralTriggersFires) {
  workflow::Workflow workflow = Load(
      "Triggers:\n"
      "  - Type: PUSH\n    Branches:\n      - main\n"
      "  - Type: SCHEDULE\n    Expression: \"0 9 ? * MON-FRI *\"\n    Branches:\n      - dev\n"
      "  - Type: PUSH\n    Branches:\n      - dev\n    FilesChanged:\n      - docs/.*\n"
      "  - Type: PULLREQUEST\n    Events:\n      - OPEN\n");
  ExpectPush(workflow, {{"main", {"x"}, true, {"PUSH on main"}},
                        {"dev", {"docs/a.md"}, true, {"FilesChanged 'docs/.*' matched docs/a.md"}},
                        {"dev",
                         {"src/a.cc"},
                         false,
                         {"branch 'dev' not in [main]", "SCHEDULE trigger does not start on a push",
                          "no file matched FilesChanged [docs/.*]",
                          "PULLREQUEST trigger does not start on a push"}}});
  ExpectPull(workflow,
             {{"OPEN", "main", {"x"}, true, {"PULLREQUEST OPEN into main"}},
              {"CLOSED",
               "main",
               {"x"},
               false,
               {"PUSH trigger does not start on a pull request",
                "SCHEDULE trigger does not start on a pull request",
                "PUSH trigger does not start on a pull request", "event 'CLOSED' not in [OPEN]"}}});
}

TEST(TriggerEvaluatorTest, BothMatchingTriggersAreReported) {
  ExpectPush(
      Load("Triggers:\n  - Type: PUSH\n  - Type: PUSH\n    FilesChanged:\n      - .*\\.md\n"),
      {{"main",
        {"README.md"},
        true,
        {"PUSH on main", "FilesChanged '.*\\.md' matched README.md"}}});
}

// A pull request trigger without Branches fires for any destination, on the listed events.
TEST(TriggerEvaluatorTest, PullRequestMatchesEvents) {
  ExpectPull(
      Load("Triggers:\n  - Type: PULLREQUEST\n    Events:\n      - OPEN\n      - REVISION\n"),
      {{"OPEN", "main", {}, true, {"PULLREQUEST OPEN into main"}},
       {"REVISION", "dev", {}, true, {"PULLREQUEST REVISION into dev"}},
       {"open", "dev", {}, true, {"PULLREQUEST OPEN into dev"}},
       {"CLOSED", "main", {}, false, {"event 'CLOSED' not in [OPEN, REVISION]"}}});
}

// Branches name the destination of the pull request, never its source (feature-1 here).
TEST(TriggerEvaluatorTest, PullRequestBranchesMatchTheDestination) {
  ExpectPull(
      Load("Triggers:\n  - Type: PULLREQUEST\n    Branches:\n      - main\n      - release-.*\n"
           "    Events:\n      - OPEN\n      - REVISION\n"),
      {{"OPEN", "main", {}, true, {"PULLREQUEST OPEN into main"}},
       {"REVISION", "release-1.2", {}, true, {"PULLREQUEST REVISION into release-1.2"}},
       {"OPEN",
        "feature-1",
        {},
        false,
        {"destination branch 'feature-1' not in [main, release-.*]"}}});
}

TEST(TriggerEvaluatorTest, PullRequestClosedIntoMain) {
  ExpectPull(Load("Triggers:\n  - Type: PULLREQUEST\n    Branches:\n      - main\n"
                  "    Events:\n      - CLOSED\n"),
             {{"CLOSED", "main", {}, true, {"PULLREQUEST CLOSED into main"}},
              {"OPEN", "main", {}, false, {"event 'OPEN' not in [CLOSED]"}},
              {"CLOSED", "dev", {}, false, {"destination branch 'dev' not in [main]"}}});
}

TEST(TriggerEvaluatorTest, PullRequestFilesChanged) {
  ExpectPull(
      Load("Triggers:\n  - Type: PULLREQUEST\n    Events:\n      - OPEN\n"
           "    FilesChanged:\n      - api/.*\n"),
      {{"OPEN", "main", {"web/a.js", "api/b.go"}, true, {"FilesChanged 'api/.*' matched api/b.go"}},
       {"OPEN", "main", {"web/a.js"}, false, {"no file matched FilesChanged [api/.*]"}}});
}

// The validator rejects such a file; a model built another way must still not crash or match.
TEST(TriggerEvaluatorTest, InvalidPatternNeverMatchesAndSaysWhy) {
  workflow::Workflow workflow;
  workflow::Trigger trigger;
  trigger.branches.push_back({"(main", {}});
  trigger.branches.push_back({"dev", {}});
  workflow.triggers.push_back(trigger);
  ExpectPush(workflow,
             {{"dev", {}, true, {"PUSH on dev"}},
              {"(main", {}, false, {"invalid pattern '(main' in Branches: missing ): (main"}}});
}

TEST(TriggerEvaluatorTest, OneShotFunctionsAgreeWithTheEvaluator) {
  workflow::Workflow workflow = Load("Triggers:\n  - Type: PUSH\n    Branches:\n      - main\n");
  TriggerDecision push = EvaluatePush(workflow, {"main", {}});
  EXPECT_TRUE(push.fires);
  EXPECT_EQ(push.reasons, Reasons{"PUSH on main"});
  TriggerDecision pull = EvaluatePullRequest(workflow, {"OPEN", "main", "x", {}});
  EXPECT_FALSE(pull.fires);
  EXPECT_EQ(pull.reasons, Reasons{"PUSH trigger does not start on a pull request"});
}

}  // namespace
}  // namespace lockstep::triggers
