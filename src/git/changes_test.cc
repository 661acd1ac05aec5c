#include "git/changes.h"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "git/repository.h"
#include "git_fixture.h"
#include "temp_dir.h"

namespace lockstep::git {
namespace {

using testing::GitFixture;
using testing::TempDir;
using Kind = ChangedPath::Kind;

constexpr uint32_t kFile = 0100644;
constexpr uint32_t kExecutable = 0100755;
constexpr uint32_t kLink = 0120000;

class ChangesTest : public ::testing::Test {
 protected:
  static Repository OpenAt(const std::filesystem::path& path) {
    Result<Repository> repository = Repository::Open(path);
    EXPECT_TRUE(repository.has_value()) << repository.error().message();
    return std::move(*repository);
  }
  Repository Open() { return OpenAt(git_.path()); }

  // The changes between two revisions, or a failed assertion and an empty list.
  std::vector<ChangedPath> Changes(std::string_view from, std::string_view to) {
    Result<std::vector<ChangedPath>> changes = Open().ChangedPaths(from, to);
    EXPECT_TRUE(changes.has_value()) << changes.error().message();
    return changes ? *changes : std::vector<ChangedPath>{};
  }

  // "code: message" of a failed result, or "ok".
  template <class T>
  static std::string Outcome(const Result<T>& result) {
    if (result) return "ok";
    return std::string(ErrorCodeName(result.error().code())) + ": " + result.error().message();
  }

  // Overwrites the loose object `id` with bytes that do not inflate.
  void CorruptLooseObject(const std::string& id) {
    std::filesystem::path object =
        git_.path() / ".git" / "objects" / id.substr(0, 2) / id.substr(2);
    std::filesystem::permissions(object, std::filesystem::perms(0644));
    std::ofstream(object, std::ios::binary | std::ios::trunc) << "not zlib data";
  }

