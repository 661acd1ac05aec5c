// Repository's work-tree operations (work_tree.cc): uncommitted changes under a folder, and
// committing one folder only, on real repositories.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fixture_util.h"
#include "git/repository.h"
#include "git_fixture.h"
#include "temp_dir.h"

namespace lockstep::git {
namespace {

namespace fs = std::filesystem;
using testing::GitFixture;
using testing::TempDir;

class WorkTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Commits made through libgit2 take the repository's user, not the machine's.
    git_.Git({"config", "user.name", "Sync Bot"});
    git_.Git({"config", "user.email", "sync@lockstep.invalid"});
  }

  Repository Open() {
    Result<Repository> repository = Repository::Open(git_.path());
    EXPECT_TRUE(repository.has_value()) << repository.error().message();
    return std::move(*repository);
  }

  std::vector<std::string> Changes(std::string_view subpath) {
    Result<std::vector<std::string>> changes = Open().UncommittedChanges(subpath);
    EXPECT_TRUE(changes.has_value()) << changes.error().message();
    return changes.value_or(std::vector<std::string>{"<failed>"});
  }

  std::string Commit(std::string_view subpath, std::string_view message) {
    Result<std::string> commit = Open().CommitSubtree(subpath, message);
    EXPECT_TRUE(commit.has_value()) << commit.error().message();
    return commit.value_or("<failed>");
  }

  // `git diff --name-only` of `arguments`, one path a line.
  std::string Names(const std::vector<std::string>& arguments) {
    std::vector<std::string> command = {"-c", "core.quotePath=false", "diff", "--name-only"};
    command.insert(command.end(), arguments.begin(), arguments.end());
    return git_.Git(command);
  }

  GitFixture git_;
};

TEST_F(WorkTreeTest, CleanWorkTreeHasNoChanges) {
  git_.Write("dest/a.txt", "a\n");
  git_.Commit("first");
  EXPECT_EQ(Changes(""), std::vector<std::string>{});
  EXPECT_EQ(Changes("dest"), std::vector<std::string>{});
}

TEST_F(WorkTreeTest, ListsModifiedDeletedStagedAndUntrackedFilesButNotIgnoredOnes) {
  git_.Write(".gitignore", "*.log\n");
  git_.Write("dest/edit.txt", "a\n");
  git_.Write("dest/gone.txt", "g\n");
  git_.Write("dest/staged.txt", "s\n");
  git_.Write("dest/same.txt", "same\n");
  git_.Commit("first");
  git_.Write("dest/edit.txt", "edited\n");
  git_.Remove("dest/gone.txt");
  git_.Write("dest/staged.txt", "staged change\n");
  git_.Git({"add", "dest/staged.txt"});
  git_.Write("dest/new folder/deep/n\xC3\xBC.txt", "untracked\n");
  git_.Write("dest/build.log", "ignored\n");

  EXPECT_EQ(Changes("dest"),
            (std::vector<std::string>{"dest/edit.txt", "dest/gone.txt",
                                      "dest/new folder/deep/n\xC3\xBC.txt", "dest/staged.txt"}));
}

TEST_F(WorkTreeTest, OnlyTheGivenFolderCounts) {
  git_.Write("dest/a.txt", "a\n");
  git_.Write("dest2/b.txt", "b\n");
  git_.Write("top.txt", "t\n");
  git_.Commit("first");
  git_.Write("dest2/b.txt", "edited\n");
  git_.Write("destiny.txt", "untracked, a name that starts like the folder\n");
  git_.Write("top.txt", "edited\n");
  EXPECT_EQ(Changes("dest"), std::vector<std::string>{});
  EXPECT_EQ(Changes("/dest/"), std::vector<std::string>{});
  git_.Write("dest/a.txt", "edited\n");
  EXPECT_EQ(Changes("dest/"), std::vector<std::string>{"dest/a.txt"});
  EXPECT_EQ(Changes(""),
            (std::vector<std::string>{"dest/a.txt", "dest2/b.txt", "destiny.txt", "top.txt"}));
}

TEST_F(WorkTreeTest, NamesInAFolderAreLiteralNotPatterns) {
  git_.Write("d*/a.txt", "a\n");
  git_.Write("dx/b.txt", "b\n");
  git_.Commit("first");
  git_.Write("dx/b.txt", "edited\n");
  EXPECT_EQ(Changes("d*"), std::vector<std::string>{});
}

