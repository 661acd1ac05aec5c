#include "engine/source_snapshot.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <optional>

#include "fixture_util.h"
#include "git_fixture.h"
#include "temp_dir.h"

namespace lockstep::engine {
namespace {

using testing::GitFixture;
using testing::ReadText;
using testing::TempDir;
using testing::TreeListing;

struct stat StatOf(const std::filesystem::path& path) {
  struct stat info {};
  EXPECT_EQ(::lstat(path.c_str(), &info), 0) << path;
  return info;
}

mode_t PermissionsOf(const std::filesystem::path& path) { return StatOf(path).st_mode & 07777; }

// Makes every directory under `root` writable again, so that a user other than root can
// delete a snapshot.
void MakeWritable(const std::filesystem::path& root) {
  std::error_code ignored;
  if (!std::filesystem::is_directory(root, ignored)) return;
  ::chmod(root.c_str(), 0755);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root, ignored)) {
    if (entry.is_directory() && !entry.is_symlink()) ::chmod(entry.path().c_str(), 0755);
  }
}

void AppendInPlace(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

const std::vector<std::string> kSnapshotListing = {"README.md",        "current",    "scripts/",
                                                   "scripts/build.sh", "src/",       "src/lib/",
                                                   "src/lib/util.h",   "src/main.cc"};

class SourceSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    git_.Write("README.md", "readme\n");
    git_.Write("src/main.cc", "int main() {}\n");
    git_.Write("src/lib/util.h", "#pragma once\n");
    git_.WriteExecutable("scripts/build.sh", "#!/bin/sh\n");
    git_.Symlink("current", "src/main.cc");
    commit_ = git_.Commit("first");
    Result<git::Repository> repository = git::Repository::Open(git_.path());
    ASSERT_TRUE(repository.has_value()) << repository.error().message();
    repository_ = std::make_unique<git::Repository>(std::move(*repository));
  }

  void TearDown() override { MakeWritable(snapshot_path()); }

  SourceSnapshot Create() {
    Result<SourceSnapshot> snapshot =
        SourceSnapshot::Create(*repository_, commit_, snapshot_path());
    EXPECT_TRUE(snapshot.has_value()) << snapshot.error().message();
    return std::move(*snapshot);
  }

  std::filesystem::path Copy(const SourceSnapshot& snapshot, const std::string& name) {
    std::filesystem::path destination = work_.path() / name;
    Result<void> linked = snapshot.LinkInto(destination);
    EXPECT_TRUE(linked.has_value()) << linked.error().message();
    return destination;
  }

  static std::vector<std::string> Modified(const SourceSnapshot& snapshot) {
    Result<std::vector<std::string>> modified = snapshot.FindModified();
    EXPECT_TRUE(modified.has_value()) << modified.error().message();
    return modified.value_or(std::vector<std::string>{"<error>"});
  }

  std::filesystem::path snapshot_path() const { return work_.path() / "snapshot"; }

  GitFixture git_;
  std::string commit_;
  std::unique_ptr<git::Repository> repository_;
  TempDir work_;
};

TEST_F(SourceSnapshotTest, CreateExportsAndMakesEverythingReadOnly) {
  SourceSnapshot snapshot = Create();
  EXPECT_EQ(snapshot.directory(), snapshot_path());
  EXPECT_EQ(snapshot.file_count(), 4);
  EXPECT_EQ(TreeListing(snapshot_path()), kSnapshotListing);
  EXPECT_EQ(PermissionsOf(snapshot_path() / "README.md"), 0444u);
  EXPECT_EQ(PermissionsOf(snapshot_path() / "scripts/build.sh"), 0555u);
  EXPECT_EQ(PermissionsOf(snapshot_path() / "src/lib"), 0555u);
  EXPECT_EQ(PermissionsOf(snapshot_path()), 0555u);
  EXPECT_EQ(Modified(snapshot), std::vector<std::string>{});
}