  GitFixture git_;
};

TEST_F(ChangesTest, ReportsAddedModifiedAndDeletedFilesSortedByPath) {
  git_.Write("keep.txt", "same\n");
  git_.Write("b/edit.txt", "before\n");
  git_.Write("gone.txt", "bye\n");
  std::string first = git_.Commit("first");
  git_.Write("b/edit.txt", "after\n");
  git_.Remove("gone.txt");
  git_.Write("a/new.txt", "hello\n");
  std::string second = git_.Commit("second");

  EXPECT_EQ(Changes(first, second), (std::vector<ChangedPath>{
                                        {Kind::kAdded, "a/new.txt", "", 0, kFile},
                                        {Kind::kModified, "b/edit.txt", "", kFile, kFile},
                                        {Kind::kDeleted, "gone.txt", "", kFile, 0},
                                    }));
}

TEST_F(ChangesTest, DetectsARenameAndSetsTheOldPath) {
  git_.Write("old/name.txt", "line one\nline two\nline three\n");
  std::string first = git_.Commit("first");
  git_.Remove("old");
  git_.Write("new/name.txt", "line one\nline two\nline three\n");
  std::string second = git_.Commit("rename");

  EXPECT_EQ(
      Changes(first, second),
      (std::vector<ChangedPath>{{Kind::kRenamed, "new/name.txt", "old/name.txt", kFile, kFile}}));
}

TEST_F(ChangesTest, DetectsARenameWithAnEditAsGitDiffDashMDoes) {
  std::string text;
  for (int i = 0; i < 10; ++i) text += "line " + std::to_string(i) + "\n";
  git_.Write("a.txt", text);
  std::string first = git_.Commit("first");
  git_.Remove("a.txt");
  git_.Write("b.txt", text + "one more line\n");
  std::string second = git_.Commit("rename and edit");

  EXPECT_EQ(Changes(first, second),
            (std::vector<ChangedPath>{{Kind::kRenamed, "b.txt", "a.txt", kFile, kFile}}));
  EXPECT_EQ(git_.Git({"diff", "-M", "--name-status", first, second}), "R083\ta.txt\tb.txt");
}

TEST_F(ChangesTest, AnEditedRenameIsFoundAmongMoreMovesThanTheRenameLimit) {
  // 1,100 files moved unchanged and one moved and edited: the limit on inexact pairs counts
  // only what exact renames left, as git's does.
  std::string text;
  for (int i = 0; i < 10; ++i) text += "line " + std::to_string(i) + "\n";
  for (int i = 0; i < 1100; ++i) git_.Write("d/f" + std::to_string(i), std::to_string(i) + "\n");
  git_.Write("d/big", text);
  std::string first = git_.Commit("first");
  git_.Git({"mv", "d", "e"});
  git_.Write("e/big", text + "one more line\n");
  std::string second = git_.Commit("move and edit");
  std::vector<ChangedPath> changes = Changes(first, second);
  ASSERT_EQ(changes.size(), 1101u);
  auto big = std::find_if(changes.begin(), changes.end(),
                          [](const ChangedPath& change) { return change.path == "e/big"; });
  ASSERT_NE(big, changes.end());
  EXPECT_EQ(*big, (ChangedPath{Kind::kRenamed, "e/big", "d/big", kFile, kFile}));
}

TEST_F(ChangesTest, AmongIdenticalSourcesTheOneWithTheSameNameIsRenamed) {
  git_.Write("a/x.txt", "same\n");
  git_.Write("a/y.txt", "same\n");
  std::string first = git_.Commit("first");
  git_.Remove("a");
  git_.Write("b/y.txt", "same\n");
  std::string second = git_.Commit("move y");
  EXPECT_EQ(Changes(first, second),
            (std::vector<ChangedPath>{{Kind::kDeleted, "a/x.txt", "", kFile, 0},
                                      {Kind::kRenamed, "b/y.txt", "a/y.txt", kFile, kFile}}));
  EXPECT_EQ(git_.Git({"diff", "-M", "--name-status", first, second}),
            "D\ta/x.txt\nR100\ta/y.txt\tb/y.txt");
}

TEST_F(ChangesTest, ADissimilarReplacementIsADeleteAndAnAdd) {
  git_.Write("a.txt", "alpha\nbeta\ngamma\ndelta\n");
  std::string first = git_.Commit("first");
  git_.Remove("a.txt");
  git_.Write("b.txt", "something else entirely\n");
  std::string second = git_.Commit("replace");

  EXPECT_EQ(Changes(first, second), (std::vector<ChangedPath>{
                                        {Kind::kDeleted, "a.txt", "", kFile, 0},
                                        {Kind::kAdded, "b.txt", "", 0, kFile},
                                    }));
}

TEST_F(ChangesTest, ChmodPlusXAloneIsAModeChange) {
  git_.Write("run.sh", "echo hi\n");
  std::string first = git_.Commit("first");
  git_.WriteExecutable("run.sh", "echo hi\n");
  std::string second = git_.Commit("chmod +x");

  EXPECT_EQ(Changes(first, second),
            (std::vector<ChangedPath>{{Kind::kModeChanged, "run.sh", "", kFile, kExecutable}}));
}

TEST_F(ChangesTest, ContentAndModeChangedTogetherIsModifiedWithBothModes) {
  git_.Write("run.sh", "echo hi\n");
  std::string first = git_.Commit("first");
  git_.WriteExecutable("run.sh", "echo bye\n");
  std::string second = git_.Commit("edit and chmod +x");

  EXPECT_EQ(Changes(first, second),
            (std::vector<ChangedPath>{{Kind::kModified, "run.sh", "", kFile, kExecutable}}));
}

TEST_F(ChangesTest, AFileThatBecomesASymlinkIsATypeChange) {
  git_.Write("target.txt", "t\n");
  git_.Write("link", "was a file\n");
  std::string first = git_.Commit("first");
  git_.Symlink("link", "target.txt");
  std::string second = git_.Commit("file to link");

  EXPECT_EQ(Changes(first, second),
            (std::vector<ChangedPath>{{Kind::kTypeChanged, "link", "", kFile, kLink}}));
}

TEST_F(ChangesTest, ARangeComparesTreesSoAFileAddedThenRemovedDoesNotAppear) {
  git_.Write("base.txt", "0\n");
  std::string first = git_.Commit("first");
  git_.Write("temporary.txt", "here for a while\n");
  git_.Write("base.txt", "1\n");
  git_.Commit("second");
  git_.Remove("temporary.txt");
  git_.Write("later.txt", "added\n");
  git_.Commit("third");
  git_.Write("base.txt", "0\n");  // back to what it was at `first`
  git_.Write("final.txt", "f\n");
  std::string fourth = git_.Commit("fourth");

  EXPECT_EQ(Changes(first, fourth), (std::vector<ChangedPath>{
                                        {Kind::kAdded, "final.txt", "", 0, kFile},
                                        {Kind::kAdded, "later.txt", "", 0, kFile},
                                    }));
  EXPECT_EQ(Changes(fourth, fourth), std::vector<ChangedPath>{});
}

TEST_F(ChangesTest, ReportsABinaryFileChange) {
  git_.Write("image.bin", std::string("\x89PNG\0\0\x01\x02", 8));
  std::string first = git_.Commit("first");
  git_.Write("image.bin", std::string("\x89PNG\0\0\x01\x03\xff", 9));
  std::string second = git_.Commit("second");

  EXPECT_EQ(Changes(first, second),
            (std::vector<ChangedPath>{{Kind::kModified, "image.bin", "", kFile, kFile}}));
}

TEST_F(ChangesTest, KeepsNamesWithSpacesAndUtf8Unquoted) {
  git_.Write("docs/read me.txt", "a\n");
  std::string first = git_.Commit("first");
  git_.Write("docs/read me.txt", "b\n");
  git_.Write("docs/h\xc3\xa9llo w\xc3\xb6rld.md", "c\n");
  std::string second = git_.Commit("second");

  EXPECT_EQ(Changes(first, second),
            (std::vector<ChangedPath>{
                {Kind::kAdded, "docs/h\xc3\xa9llo w\xc3\xb6rld.md", "", 0, kFile},
                {Kind::kModified, "docs/read me.txt", "", kFile, kFile},
            }));
}

TEST_F(ChangesTest, AcceptsBranchNamesAndAncestorSyntax) {
  git_.Write("a.txt", "1\n");
  git_.Commit("first");
  git_.Write("a.txt", "2\n");
  git_.Commit("second");

  EXPECT_EQ(Changes("main~1", "main"),
            (std::vector<ChangedPath>{{Kind::kModified, "a.txt", "", kFile, kFile}}));
}

TEST_F(ChangesTest, AgreesWithGitDiffRawOnAMixedChange) {
  std::string long_text;
  for (int i = 0; i < 20; ++i) long_text += "shared line " + std::to_string(i) + "\n";
  git_.Write("src/main.cc", "int main() {}\n");
  git_.Write("src/moved.h", long_text);
  git_.Write("docs/old notes.md", "notes\n");
  git_.Write("tool.sh", "echo\n");
  git_.Write("link", "file\n");
  git_.Write("thing/inner.txt", "inner\n");
  git_.Write("empty", "");
  std::string first = git_.Commit("first");
  git_.Write("src/main.cc", "int main() { return 1; }\n");
  git_.Remove("src/moved.h");
  git_.Write("include/moved.h", long_text + "one edit\n");
  git_.Remove("docs/old notes.md");
  git_.WriteExecutable("tool.sh", "echo\n");
  git_.Symlink("link", "src/main.cc");
  git_.Write("caf\xc3\xa9.txt", "new\n");
  git_.Remove("thing");
  git_.Write("thing", "now a file\n");  // a folder replaced by a file
  git_.Remove("empty");
  git_.Write("sub/empty", "");
  std::string second = git_.Commit("second");

  // "<old mode> <new mode> <status letter>\t<path>[\t<new path>]", as git diff --raw shows
  // it without the ids and the similarity score.
  std::vector<std::string> ours;
  for (const ChangedPath& change : Changes(first, second)) {
    constexpr std::string_view kLetters = "AMDRMT";
    std::string line = fmt::format("{:06o} {:06o} {}\t", change.old_mode, change.new_mode,
                                   kLetters[static_cast<size_t>(change.kind)]);
    line += change.kind == Kind::kRenamed ? change.old_path + "\t" + change.path : change.path;
    ours.push_back(line);
  }
  std::sort(ours.begin(), ours.end());
  std::vector<std::string> theirs;
  std::string raw =
      git_.Git({"-c", "core.quotepath=false", "diff", "-M", "--raw", "--no-abbrev", first, second});
  for (size_t start = 0; start < raw.size();) {
    size_t end = raw.find('\n', start);
    if (end == std::string::npos) end = raw.size();
    std::string line = raw.substr(start, end - start);  // ":100644 100755 id id M\tpath"
    size_t tab = line.find('\t');
    char status = line[line.rfind(' ', tab) + 1];  // "R083" -> 'R'
    theirs.push_back(line.substr(1, 14) + status + "\t" + line.substr(tab + 1));
    start = end + 1;
  }
  std::sort(theirs.begin(), theirs.end());
  EXPECT_EQ(ours, theirs);
  EXPECT_EQ(ours.size(), 9u);
}

TEST_F(ChangesTest, AnUnknownRevisionIsNotFoundAndNamed) {
  git_.Write("a.txt", "1\n");
  std::string first = git_.Commit("first");
  Repository repository = Open();

  EXPECT_EQ(Outcome(repository.ChangedPaths("no-such-branch", first)),
            "not found: unknown revision 'no-such-branch'");
  EXPECT_EQ(Outcome(repository.ChangedPaths(first, "v9")), "not found: unknown revision 'v9'");
  EXPECT_EQ(Outcome(repository.CommitsInRange(first, "nope")),
            "not found: unknown revision 'nope'");
  EXPECT_EQ(Outcome(repository.MergeBase("nope", first)), "not found: unknown revision 'nope'");
}

TEST_F(ChangesTest, MergeBaseOfTwoBranchesIsWhereTheyForked) {
  git_.Write("a.txt", "1\n");
  git_.Commit("first");
  git_.Write("a.txt", "2\n");
  std::string fork = git_.Commit("fork point");
  git_.Branch("feature");
  git_.Write("main.txt", "m\n");
  git_.Commit("on main");
  git_.Checkout("feature");
  git_.Write("feature.txt", "f\n");
  git_.Commit("on feature");

  Result<std::string> base = Open().MergeBase("main", "feature");
  ASSERT_TRUE(base.has_value()) << base.error().message();
  EXPECT_EQ(*base, fork);
}

TEST_F(ChangesTest, MergeBaseOfUnrelatedHistoriesIsNotFound) {
  git_.Write("a.txt", "1\n");
  git_.Commit("first");
  git_.Git({"checkout", "-q", "--orphan", "rewritten"});
  git_.Git({"rm", "-q", "-rf", "."});
  git_.Write("b.txt", "2\n");
  git_.Commit("unrelated root");

  EXPECT_EQ(Outcome(Open().MergeBase("main", "rewritten")),
            "not found: no common ancestor of 'main' and 'rewritten'");
}

TEST_F(ChangesTest, CommitsInRangeListsNewestFirstThroughAMerge) {
  git_.Write("a.txt", "1\n");
  std::string base = git_.Commit("base");
  git_.Branch("feature");
  git_.Write("main.txt", "m1\n");
  std::string main1 = git_.Commit("main 1");
  git_.Checkout("feature");
  git_.Write("feature.txt", "f1\n");
  std::string feature1 = git_.Commit("feature 1");
  git_.Write("feature.txt", "f2\n");
  std::string feature2 = git_.Commit("feature 2");
  git_.Checkout("main");
  git_.Write("main.txt", "m2\n");
  std::string main2 = git_.Commit("main 2");
  git_.Git({"merge", "-q", "--no-ff", "-m", "merge feature", "feature"});
  std::string merge = git_.Git({"rev-parse", "HEAD"});
  git_.Write("main.txt", "m3\n");
  std::string main3 = git_.Commit("main 3");

  Result<std::vector<std::string>> commits = Open().CommitsInRange(base, "main");
  ASSERT_TRUE(commits.has_value()) << commits.error().message();
  EXPECT_EQ(commits->size(), 6u);
  EXPECT_EQ(commits->front(), main3);
  EXPECT_EQ((*commits)[1], merge);
  EXPECT_EQ(commits->back(), main1);
  std::string listed;
  for (const std::string& commit : *commits) listed += (listed.empty() ? "" : "\n") + commit;
  EXPECT_EQ(listed, git_.Git({"rev-list", base + "..main"}));

  Result<std::vector<std::string>> feature_only = Open().CommitsInRange(main2, "feature");
  ASSERT_TRUE(feature_only.has_value()) << feature_only.error().message();
  EXPECT_EQ(*feature_only, (std::vector<std::string>{feature2, feature1}));

  Result<std::vector<std::string>> none = Open().CommitsInRange(main3, base);
  ASSERT_TRUE(none.has_value()) << none.error().message();
  EXPECT_EQ(*none, std::vector<std::string>{});
}

TEST_F(ChangesTest, CommitsInRangeFromNothingListsTheWholeHistory) {
  git_.Write("a.txt", "1\n");
  std::string first = git_.Commit("first");
  git_.Write("a.txt", "2\n");
  std::string second = git_.Commit("second");

  Result<std::vector<std::string>> commits = Open().CommitsInRange("", "main");
  ASSERT_TRUE(commits.has_value()) << commits.error().message();
  EXPECT_EQ(*commits, (std::vector<std::string>{second, first}));
}

TEST_F(ChangesTest, AShallowCloneNamesTheMissingCommitAndHowToFetchIt) {
  git_.Write("a.txt", "1\n");
  std::string first = git_.Commit("first");
  git_.Write("a.txt", "2\n");
  std::string second = git_.Commit("second");
  TempDir clones;
  std::filesystem::path shallow = clones.path() / "shallow";
  git_.Git({"clone", "-q", "--depth", "1", "file://" + git_.path().string(), shallow.string()});
  Repository repository = OpenAt(shallow);

  std::string expected = "not found: commit " + first +
                         " is not in this shallow clone; fetch more history (git fetch "
                         "--deepen=N)";
  EXPECT_EQ(Outcome(repository.ChangedPaths(first, second)), expected);
  EXPECT_EQ(Outcome(repository.CommitsInRange(first, "HEAD")), expected);
  // What the clone has still works.
  Result<std::vector<ChangedPath>> none = repository.ChangedPaths(second, "HEAD");
  ASSERT_TRUE(none.has_value()) << none.error().message();
  EXPECT_TRUE(none->empty());
}

TEST_F(ChangesTest, AShallowCloneWalksRangesInsideItsHistoryAsGitDoes) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    git_.Write("a.txt", std::to_string(i) + "\n");
    ids.push_back(git_.Commit("commit " + std::to_string(i)));
  }
  TempDir clones;
  std::filesystem::path shallow = clones.path() / "shallow";
  git_.Git({"clone", "-q", "--depth", "3", "file://" + git_.path().string(), shallow.string()});
  Repository repository = OpenAt(shallow);