TEST_F(WorkTreeTest, ABareRepositoryHasNoWorkTree) {
  git_.Write("a.txt", "a\n");
  git_.Commit("first");
  TempDir bare;
  git_.Git({"clone", "-q", "--bare", git_.path().string(), (bare.path() / "b.git").string()});
  Result<Repository> repository = Repository::Open(bare.path() / "b.git");
  ASSERT_TRUE(repository.has_value());
  Result<std::vector<std::string>> changes = repository->UncommittedChanges("");
  ASSERT_FALSE(changes.has_value());
  EXPECT_EQ(changes.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(changes.error().message(), "a bare repository has no work tree");
  Result<std::string> commit = repository->CommitSubtree("", "m");
  ASSERT_FALSE(commit.has_value());
  EXPECT_EQ(commit.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(commit.error().message(), "a bare repository has no work tree to commit from");
}

TEST_F(WorkTreeTest, CommitsOnlyTheFolderAndLeavesOtherChangesStaged) {
  git_.Write("vendor/lib/keep.txt", "keep\n");
  git_.Write("vendor/lib/edit.txt", "before\n");
  git_.Write("vendor/lib/gone.txt", "gone\n");
  git_.Write("app/main.cc", "int main() {}\n");
  git_.Write("notes.txt", "notes\n");
  std::string base = git_.Commit("first");

  git_.Write("app/main.cc", "int main() { return 1; }\n");
  git_.Git({"add", "app/main.cc"});              // someone else's staged change
  git_.Write("notes.txt", "unstaged edit\n");    // and an unstaged one
  git_.Write("vendor/lib/edit.txt", "after\n");  // the synced folder's changes
  git_.Remove("vendor/lib/gone.txt");
  git_.Write("vendor/lib/new dir/n\xC3\xBC.txt", "new\n");

  std::string commit = Commit("vendor/lib", "Sync lib\n\nTrailer: yes\n");
  ASSERT_EQ(commit.size(), 40u);
  EXPECT_EQ(git_.Git({"rev-parse", "HEAD"}), commit);
  EXPECT_EQ(git_.Git({"rev-parse", "HEAD~1"}), base);
  EXPECT_EQ(Names({"--no-renames", base, commit}),
            "vendor/lib/edit.txt\nvendor/lib/gone.txt\nvendor/lib/new dir/n\xC3\xBC.txt");
  EXPECT_EQ(git_.Git({"log", "-1", "--format=%B"}), "Sync lib\n\nTrailer: yes\n");
  EXPECT_EQ(git_.Git({"log", "-1", "--format=%an <%ae>|%cn <%ce>"}),
            "Sync Bot <sync@lockstep.invalid>|Sync Bot <sync@lockstep.invalid>");
  // The other changes are where they were: staged, and unstaged.
  EXPECT_EQ(Names({"--cached"}), "app/main.cc");
  EXPECT_EQ(Names({}), "notes.txt");
  EXPECT_EQ(git_.Git({"show", "HEAD:app/main.cc"}), "int main() {}");
  EXPECT_EQ(Changes("vendor"), std::vector<std::string>{});
}

TEST_F(WorkTreeTest, CommitsANestedFolderThatIsNewOrRemoved) {
  git_.Write("README", "r\n");
  std::string base = git_.Commit("first");
  git_.Write("a/b/c/file.txt", "f\n");
  std::string added = Commit("a/b/c", "add");
  ASSERT_EQ(added.size(), 40u);
  EXPECT_EQ(Names({base, added}), "a/b/c/file.txt");

  git_.Remove("a");
  std::string removed = Commit("a/b/c", "remove");
  ASSERT_EQ(removed.size(), 40u);
  EXPECT_EQ(Names({added, removed}), "a/b/c/file.txt");
  EXPECT_EQ(git_.Git({"ls-tree", "-r", "--name-only", "HEAD"}), "README");
}

TEST_F(WorkTreeTest, NothingChangedMakesNoCommit) {
  git_.Write("dest/a.txt", "a\n");
  git_.Write("other.txt", "o\n");
  std::string base = git_.Commit("first");
  git_.Write("other.txt", "changed outside the folder\n");
  git_.Git({"add", "other.txt"});
  EXPECT_EQ(Commit("dest", "nothing"), "");
  EXPECT_EQ(Commit("missing/folder", "nothing"), "");
  EXPECT_EQ(git_.Git({"rev-parse", "HEAD"}), base);
  EXPECT_EQ(Names({"--cached"}), "other.txt");
}

TEST_F(WorkTreeTest, FirstCommitOnAnUnbornBranchHoldsOnlyTheFolder) {
  git_.Write("dest/a.txt", "a\n");
  git_.Write("staged-elsewhere.txt", "s\n");
  git_.Git({"add", "staged-elsewhere.txt"});
  std::string commit = Commit("dest", "first sync");
  ASSERT_EQ(commit.size(), 40u);
  EXPECT_EQ(git_.Git({"ls-tree", "-r", "--name-only", "HEAD"}), "dest/a.txt");
  EXPECT_EQ(git_.Git({"rev-list", "--count", "HEAD"}), "1");
  EXPECT_EQ(Names({"--cached"}), "staged-elsewhere.txt");
}

TEST_F(WorkTreeTest, NothingInTheFolderOnAnUnbornBranchMakesNoCommit) {
  git_.Write("staged-elsewhere.txt", "s\n");
  git_.Git({"add", "staged-elsewhere.txt"});
  EXPECT_EQ(Commit("dest", "nothing"), "");
  Result<std::string> head = Open().CurrentBranch();
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(*head, "");  // still unborn
}

TEST_F(WorkTreeTest, CommitsTheWholeTreeForAnEmptySubpath) {
  git_.Write("a.txt", "a\n");
  std::string base = git_.Commit("first");
  git_.Write("a.txt", "b\n");
  git_.Write("z/new.txt", "n\n");
  std::string commit = Commit("", "all");
  ASSERT_EQ(commit.size(), 40u);
  EXPECT_EQ(Names({base, commit}), "a.txt\nz/new.txt");
  EXPECT_EQ(Changes(""), std::vector<std::string>{});
}

TEST_F(WorkTreeTest, InitMakesARepositoryOnTheNamedBranchAndRefusesAnExistingOne) {
  TempDir dir;
  fs::path path = dir.path() / "new" / "repo";
  Result<Repository> made = Repository::Init(path, "trunk");
  ASSERT_TRUE(made.has_value()) << made.error().message();
  EXPECT_EQ(made->work_tree(), path);
  std::ofstream(path / "a.txt") << "a\n";
  Result<std::string> commit = made->CommitSubtree("", "first");
  ASSERT_TRUE(commit.has_value()) << commit.error().message();
  EXPECT_EQ(made->CurrentBranch().value_or(""), "trunk");
  EXPECT_EQ(made->ResolveCommit("trunk").value_or(""), *commit);

  Result<Repository> again = Repository::Init(path, "main");
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(Repository::Open(path)->ResolveCommit("HEAD").value_or(""), *commit);
}

TEST_F(WorkTreeTest, ApplyPatchChangesTheWorkTreeAsGitApplyDoes) {
  git_.Write("src/a.txt", "one\ntwo\nthree\n");
  git_.Write("src/gone.txt", "bye\n");
  git_.Commit("first");
  git_.Write("src/a.txt", "one\n2\nthree\n");
  git_.Remove("src/gone.txt");
  git_.Write("src/new.txt", "new\n");
  git_.Git({"add", "-A"});
  std::string patch =
      "Subject: a change\n\nwith a description\n" + git_.Git({"diff", "--cached", "--no-color"});
  git_.Git({"reset", "--hard", "-q"});
  git_.Git({"clean", "-fdq"});

  Result<void> applied = Open().ApplyPatch(patch);
  ASSERT_TRUE(applied.has_value()) << applied.error().message();
  EXPECT_EQ(testing::ReadText(git_.path() / "src/a.txt"), "one\n2\nthree\n");
  EXPECT_FALSE(fs::exists(git_.path() / "src/gone.txt"));
  EXPECT_EQ(testing::ReadText(git_.path() / "src/new.txt"), "new\n");
}

TEST_F(WorkTreeTest, APatchThatDoesNotMatchChangesNothing) {
  git_.Write("src/a.txt", "one\ntwo\nthree\n");
  git_.Write("src/b.txt", "b\n");
  git_.Commit("first");
  git_.Write("src/b.txt", "b changed\n");
  git_.Write("src/a.txt", "one\n2\nthree\n");
  std::string patch = git_.Git({"diff", "--no-color"});
  git_.Git({"checkout", "-q", "--", "src/b.txt"});
  git_.Write("src/a.txt", "something else entirely\n");  // a.txt's hunk no longer matches

  Result<void> applied = Open().ApplyPatch(patch);
  ASSERT_FALSE(applied.has_value());
  EXPECT_NE(applied.error().message().find("does not apply"), std::string::npos)
      << applied.error().message();
  EXPECT_EQ(testing::ReadText(git_.path() / "src/b.txt"), "b\n");  // not half applied
  EXPECT_FALSE(Open().ApplyPatch("no diff here").has_value());
}

}  // namespace
}  // namespace lockstep::git
