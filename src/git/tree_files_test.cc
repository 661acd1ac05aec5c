// Repository's tree and blob reads for syncing (tree_files.cc), on real repositories.
#include "git/tree_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "git/repository.h"
#include "git_fixture.h"
#include "temp_dir.h"

namespace lockstep::git {

// Readable failures; static so a helper of the same name in another test file cannot collide.
static void PrintTo(const TreeFile& file, std::ostream* out) {
  *out << "{" << file.path << " " << std::oct << file.mode << std::dec << " " << file.blob_id
       << "}";
}
static void PrintTo(const TreeFileChange& change, std::ostream* out) {
  *out << "{" << change.path << " " << std::oct << change.old_mode << "->" << change.new_mode
       << std::dec << " " << change.new_blob_id << "}";
}

namespace {

namespace fs = std::filesystem;
using testing::GitFixture;
using testing::TempDir;

constexpr uint32_t kRegular = 0100644;
constexpr uint32_t kExecutable = 0100755;
constexpr uint32_t kLink = 0120000;

class TreeFilesTest : public ::testing::Test {
 protected:
  Repository Open() {
    Result<Repository> repository = Repository::Open(git_.path());
    EXPECT_TRUE(repository.has_value()) << repository.error().message();
    return std::move(*repository);
  }

  // The id git gives `spec` ("HEAD:src", "HEAD^{tree}").
  std::string Id(const std::string& spec) { return git_.Git({"rev-parse", spec}); }

  std::vector<TreeFileChange> Diff(const std::string& old_tree, const std::string& new_tree) {
    Result<std::vector<TreeFileChange>> changes = Open().DiffFiles(old_tree, new_tree);
    EXPECT_TRUE(changes.has_value()) << changes.error().message();
    return changes.value_or(std::vector<TreeFileChange>{});
  }

  // Stages everything, adds a submodule entry at `submodule` pointing at a made-up commit
  // (nothing checked out there), and commits.
  std::string CommitWithSubmodule(const std::string& submodule) {
    git_.Git({"add", "-A"});
    git_.Git({"update-index", "--add", "--cacheinfo",
              "160000," + std::string(40, 'a') + "," + submodule});
    return git_.CommitStaged("with a submodule");
  }

  // A tree object written as given, bypassing git's checks, as a hostile repository could
  // hold it. Entries are {mode, name, hex id}, in git's order.
  struct RawEntry {
    std::string mode, name, id;
  };
  std::string HostileTree(const std::vector<RawEntry>& entries) {
    std::string raw;
    for (const RawEntry& entry : entries) {
      raw += entry.mode + " " + entry.name + '\0';
      for (size_t i = 0; i < entry.id.size(); i += 2) {
        raw += static_cast<char>(std::stoi(entry.id.substr(i, 2), nullptr, 16));
      }
    }
    TempDir scratch;
    scratch.Write("tree", raw);
    return git_.Git(
        {"hash-object", "-t", "tree", "-w", "--literally", (scratch.path() / "tree").string()});
  }

  static std::string Outcome(const Result<std::string>& result) {
    if (result) return "ok: " + *result;
    return std::string(ErrorCodeName(result.error().code())) + ": " + result.error().message();
  }