  Result<std::vector<std::string>> range = repository.CommitsInRange(ids[2], ids[4]);
  ASSERT_TRUE(range.has_value()) << range.error().message();
  EXPECT_EQ(*range, (std::vector<std::string>{ids[4], ids[3]}));
  // From nothing: the whole history the clone has, ending at its boundary commit.
  Result<std::vector<std::string>> all = repository.CommitsInRange("", "HEAD");
  ASSERT_TRUE(all.has_value()) << all.error().message();
  EXPECT_EQ(*all, (std::vector<std::string>{ids[4], ids[3], ids[2]}));
  EXPECT_EQ(Outcome(repository.MergeBase(ids[2], ids[4])), "ok");
  EXPECT_EQ(repository.MergeBase(ids[4], ids[3]).value_or("?"), ids[3]);
  Result<std::vector<ChangedPath>> changes = repository.ChangedPaths(ids[2], ids[4]);
  ASSERT_TRUE(changes.has_value()) << changes.error().message();
  EXPECT_EQ(*changes, (std::vector<ChangedPath>{{Kind::kModified, "a.txt", "", kFile, kFile}}));
  EXPECT_EQ(Outcome(repository.ChangedPaths(ids[1], ids[4])),
            "not found: commit " + ids[1] +
                " is not in this shallow clone; fetch more history (git fetch --deepen=N)");
}