TEST_F(SourceSnapshotTest, CreateRefusesAnExistingDirectory) {
  std::filesystem::create_directories(snapshot_path());
  Result<SourceSnapshot> snapshot = SourceSnapshot::Create(*repository_, commit_, snapshot_path());
  ASSERT_FALSE(snapshot.has_value());
  EXPECT_EQ(snapshot.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(snapshot.error().message(),
            "snapshot directory '" + snapshot_path().string() + "' exists already");
}

TEST_F(SourceSnapshotTest, LinkIntoGivesTheSameTreeMadeOfHardLinks) {
  SourceSnapshot snapshot = Create();
  std::filesystem::path copy = Copy(snapshot, "copy");
  EXPECT_EQ(TreeListing(copy), kSnapshotListing);
  EXPECT_EQ(ReadText(copy / "src/main.cc"), "int main() {}\n");
  EXPECT_EQ(ReadText(copy / "scripts/build.sh"), "#!/bin/sh\n");
  EXPECT_EQ(std::filesystem::read_symlink(copy / "current"), "src/main.cc");
  EXPECT_EQ(PermissionsOf(copy / "scripts/build.sh"), 0555u);
  for (const char* file : {"README.md", "src/main.cc", "src/lib/util.h", "scripts/build.sh"}) {
    EXPECT_EQ(StatOf(copy / file).st_ino, StatOf(snapshot_path() / file).st_ino) << file;
    EXPECT_EQ(StatOf(copy / file).st_nlink, 2u) << file;
  }
  // The copy's directories are its own, and writable.
  EXPECT_NE(StatOf(copy / "src").st_ino, StatOf(snapshot_path() / "src").st_ino);
  EXPECT_EQ(PermissionsOf(copy / "src/lib"), 0755u);
}

TEST_F(SourceSnapshotTest, LinkIntoRefusesAnExistingDestination) {
  SourceSnapshot snapshot = Create();
  std::filesystem::create_directories(work_.path() / "copy");
  Result<void> linked = snapshot.LinkInto(work_.path() / "copy");
  ASSERT_FALSE(linked.has_value());
  EXPECT_EQ(linked.error().code(), ErrorCode::kAlreadyExists);
}

TEST_F(SourceSnapshotTest, ChangesToTheTreeOfACopyStayInThatCopy) {
  SourceSnapshot snapshot = Create();
  std::filesystem::path a = Copy(snapshot, "a");
  std::filesystem::path b = Copy(snapshot, "b");
  std::ofstream(a / "src/new.cc") << "new\n";
  std::filesystem::remove(a / "README.md");
  std::filesystem::rename(a / "src/lib/util.h", a / "src/util.h");
  std::filesystem::create_directories(a / "build/out");
  std::filesystem::remove(a / "current");

  EXPECT_EQ(TreeListing(a), (std::vector<std::string>{"build/", "build/out/", "scripts/",
                                                      "scripts/build.sh", "src/", "src/lib/",
                                                      "src/main.cc", "src/new.cc", "src/util.h"}));
  EXPECT_EQ(TreeListing(snapshot_path()), kSnapshotListing);
  EXPECT_EQ(TreeListing(b), kSnapshotListing);
  EXPECT_EQ(ReadText(b / "src/lib/util.h"), "#pragma once\n");
  EXPECT_EQ(Modified(snapshot), std::vector<std::string>{});
}

TEST_F(SourceSnapshotTest, RewriteByRenameLeavesTheSnapshotIntact) {
  SourceSnapshot snapshot = Create();
  std::filesystem::path copy = Copy(snapshot, "copy");
  // What sed -i does: write a new file beside the old one, rename it over.
  std::ofstream(copy / "src/sedXYZ") << "int main() { return 1; }\n";
  std::filesystem::rename(copy / "src/sedXYZ", copy / "src/main.cc");

  EXPECT_EQ(ReadText(copy / "src/main.cc"), "int main() { return 1; }\n");
  EXPECT_EQ(ReadText(snapshot_path() / "src/main.cc"), "int main() {}\n");
  EXPECT_EQ(Modified(snapshot), std::vector<std::string>{});
}

TEST_F(SourceSnapshotTest, InPlaceWriteIsFoundAndRestoredFromGit) {
  SourceSnapshot snapshot = Create();
  std::filesystem::path damaged = Copy(snapshot, "damaged");
  // chmod first, so the write succeeds whatever the user (and reaches the shared inode).
  ASSERT_EQ(::chmod((damaged / "src/main.cc").c_str(), 0644), 0);
  AppendInPlace(damaged / "src/main.cc", "// appended\n");
  EXPECT_EQ(ReadText(snapshot_path() / "src/main.cc"), "int main() {}\n// appended\n");
  EXPECT_EQ(Modified(snapshot), std::vector<std::string>{"src/main.cc"});

  Result<void> restored = snapshot.Restore(*repository_, {"src/main.cc"});
  ASSERT_TRUE(restored.has_value()) << restored.error().message();
  EXPECT_EQ(Modified(snapshot), std::vector<std::string>{});
  EXPECT_EQ(ReadText(snapshot_path() / "src/main.cc"), "int main() {}\n");
  EXPECT_EQ(PermissionsOf(snapshot_path() / "src/main.cc"), 0444u);
  EXPECT_EQ(PermissionsOf(snapshot_path() / "src"), 0555u);
  EXPECT_EQ(TreeListing(snapshot_path()), kSnapshotListing);  // no temporary file left behind
  std::filesystem::path clean = Copy(snapshot, "clean");
  EXPECT_EQ(ReadText(clean / "src/main.cc"), "int main() {}\n");
  // The copy made before keeps the damaged inode; it is not the snapshot's any more.
  EXPECT_EQ(ReadText(damaged / "src/main.cc"), "int main() {}\n// appended\n");
}

TEST_F(SourceSnapshotTest, ChmodInACopyIsFoundAsItLeaksIntoOtherCopies) {
  SourceSnapshot snapshot = Create();
  std::filesystem::path copy = Copy(snapshot, "copy");
  ASSERT_EQ(::chmod((copy / "README.md").c_str(), 0555), 0);
  EXPECT_EQ(Modified(snapshot), std::vector<std::string>{"README.md"});
  ASSERT_TRUE(snapshot.Restore(*repository_, {"README.md"}).has_value());
  EXPECT_EQ(PermissionsOf(snapshot_path() / "README.md"), 0444u);
  EXPECT_EQ(Modified(snapshot), std::vector<std::string>{});
}

TEST_F(SourceSnapshotTest, FileDeletedFromTheSnapshotIsFoundAndRestored) {
  SourceSnapshot snapshot = Create();
  ASSERT_EQ(::chmod((snapshot_path() / "scripts").c_str(), 0755), 0);
  std::filesystem::remove(snapshot_path() / "scripts/build.sh");
  ASSERT_EQ(::chmod((snapshot_path() / "scripts").c_str(), 0555), 0);
  EXPECT_EQ(Modified(snapshot), std::vector<std::string>{"scripts/build.sh"});
  ASSERT_TRUE(snapshot.Restore(*repository_, {"scripts/build.sh"}).has_value());
  EXPECT_EQ(ReadText(snapshot_path() / "scripts/build.sh"), "#!/bin/sh\n");
  EXPECT_EQ(PermissionsOf(snapshot_path() / "scripts/build.sh"), 0555u);
  EXPECT_EQ(Modified(snapshot), std::vector<std::string>{});
}

TEST_F(SourceSnapshotTest, RestoreRefusesAPathThatIsNotASnapshotFile) {
  SourceSnapshot snapshot = Create();
  for (const char* path : {"src", "current", "../outside", "nope.txt"}) {
    Result<void> restored = snapshot.Restore(*repository_, {path});
    ASSERT_FALSE(restored.has_value()) << path;
    EXPECT_EQ(restored.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(restored.error().message(), fmt::format("'{}' is not a file of the snapshot", path));
  }
}

TEST_F(SourceSnapshotTest, LinkIntoCopiesAcrossFileSystems) {
  // /dev/shm is a tmpfs on most Linux machines, so linking into it fails with EXDEV.
  char pattern[] = "/dev/shm/lockstep-test-XXXXXX";
  if (!std::filesystem::is_directory("/dev/shm") || ::mkdtemp(pattern) == nullptr) {
    GTEST_SKIP() << "no /dev/shm";
  }
  std::filesystem::path other = pattern;
  SourceSnapshot snapshot = Create();
  if (StatOf(other).st_dev == StatOf(snapshot_path()).st_dev) {
    std::filesystem::remove_all(other);
    GTEST_SKIP() << "/dev/shm is on the same file system as " << work_.path();
  }
  Result<void> linked = snapshot.LinkInto(other / "copy");
  ASSERT_TRUE(linked.has_value()) << linked.error().message();
  EXPECT_EQ(TreeListing(other / "copy"), kSnapshotListing);
  EXPECT_EQ(ReadText(other / "copy/src/main.cc"), "int main() {}\n");
  EXPECT_EQ(PermissionsOf(other / "copy/scripts/build.sh"), 0555u);
  EXPECT_EQ(StatOf(other / "copy/src/main.cc").st_nlink, 1u);
  EXPECT_EQ(Modified(snapshot), std::vector<std::string>{});
  std::filesystem::remove_all(other);
}

TEST_F(SourceSnapshotTest, RefreshUndoesWhatAnActionDidToItsCopy) {
  SourceSnapshot snapshot = Create();
  std::filesystem::path copy = Copy(snapshot, "copy");
  // What an action may do: add, delete, rename over, replace a folder with a file, add a
  // folder, repoint a link.
  std::ofstream(copy / "build.log") << "log\n";
  std::filesystem::remove(copy / "src/main.cc");
  std::ofstream(copy / "README.tmp") << "new readme\n";
  std::filesystem::rename(copy / "README.tmp", copy / "README.md");
  std::filesystem::remove_all(copy / "scripts");
  std::ofstream(copy / "scripts") << "not a folder\n";
  std::filesystem::create_directories(copy / "out/obj");
  std::filesystem::remove(copy / "current");
  std::filesystem::create_symlink("README.md", copy / "current");

  ASSERT_TRUE(snapshot.Refresh(copy).has_value());
  EXPECT_EQ(TreeListing(copy), kSnapshotListing);
  for (const char* file : {"README.md", "src/main.cc", "src/lib/util.h", "scripts/build.sh"}) {
    EXPECT_EQ(StatOf(copy / file).st_ino, StatOf(snapshot_path() / file).st_ino) << file;
  }
  EXPECT_EQ(std::filesystem::read_symlink(copy / "current"), "src/main.cc");
  EXPECT_EQ(Modified(snapshot), std::vector<std::string>{});
}

TEST_F(SourceSnapshotTest, RefreshRelinksAFileRestoredAfterDamage) {
  SourceSnapshot snapshot = Create();
  std::filesystem::path copy = Copy(snapshot, "copy");
  ASSERT_EQ(::chmod((copy / "README.md").c_str(), 0644), 0);
  AppendInPlace(copy / "README.md", "damage\n");
  ASSERT_EQ(Modified(snapshot), std::vector<std::string>{"README.md"});
  ASSERT_TRUE(snapshot.Restore(*repository_, {"README.md"}).has_value());
  ASSERT_TRUE(snapshot.Refresh(copy).has_value());
  EXPECT_EQ(StatOf(copy / "README.md").st_ino, StatOf(snapshot_path() / "README.md").st_ino);
  EXPECT_EQ(ReadText(copy / "README.md"), "readme\n");
}

}  // namespace
}  // namespace lockstep::engine
