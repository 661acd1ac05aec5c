#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "fixture_util.h"
#include "git/repository.h"
#include "git_fixture.h"
#include "temp_dir.h"

namespace lockstep::git {
namespace {

using lockstep::testing::TreeListing;

using testing::GitFixture;
using testing::ReadText;
using testing::TempDir;

mode_t PermissionsOf(const std::filesystem::path& path) {
  struct stat info {};
  EXPECT_EQ(::lstat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777;
}

class ExportTreeTest : public ::testing::Test {
 protected:
  Repository Open() {
    Result<Repository> repository = Repository::Open(git_.path());
    EXPECT_TRUE(repository.has_value()) << repository.error().message();
    return std::move(*repository);
  }

  ExportSummary Export(const std::string& commit, std::string_view subpath = "") {
    Result<ExportSummary> summary = Open().ExportTree(commit, subpath, destination());
    EXPECT_TRUE(summary.has_value()) << summary.error().message();
    return summary.value_or(ExportSummary{});
  }

  std::filesystem::path destination() const { return out_.path() / "export"; }

  GitFixture git_;
  TempDir out_;
};

TEST_F(ExportTreeTest, WritesFilesWithTheirModesInNestedDirectories) {
  git_.Write("README.md", "hello\n");
  git_.WriteExecutable("scripts/build.sh", "#!/bin/sh\necho built\n");
  git_.Write("src/deep/er/main.cc", "int main() {}\n");
  std::string commit = git_.Commit("first");

  ExportSummary summary = Export(commit);
  EXPECT_EQ(summary.files, 3);
  EXPECT_EQ(summary.symlinks, 0);
  EXPECT_EQ(summary.bytes, 6 + 21 + 14);
  EXPECT_TRUE(summary.submodules.empty());
  EXPECT_EQ(TreeListing(destination()),
            (std::vector<std::string>{"README.md", "scripts/", "scripts/build.sh", "src/",
                                      "src/deep/", "src/deep/er/", "src/deep/er/main.cc"}));
  EXPECT_EQ(ReadText(destination() / "README.md"), "hello\n");
  EXPECT_EQ(ReadText(destination() / "scripts/build.sh"), "#!/bin/sh\necho built\n");
  EXPECT_EQ(ReadText(destination() / "src/deep/er/main.cc"), "int main() {}\n");
  EXPECT_EQ(PermissionsOf(destination() / "README.md"), 0644u);
  EXPECT_EQ(PermissionsOf(destination() / "scripts/build.sh"), 0755u);
  EXPECT_EQ(PermissionsOf(destination() / "src/deep"), 0755u);
}

TEST_F(ExportTreeTest, KeepsSymbolicLinksAsLinksWithTheirTargets) {
  git_.Write("src/main.cc", "int main() {}\n");
  git_.Symlink("current", "src/main.cc");
  git_.Symlink("src/outside", "/etc/passwd");
  std::string commit = git_.Commit("links");

  ExportSummary summary = Export(commit);
  EXPECT_EQ(summary.files, 1);
  EXPECT_EQ(summary.symlinks, 2);
  EXPECT_EQ(summary.bytes, 14);
  EXPECT_TRUE(std::filesystem::is_symlink(destination() / "current"));
  EXPECT_EQ(std::filesystem::read_symlink(destination() / "current"), "src/main.cc");
  EXPECT_TRUE(std::filesystem::is_symlink(destination() / "src/outside"));
  EXPECT_EQ(std::filesystem::read_symlink(destination() / "src/outside"), "/etc/passwd");
}

TEST_F(ExportTreeTest, ExportsOnlyTheSubpath) {
  git_.Write("README.md", "top\n");
  git_.Write("services/api/main.py", "print()\n");
  git_.Write("services/api/lib/util.py", "x = 1\n");
  git_.Write("services/web/index.html", "<p>\n");
  std::string commit = git_.Commit("first");

  ExportSummary summary = Export(commit, "services/api/");
  EXPECT_EQ(summary.files, 2);
  EXPECT_EQ(TreeListing(destination()),
            (std::vector<std::string>{"lib/", "lib/util.py", "main.py"}));
  EXPECT_EQ(ReadText(destination() / "lib/util.py"), "x = 1\n");
}

TEST_F(ExportTreeTest, MissingSubpathIsNotFound) {
  git_.Write("a.txt", "a");
  std::string commit = git_.Commit("first");
  Result<ExportSummary> summary = Open().ExportTree(commit, "services/nope", destination());
  ASSERT_FALSE(summary.has_value());
  EXPECT_EQ(summary.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(summary.error().message(),
            "path 'services/nope' does not exist at commit " + commit.substr(0, 7));
}

TEST_F(ExportTreeTest, SubpathThatIsAFileIsInvalidArgument) {
  git_.Write("a.txt", "a");
  std::string commit = git_.Commit("first");
  Result<ExportSummary> summary = Open().ExportTree(commit, "a.txt", destination());
  ASSERT_FALSE(summary.has_value());
  EXPECT_EQ(summary.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(summary.error().message(),
            "path 'a.txt' at commit " + commit.substr(0, 7) + " is a file, not a directory");
}

TEST_F(ExportTreeTest, CommitMustBeAFullKnownId) {
  git_.Write("a.txt", "a");
  std::string commit = git_.Commit("first");
  Repository repository = Open();
  Result<ExportSummary> short_id = repository.ExportTree(commit.substr(0, 7), "", destination());
  ASSERT_FALSE(short_id.has_value());
  EXPECT_EQ(short_id.error().message(),
            fmt::format("'{}' is not a full commit id", commit.substr(0, 7)));
  std::string unknown(40, 'a');
  Result<ExportSummary> missing = repository.ExportTree(unknown, "", destination());
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message(), fmt::format("unknown commit '{}'", unknown));
}

TEST_F(ExportTreeTest, SubmoduleIsListedAndNotFollowed) {
  git_.Write("a.txt", "a");
  std::string first = git_.Commit("first");
  git_.Git({"update-index", "--add", "--cacheinfo", "160000," + first + ",libs/sub"});
  std::string commit = git_.CommitStaged("add a submodule");

  ExportSummary summary = Export(commit);
  EXPECT_EQ(summary.submodules, std::vector<std::string>{"libs/sub"});
  EXPECT_EQ(summary.files, 1);
  EXPECT_EQ(TreeListing(destination()), (std::vector<std::string>{"a.txt", "libs/", "libs/sub/"}));
}

TEST_F(ExportTreeTest, WritesTheCommittedContentNotTheWorkTree) {
  git_.Write("a.txt", "committed\n");
  std::string commit = git_.Commit("first");
  git_.Write("a.txt", "edited after the commit\n");
  git_.Write("untracked.txt", "new\n");

  Export(commit);
  EXPECT_EQ(TreeListing(destination()), std::vector<std::string>{"a.txt"});
  EXPECT_EQ(ReadText(destination() / "a.txt"), "committed\n");
}

TEST_F(ExportTreeTest, DestinationMustBeAbsentOrEmpty) {
  git_.Write("a.txt", "a");
  std::string commit = git_.Commit("first");
  Repository repository = Open();
  std::filesystem::create_directories(destination());
  EXPECT_TRUE(repository.ExportTree(commit, "", destination()).has_value());
  Result<ExportSummary> again = repository.ExportTree(commit, "", destination());
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(again.error().message(),
            fmt::format("'{}' exists and is not empty", destination().string()));
}

TEST_F(ExportTreeTest, RefusesEntryNamesThatWouldLeaveTheDirectory) {
  // git refuses to make such trees, so they are written as raw objects.
  git_.Write("a.txt", "a");
  git_.Commit("first");
  std::string blob = git_.Git({"rev-parse", "HEAD:a.txt"});
  std::string blob_bytes;
  for (size_t i = 0; i < blob.size(); i += 2) {
    blob_bytes += static_cast<char>(std::stoi(blob.substr(i, 2), nullptr, 16));
  }
  TempDir raw;
  int attempt = 0;
  for (std::string name : {"..", ".", ".git", ".Git", "x/y"}) {
    std::filesystem::path raw_tree = raw.path() / "tree";
    std::ofstream(raw_tree, std::ios::binary) << "100644 " << name << '\0' << blob_bytes;
    std::string tree =
        git_.Git({"hash-object", "-t", "tree", "--literally", "-w", raw_tree.string()});
    std::string commit = git_.Git({"commit-tree", tree, "-m", "bad"});
    std::filesystem::path target = out_.path() / ("export-" + std::to_string(++attempt));
    Result<ExportSummary> summary = Open().ExportTree(commit, "", target);
    ASSERT_FALSE(summary.has_value()) << name;
    EXPECT_EQ(summary.error().code(), ErrorCode::kCorruption) << name;
    EXPECT_EQ(summary.error().message(),
              "refusing tree entry '" + name + "': the name would leave the directory");
    EXPECT_TRUE(TreeListing(target).empty()) << name;
  }
  EXPECT_FALSE(std::filesystem::exists(out_.path() / "a.txt"));
}

}  // namespace
}  // namespace lockstep::git