TEST_F(ChangesTest, AShallowCloneWhoseBranchesDoNotMeetSaysToFetchMore) {
  git_.Write("a.txt", "1\n");
  git_.Commit("base");
  git_.Branch("side");
  git_.Write("a.txt", "2\n");
  git_.Commit("main");
  git_.Checkout("side");
  git_.Write("b.txt", "3\n");
  git_.Commit("side");
  git_.Checkout("main");
  TempDir clones;
  std::filesystem::path shallow = clones.path() / "shallow";
  git_.Git({"clone", "-q", "--depth", "1", "--no-single-branch", "file://" + git_.path().string(),
            shallow.string()});
  Repository repository = OpenAt(shallow);

  EXPECT_EQ(Outcome(repository.MergeBase("main", "origin/side")),
            "not found: no common ancestor of 'main' and 'origin/side' in this shallow clone; "
            "fetch more history (git fetch --deepen=N)");
}

TEST_F(ChangesTest, ACorruptTreeOrCommitIsReportedAsCorruption) {
  git_.Write("a.txt", "1\n");
  std::string first = git_.Commit("first");
  git_.Write("a.txt", "2\n");
  std::string second = git_.Commit("second");
  std::string tree = git_.Git({"rev-parse", second + "^{tree}"});
  CorruptLooseObject(tree);
  EXPECT_EQ(Outcome(Open().ChangedPaths(first, second)),
            "corruption: cannot read the tree of '" + second + "': failed to inflate loose object");

  CorruptLooseObject(second);
  std::string expected =
      "corruption: cannot resolve revision '" + second + "': failed to inflate loose object";
  EXPECT_EQ(Outcome(Open().ChangedPaths(first, second)), expected);
  EXPECT_EQ(Outcome(Open().CommitsInRange(first, second)), expected);
}

}  // namespace
}  // namespace lockstep::git
