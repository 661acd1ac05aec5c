#include "git/mirror.h"

#include <gtest/gtest.h>

#include "git/repository.h"
#include "git_fixture.h"
#include "temp_dir.h"

namespace lockstep::git {
namespace {

using testing::GitFixture;
using testing::TempDir;

class MirrorTest : public ::testing::Test {
 protected:
  GitFixture upstream_;
  TempDir mirrors_;
};

TEST_F(MirrorTest, MirrorsALocalRepositoryAndSeesNewCommitsOnUpdate) {
  upstream_.Write("a.txt", "1\n");
  std::string first = upstream_.Commit("first");
  upstream_.Branch("release");
  std::string url = "file://" + upstream_.path().string();

  Result<std::filesystem::path> mirror = MirrorRepository(url, mirrors_.path());
  ASSERT_TRUE(mirror.has_value()) << mirror.error().message();
  EXPECT_EQ(mirror->parent_path(), mirrors_.path());
  EXPECT_TRUE(mirror->filename().string().starts_with(upstream_.path().filename().string() + "-"))
      << *mirror;
  EXPECT_TRUE(mirror->filename().string().ends_with(".git")) << *mirror;
  {
    Result<Repository> repository = Repository::Open(*mirror);
    ASSERT_TRUE(repository.has_value()) << repository.error().message();
    EXPECT_EQ(repository->work_tree(), std::filesystem::path());
    EXPECT_EQ(repository->ResolveCommit("main").value_or("?"), first);
    EXPECT_EQ(repository->ResolveCommit("release").value_or("?"), first);
  }

  // What `git clone --mirror` would have: the source's refs under the same names, no
  // remote-tracking refs, and the mirror flag for later `git fetch`es.
  EXPECT_EQ(upstream_.Git({"--git-dir", mirror->string(), "for-each-ref", "--format=%(refname)"}),
            "refs/heads/main\nrefs/heads/release");
  EXPECT_EQ(upstream_.Git({"--git-dir", mirror->string(), "config", "remote.origin.fetch"}),
            "+refs/*:refs/*");
  EXPECT_EQ(upstream_.Git({"--git-dir", mirror->string(), "config", "remote.origin.mirror"}),
            "true");

  upstream_.Write("a.txt", "2\n");
  std::string second = upstream_.Commit("second");
  upstream_.Git({"branch", "-q", "-D", "release"});
  // The same repository named by its plain path lands in the same mirror.
  Result<std::filesystem::path> again =
      MirrorRepository(upstream_.path().string(), mirrors_.path());
  ASSERT_TRUE(again.has_value()) << again.error().message();
  EXPECT_EQ(*again, *mirror);
  Result<Repository> repository = Repository::Open(*again);
  ASSERT_TRUE(repository.has_value()) << repository.error().message();
  EXPECT_EQ(repository->ResolveCommit("main").value_or("?"), second);
  EXPECT_EQ(repository->ResolveCommit("release").error().message(), "unknown revision 'release'");
  Result<std::vector<ChangedPath>> changes = repository->ChangedPaths(first, second);
  ASSERT_TRUE(changes.has_value()) << changes.error().message();
  EXPECT_EQ(changes->size(), 1u);
}

TEST_F(MirrorTest, RefusesRemoteUrls) {
  for (std::string url : {"https://example.com/repo.git", "ssh://git@example.com/repo.git",
                          "git@example.com:team/repo.git"}) {
    Result<std::filesystem::path> mirror = MirrorRepository(url, mirrors_.path());
    ASSERT_FALSE(mirror.has_value()) << url;
    EXPECT_EQ(mirror.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(mirror.error().message(), "cannot mirror '" + url +
                                            "': only local repositories (path or file://) are "
                                            "supported");
  }
  EXPECT_TRUE(std::filesystem::is_empty(mirrors_.path()));
}

TEST_F(MirrorTest, AMissingSourceIsNotFoundAndLeavesNoMirror) {
  std::string missing = (mirrors_.path() / "nowhere").string();
  Result<std::filesystem::path> mirror = MirrorRepository(missing, mirrors_.path() / "m");
  ASSERT_FALSE(mirror.has_value());
  EXPECT_EQ(mirror.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(mirror.error().message(),
            "cannot mirror '" + missing + "': '" + missing + "' does not exist");
  EXPECT_FALSE(std::filesystem::exists(mirrors_.path() / "m"));
}

}  // namespace
}  // namespace lockstep::git