  GitFixture git_;
};

TEST_F(TreeFilesTest, ReopenGivesASecondHandleOnTheSameRepository) {
  git_.Write("a.txt", "a\n");
  std::string commit = git_.Commit("first");
  Repository first = Open();
  Result<Repository> second = first.Reopen();
  ASSERT_TRUE(second.has_value()) << second.error().message();
  EXPECT_EQ(second->work_tree(), first.work_tree());
  EXPECT_EQ(second->git_directory(), first.git_directory());
  EXPECT_EQ(second->ResolveCommit("HEAD").value_or("?"), commit);
}

TEST_F(TreeFilesTest, GitDirectoryIsTheDotGitFolderOrTheBareRepository) {
  git_.Write("a.txt", "a\n");
  git_.Commit("first");
  EXPECT_EQ(fs::canonical(Open().git_directory()), fs::canonical(git_.path() / ".git"));

  TempDir bare;
  git_.Git({"clone", "-q", "--bare", git_.path().string(), (bare.path() / "b.git").string()});
  Result<Repository> repository = Repository::Open(bare.path() / "b.git");
  ASSERT_TRUE(repository.has_value()) << repository.error().message();
  EXPECT_EQ(fs::canonical(repository->git_directory()), fs::canonical(bare.path() / "b.git"));
  EXPECT_EQ(repository->work_tree(), fs::path());
}

TEST_F(TreeFilesTest, TreeIdAtGivesTheRootOrASubtreesId) {
  git_.Write("src/lib/a.cc", "a\n");
  git_.Write("README", "r\n");
  std::string commit = git_.Commit("first");
  Repository repository = Open();
  EXPECT_EQ(Outcome(repository.TreeIdAt(commit, "")), "ok: " + Id("HEAD^{tree}"));
  EXPECT_EQ(Outcome(repository.TreeIdAt(commit, "src")), "ok: " + Id("HEAD:src"));
  EXPECT_EQ(Outcome(repository.TreeIdAt(commit, "src/lib/")), "ok: " + Id("HEAD:src/lib"));
}

TEST_F(TreeFilesTest, TreeIdAtRefusesMissingPathsFilesSubmodulesAndBadIds) {
  git_.Write("src/a.cc", "a\n");
  std::string commit = CommitWithSubmodule("vendor/mod");
  std::string short_id = commit.substr(0, 7);
  Repository repository = Open();
  EXPECT_EQ(Outcome(repository.TreeIdAt(commit, "nope")),
            "not found: path 'nope' does not exist at commit " + short_id);
  EXPECT_EQ(
      Outcome(repository.TreeIdAt(commit, "src/a.cc")),
      "invalid argument: path 'src/a.cc' at commit " + short_id + " is a file, not a directory");
  EXPECT_EQ(Outcome(repository.TreeIdAt(commit, "vendor/mod")),
            "invalid argument: path 'vendor/mod' at commit " + short_id +
                " is a submodule, not a directory");
  EXPECT_EQ(Outcome(repository.TreeIdAt("main", "")),
            "invalid argument: 'main' is not a full commit id");
  // A tree's id is not a commit.
  Result<std::string> tree_as_commit = repository.TreeIdAt(Id("HEAD^{tree}"), "");
  EXPECT_FALSE(tree_as_commit.has_value());
}

TEST_F(TreeFilesTest, HasTreeOnlyForTreesInTheRepository) {
  git_.Write("src/a.cc", "a\n");
  git_.Commit("first");
  Repository repository = Open();
  EXPECT_TRUE(repository.HasTree(Id("HEAD^{tree}")));
  EXPECT_TRUE(repository.HasTree(Id("HEAD:src")));
  EXPECT_FALSE(repository.HasTree(Id("HEAD:src/a.cc")));  // a blob
  EXPECT_FALSE(repository.HasTree(Id("HEAD")));           // a commit
  EXPECT_FALSE(repository.HasTree(std::string(40, '1')));
  EXPECT_FALSE(repository.HasTree("abc"));
  EXPECT_FALSE(repository.HasTree(""));
}

TEST_F(TreeFilesTest, ListFilesGivesEveryFileWithModeAndBlobInByteOrder) {
  git_.Write("src/main.cc", "int main() {}\n");
  git_.WriteExecutable("src/run.sh", "#!/bin/sh\n");
  git_.Symlink("src/current", "main.cc");
  git_.Write("src/deep/er/x.txt", "x\n");
  git_.Write("src/a-b", "dash\n");
  git_.Write("src/a0", "zero\n");
  git_.Write("src/a/inner", "inner\n");
  git_.Write("src/B", "upper\n");
  git_.Write("src/with space/\xC3\xA9t\xC3\xA9.txt", "utf-8\n");
  git_.Write("elsewhere.txt", "not listed\n");
  CommitWithSubmodule("src/vendor/mod");

  Result<TreeFiles> files = Open().ListFiles(Id("HEAD:src"));
  ASSERT_TRUE(files.has_value()) << files.error().message();
  EXPECT_EQ(files->tree_id, Id("HEAD:src"));
  EXPECT_EQ(files->files, (std::vector<TreeFile>{
                              {"B", kRegular, Id("HEAD:src/B")},
                              {"a-b", kRegular, Id("HEAD:src/a-b")},
                              {"a/inner", kRegular, Id("HEAD:src/a/inner")},
                              {"a0", kRegular, Id("HEAD:src/a0")},
                              {"current", kLink, Id("HEAD:src/current")},
                              {"deep/er/x.txt", kRegular, Id("HEAD:src/deep/er/x.txt")},
                              {"main.cc", kRegular, Id("HEAD:src/main.cc")},
                              {"run.sh", kExecutable, Id("HEAD:src/run.sh")},
                              {"with space/\xC3\xA9t\xC3\xA9.txt", kRegular,
                               Id("HEAD:src/with space/\xC3\xA9t\xC3\xA9.txt")},
                          }));
  EXPECT_EQ(files->submodules, std::vector<std::string>{"vendor/mod"});
}

TEST_F(TreeFilesTest, ListFilesOfTheEmptyTreeIsEmpty) {
  std::string empty = git_.Git({"mktree"});  // no entries on standard input
  Result<TreeFiles> files = Open().ListFiles(empty);
  ASSERT_TRUE(files.has_value()) << files.error().message();
  EXPECT_TRUE(files->files.empty());
  EXPECT_TRUE(files->submodules.empty());
}

TEST_F(TreeFilesTest, ListFilesAndDiffFilesRefuseNamesThatCouldEscapeOrPlantARepository) {
  git_.Write("a.txt", "a\n");
  git_.Commit("first");
  Repository repository = Open();
  for (std::string name : {"..", ".git", ".GIT", ".Git"}) {
    SCOPED_TRACE(name);
    std::string inner = HostileTree({{"100644", name, Id("HEAD:a.txt")}});
    std::string outer =
        HostileTree({{"100644", "a.txt", Id("HEAD:a.txt")}, {"40000", "sub", inner}});
    Result<TreeFiles> files = repository.ListFiles(outer);
    ASSERT_FALSE(files.has_value());
    EXPECT_EQ(files.error().code(), ErrorCode::kCorruption);
    EXPECT_EQ(files.error().message(), "the tree holds an unsafe path 'sub/" + name + "'");

    Result<std::vector<TreeFileChange>> changes = repository.DiffFiles(Id("HEAD^{tree}"), outer);
    ASSERT_FALSE(changes.has_value());
    EXPECT_EQ(changes.error().code(), ErrorCode::kCorruption);
    EXPECT_EQ(changes.error().message(), "the tree holds an unsafe path 'sub/" + name + "'");
  }
}

TEST_F(TreeFilesTest, ListFilesAndDiffFilesOfUnknownOrMalformedTreesFail) {
  git_.Write("a.txt", "a\n");
  git_.Commit("first");
  Repository repository = Open();
  Result<TreeFiles> unknown = repository.ListFiles(std::string(40, '1'));
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(unknown.error().message(), "no tree '" + std::string(40, '1') + "' in the repository");
  Result<TreeFiles> malformed = repository.ListFiles("HEAD");
  ASSERT_FALSE(malformed.has_value());
  EXPECT_EQ(malformed.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(malformed.error().message(), "'HEAD' is not a full tree id");
  Result<std::vector<TreeFileChange>> diff =
      repository.DiffFiles(Id("HEAD^{tree}"), std::string(40, '2'));
  ASSERT_FALSE(diff.has_value());
  EXPECT_EQ(diff.error().code(), ErrorCode::kNotFound);
}

TEST_F(TreeFilesTest, DiffFilesOfIdenticalTreesIsEmpty) {
  git_.Write("src/a.txt", "a\n");
  git_.Commit("first");
  git_.Write("other.txt", "outside the subtree\n");
  git_.Commit("second");
  EXPECT_EQ(Diff(Id("HEAD~1:src"), Id("HEAD:src")), std::vector<TreeFileChange>{});
}

TEST_F(TreeFilesTest, DiffFilesListsAddedModifiedDeletedAndModeChangedFiles) {
  git_.Write("keep.txt", "same\n");
  git_.Write("edit.txt", "before\n");
  git_.Write("gone/deep/file.txt", "bye\n");
  git_.Write("tool.sh", "#!/bin/sh\n");
  git_.Commit("first");
  git_.Write("edit.txt", "after\n");
  git_.Remove("gone");
  git_.WriteExecutable("tool.sh", "#!/bin/sh\n");
  git_.Write("new/file.txt", "hello\n");
  git_.Commit("second");

  EXPECT_EQ(Diff(Id("HEAD~1^{tree}"), Id("HEAD^{tree}")),
            (std::vector<TreeFileChange>{
                {"edit.txt", kRegular, kRegular, Id("HEAD:edit.txt")},
                {"gone/deep/file.txt", kRegular, 0, ""},
                {"new/file.txt", 0, kRegular, Id("HEAD:new/file.txt")},
                {"tool.sh", kRegular, kExecutable, Id("HEAD:tool.sh")},
            }));
}

TEST_F(TreeFilesTest, DiffFilesSplitsRenamesIntoARemovalAndAnAddition) {
  std::string content = "a file long enough to be recognised when it moves\n";
  git_.Write("old/name.txt", content);
  git_.Write("edited.txt", content + "and more\n");
  git_.Commit("first");
  git_.Remove("old");
  git_.Write("new/name.txt", content);
  git_.Remove("edited.txt");
  git_.Write("edited-moved.txt", content + "and more, edited\n");
  git_.Commit("moves");

  EXPECT_EQ(Diff(Id("HEAD~1^{tree}"), Id("HEAD^{tree}")),
            (std::vector<TreeFileChange>{
                {"edited-moved.txt", 0, kRegular, Id("HEAD:edited-moved.txt")},
                {"edited.txt", kRegular, 0, ""},
                {"new/name.txt", 0, kRegular, Id("HEAD:new/name.txt")},
                {"old/name.txt", kRegular, 0, ""},
            }));
}

TEST_F(TreeFilesTest, DiffFilesHandlesFilesBecomingFoldersLinksAndBack) {
  git_.Write("was-file", "file\n");
  git_.Write("was-folder/inner.txt", "inner\n");
  git_.Write("was-link-target.txt", "t\n");
  git_.Symlink("was-link", "was-link-target.txt");
  git_.Write("becomes-link", "plain\n");
  git_.Commit("first");
  git_.Remove("was-file");
  git_.Write("was-file/now-inside.txt", "file\n");  // same content as before: an exact rename
  git_.Remove("was-folder");
  git_.Write("was-folder", "now a file\n");
  git_.Remove("was-link");
  git_.Write("was-link", "now a file\n");
  git_.Remove("becomes-link");
  git_.Symlink("becomes-link", "was-link-target.txt");
  git_.Commit("second");

  EXPECT_EQ(Diff(Id("HEAD~1^{tree}"), Id("HEAD^{tree}")),
            (std::vector<TreeFileChange>{
                {"becomes-link", kRegular, kLink, Id("HEAD:becomes-link")},
                {"was-file", kRegular, 0, ""},
                {"was-file/now-inside.txt", 0, kRegular, Id("HEAD:was-file/now-inside.txt")},
                {"was-folder", 0, kRegular, Id("HEAD:was-folder")},
                {"was-folder/inner.txt", kRegular, 0, ""},
                {"was-link", kLink, kRegular, Id("HEAD:was-link")},
            }));
}

TEST_F(TreeFilesTest, DiffFilesLeavesSubmodulesOut) {
  git_.Write("a.txt", "a\n");
  git_.Commit("first");
  git_.Write("a.txt", "b\n");
  CommitWithSubmodule("mod");
  EXPECT_EQ(Diff(Id("HEAD~1^{tree}"), Id("HEAD^{tree}")),
            (std::vector<TreeFileChange>{{"a.txt", kRegular, kRegular, Id("HEAD:a.txt")}}));
}

TEST_F(TreeFilesTest, VisitBlobPassesTheExactBytesAndReturnsWhatTheVisitorReturns) {
  std::string binary;
  for (int i = 0; i < 512; ++i) binary += static_cast<char>(i % 256);
  git_.Write("data.bin", binary);
  git_.Symlink("link", "data.bin");
  git_.Commit("first");
  Repository repository = Open();

  std::string seen;
  Result<void> visited = repository.VisitBlob(Id("HEAD:data.bin"), [&](std::string_view content) {
    seen = std::string(content);
    return Result<void>{};
  });
  ASSERT_TRUE(visited.has_value()) << visited.error().message();
  EXPECT_EQ(seen, binary);

  Result<void> link = repository.VisitBlob(Id("HEAD:link"), [&](std::string_view content) {
    seen = std::string(content);
    return Result<void>{};
  });
  ASSERT_TRUE(link.has_value());
  EXPECT_EQ(seen, "data.bin");

  Result<void> refused = repository.VisitBlob(
      Id("HEAD:data.bin"),
      [](std::string_view) -> Result<void> { return Fail(ErrorCode::kCancelled, "no thanks"); });
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), ErrorCode::kCancelled);
  EXPECT_EQ(refused.error().message(), "no thanks");
}

TEST_F(TreeFilesTest, VisitBlobOfAMissingOrMalformedIdFailsWithoutCallingTheVisitor) {
  git_.Write("a.txt", "a\n");
  git_.Commit("first");
  Repository repository = Open();
  bool called = false;
  auto visit = [&](std::string_view) {
    called = true;
    return Result<void>{};
  };
  Result<void> missing = repository.VisitBlob(std::string(40, '3'), visit);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message(), "no blob '" + std::string(40, '3') + "' in the repository");
  Result<void> malformed = repository.VisitBlob("a.txt", visit);
  ASSERT_FALSE(malformed.has_value());
  EXPECT_EQ(malformed.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(malformed.error().message(), "'a.txt' is not a full blob id");
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace lockstep::git
