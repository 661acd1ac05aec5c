// The demo's workspace: laid out from an example folder (repositories made, build outputs
// left behind, an occupied folder refused) and changed by patches (applied and committed, or
// refused leaving the repository as it was). Real git repositories through libgit2.
#include "cli/demo_workspace.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "fixture_util.h"
#include "git/repository.h"
#include "temp_dir.h"

namespace lockstep::cli {
namespace {

namespace fs = std::filesystem;
using testing::ReadText;
using testing::TempDir;

class DemoWorkspaceTest : public ::testing::Test {
 protected:
  DemoWorkspaceTest() {
    example_.Write("lockstep.yaml", "version: 1\n");
    example_.Write("registry-api/src/main.cc", "int main() { return 0; }\n");
    example_.Write("registry-api/build/stale.o", "object\n");
    example_.Write("registry-web/index.html", "<h1>hello</h1>\n");
    example_.Write("acts/fix.patch",
                   "web: a better page\n\nWith a reason.\n\n"
                   "diff --git a/index.html b/index.html\n"
                   "--- a/index.html\n+++ b/index.html\n"
                   "@@ -1 +1 @@\n-<h1>hello</h1>\n+<h1>hello, world</h1>\n");
    example_.Write("acts/stale.patch",
                   "web: no match\n\n"
                   "diff --git a/index.html b/index.html\n"
                   "--- a/index.html\n+++ b/index.html\n"
                   "@@ -1 +1 @@\n-<h1>bye</h1>\n+<h1>farewell</h1>\n");
  }

  std::string Head(const fs::path& repository) {
    Result<git::Repository> opened = git::Repository::Open(repository);
    if (!opened) return "<none>";
    return opened->ResolveCommit("main").value_or("<none>");
  }

  TempDir example_;
  TempDir target_;
};

TEST_F(DemoWorkspaceTest, LaysOutEveryRepositoryWithOneCommitAndNoBuildOutputs) {
  fs::path workspace = target_.path() / "ws";
  Result<void> laid = LayOutDemoWorkspace(example_.path(), workspace);
  ASSERT_TRUE(laid.has_value()) << laid.error().message();
  EXPECT_EQ(ReadText(workspace / "lockstep.yaml"), "version: 1\n");
  EXPECT_EQ(ReadText(workspace / "registry-api/src/main.cc"), "int main() { return 0; }\n");
  EXPECT_FALSE(fs::exists(workspace / "registry-api/build"));
  EXPECT_FALSE(fs::exists(workspace / "acts"));  // not a repository of the workspace
  for (const char* repository : {"registry-api", "registry-web"}) {
    Result<git::Repository> opened = git::Repository::Open(workspace / repository);
    ASSERT_TRUE(opened.has_value()) << repository;
    EXPECT_EQ(opened->CurrentBranch().value_or(""), "main");
    EXPECT_EQ(opened->UncommittedChanges("").value_or(std::vector<std::string>{"?"}),
              std::vector<std::string>{});
  }
}

TEST_F(DemoWorkspaceTest, AFolderThatHoldsAnythingIsRefusedAndLeftAlone) {
  target_.Write("notes.txt", "mine\n");
  Result<void> laid = LayOutDemoWorkspace(example_.path(), target_.path());
  ASSERT_FALSE(laid.has_value());
  EXPECT_EQ(laid.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_NE(laid.error().message().find("--dir"), std::string::npos) << laid.error().message();
  EXPECT_FALSE(fs::exists(target_.path() / "lockstep.yaml"));
  EXPECT_EQ(ReadText(target_.path() / "notes.txt"), "mine\n");
}

TEST_F(DemoWorkspaceTest, APatchIsCommittedWithItsMessageOrRefusedChangingNothing) {
  fs::path workspace = target_.path() / "ws";
  ASSERT_TRUE(LayOutDemoWorkspace(example_.path(), workspace).has_value());
  fs::path web = workspace / "registry-web";
  std::string before = Head(web);

  Result<DemoCommit> stale = CommitPatch(web, example_.path() / "acts/stale.patch");
  ASSERT_FALSE(stale.has_value());
  EXPECT_NE(stale.error().message().find("stale.patch"), std::string::npos)
      << stale.error().message();
  EXPECT_EQ(Head(web), before);
  EXPECT_EQ(ReadText(web / "index.html"), "<h1>hello</h1>\n");

  Result<DemoCommit> fixed = CommitPatch(web, example_.path() / "acts/fix.patch");
  ASSERT_TRUE(fixed.has_value()) << fixed.error().message();
  EXPECT_EQ(fixed->subject, "web: a better page");
  EXPECT_EQ(Head(web), fixed->id);
  EXPECT_NE(fixed->id, before);
  EXPECT_EQ(ReadText(web / "index.html"), "<h1>hello, world</h1>\n");
}

TEST_F(DemoWorkspaceTest, ANewDemoFolderSkipsTakenNames) {
  EXPECT_EQ(NewDemoDirectory(target_.path()), target_.path() / "lockstep-demo");
  target_.Write("lockstep-demo/x", "");
  target_.Write("lockstep-demo-2/x", "");
  EXPECT_EQ(NewDemoDirectory(target_.path()), target_.path() / "lockstep-demo-3");
}

}  // namespace
}  // namespace lockstep::cli
