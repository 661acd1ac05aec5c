#include "git/repository.h"

#include <gtest/gtest.h>

#include "git_fixture.h"
#include "temp_dir.h"

namespace lockstep::git {
namespace {

using testing::GitFixture;
using testing::TempDir;

class RepositoryTest : public ::testing::Test {
 protected:
  Repository Open() {
    Result<Repository> repository = Repository::Open(git_.path());
    EXPECT_TRUE(repository.has_value()) << repository.error().message();
    return std::move(*repository);
  }

  // "code: message" of a failed result, or "ok: value".
  static std::string Outcome(const Result<std::string>& result) {
    if (result) return "ok: " + *result;
    return std::string(ErrorCodeName(result.error().code())) + ": " + result.error().message();
  }

  GitFixture git_;
};

TEST_F(RepositoryTest, OpensFromAFolderInsideTheWorkTree) {
  git_.Write("src/deep/file.txt", "x");
  git_.Commit("first");
  Result<Repository> repository = Repository::Open(git_.path() / "src" / "deep");
  ASSERT_TRUE(repository.has_value()) << repository.error().message();
  EXPECT_EQ(repository->work_tree(), std::filesystem::canonical(git_.path()));
}

TEST_F(RepositoryTest, OpenFailsWithNotFoundOutsideAnyRepository) {
  TempDir plain;
  Result<Repository> repository = Repository::Open(plain.path());
  ASSERT_FALSE(repository.has_value());
  EXPECT_EQ(repository.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(repository.error().message(),
            "no git repository at or above '" + plain.path().string() + "'");
}

TEST_F(RepositoryTest, OpensABareRepositoryWithAnEmptyWorkTree) {
  TempDir bare;
  git_.Git({"init", "-q", "--bare", bare.path().string()});
  Result<Repository> repository = Repository::Open(bare.path());
  ASSERT_TRUE(repository.has_value()) << repository.error().message();
  EXPECT_EQ(repository->work_tree(), std::filesystem::path());
}

TEST_F(RepositoryTest, ResolvesHeadBranchesTagsShortIdsAndAncestors) {
  git_.Write("a.txt", "one");
  std::string first = git_.Commit("first");
  git_.Write("a.txt", "two");
  std::string second = git_.Commit("second");
  git_.Branch("feature", first);
  git_.Tag("v1", first);
  git_.AnnotatedTag("v2", "release two");
  Repository repository = Open();

  EXPECT_EQ(Outcome(repository.ResolveCommit("HEAD")), "ok: " + second);
  EXPECT_EQ(Outcome(repository.ResolveCommit("main")), "ok: " + second);
  EXPECT_EQ(Outcome(repository.ResolveCommit("feature")), "ok: " + first);
  EXPECT_EQ(Outcome(repository.ResolveCommit("v1")), "ok: " + first);
  EXPECT_EQ(Outcome(repository.ResolveCommit("v2")), "ok: " + second);
  EXPECT_EQ(Outcome(repository.ResolveCommit(second.substr(0, 7))), "ok: " + second);
  EXPECT_EQ(Outcome(repository.ResolveCommit(first)), "ok: " + first);
  EXPECT_EQ(Outcome(repository.ResolveCommit("main~1")), "ok: " + first);
}

TEST_F(RepositoryTest, UnknownRevisionIsNotFound) {
  git_.Write("a.txt", "one");
  git_.Commit("first");
  Repository repository = Open();
  EXPECT_EQ(Outcome(repository.ResolveCommit("nope")), "not found: unknown revision 'nope'");
  EXPECT_EQ(Outcome(repository.ResolveCommit("main~3")), "not found: unknown revision 'main~3'");
  EXPECT_EQ(Outcome(repository.ResolveCommit("0123456789abcdef0123456789abcdef01234567")),
            "not found: unknown revision '0123456789abcdef0123456789abcdef01234567'");
}

TEST_F(RepositoryTest, AmbiguousShortIdIsInvalidArgument) {
  // These two blobs' ids both start with cb91dc1c (found by a search over "x<n>\n").
  git_.Write("one.txt", "x26087\n");
  git_.Write("two.txt", "x47837\n");
  git_.Commit("two blobs sharing a prefix");
  Repository repository = Open();
  Result<std::string> resolved = repository.ResolveCommit("cb91dc1c");
  ASSERT_FALSE(resolved.has_value());
  EXPECT_EQ(resolved.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(resolved.error().message(),
            "ambiguous revision 'cb91dc1c': ambiguous SHA1 prefix - multiple matches in loose "
            "objects");
}

TEST_F(RepositoryTest, TreesAndBlobsAreNotCommits) {
  git_.Write("a.txt", "one");
  git_.Commit("first");
  git_.Tag("tree-tag", "HEAD^{tree}");
  git_.AnnotatedTag("annotated-tree-tag", "a tree", "HEAD^{tree}");
  Repository repository = Open();
  EXPECT_EQ(Outcome(repository.ResolveCommit("HEAD^{tree}")),
            "invalid argument: 'HEAD^{tree}' is a tree, not a commit");
  EXPECT_EQ(Outcome(repository.ResolveCommit("HEAD:a.txt")),
            "invalid argument: 'HEAD:a.txt' is a blob, not a commit");
  EXPECT_EQ(Outcome(repository.ResolveCommit("tree-tag")),
            "invalid argument: 'tree-tag' is a tree, not a commit");
  EXPECT_EQ(Outcome(repository.ResolveCommit("annotated-tree-tag")),
            "invalid argument: 'annotated-tree-tag' is a tree, not a commit");
}

TEST_F(RepositoryTest, CurrentBranchNamesTheCheckedOutBranch) {
  git_.Write("a.txt", "one");
  git_.Commit("first");
  EXPECT_EQ(Outcome(Open().CurrentBranch()), "ok: main");
  git_.Git({"checkout", "-q", "-b", "feature/login"});
  EXPECT_EQ(Outcome(Open().CurrentBranch()), "ok: feature/login");
}

TEST_F(RepositoryTest, CurrentBranchIsEmptyWhenHeadIsDetached) {
  git_.Write("a.txt", "one");
  std::string first = git_.Commit("first");
  git_.Write("a.txt", "two");
  git_.Commit("second");
  git_.Checkout(first);
  EXPECT_EQ(Outcome(Open().CurrentBranch()), "ok: ");
}

TEST_F(RepositoryTest, CurrentBranchIsEmptyBeforeTheFirstCommit) {
  EXPECT_EQ(Outcome(Open().CurrentBranch()), "ok: ");
}

TEST_F(RepositoryTest, ReadBlobReturnsAFileOfTheCommit) {
  git_.Write("src/a.txt", "committed");
  git_.Symlink("link", "src/a.txt");
  std::string commit = git_.Commit("first");
  git_.Write("src/a.txt", "changed in the work tree");
  Repository repository = Open();
  EXPECT_EQ(Outcome(repository.ReadBlob(commit, "src/a.txt")), "ok: committed");
  EXPECT_EQ(Outcome(repository.ReadBlob(commit, "link")), "ok: src/a.txt");
  EXPECT_EQ(Outcome(repository.ReadBlob(commit, "src")), "invalid argument: path 'src' at commit " +
                                                             commit.substr(0, 7) +
                                                             " is a directory, not a file");
  EXPECT_EQ(Outcome(repository.ReadBlob(commit, "src/b.txt")),
            "not found: path 'src/b.txt' does not exist at commit " + commit.substr(0, 7));
}

}  // namespace
}  // namespace lockstep::git
