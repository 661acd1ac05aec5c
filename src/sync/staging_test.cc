// The all-or-nothing protocol of staging.h: every state an interrupted full copy or
// incremental update can leave is built by hand here, and RecoverInterruptedSync must turn it
// into exactly the old tree or exactly the new one.
#include "sync/staging.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "base/file.h"
#include "fixture_util.h"
#include "sync/hash_tree.h"
#include "sync/verify.h"
#include "temp_dir.h"

namespace lockstep::sync {

// Readable failures; static so a helper of the same name in another test file cannot collide.
static void PrintTo(const ManifestEntry& entry, std::ostream* out) {
  *out << "{" << entry.path << " " << std::oct << entry.mode << std::dec << " " << entry.size << " "
       << entry.sha256.substr(0, 12) << "}";
}

namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::TreeListing;

// One file of a tree to write: content, and whether it is executable or a link (the content
// then being its target).
struct Spec {
  enum Kind { kFile, kExecutable, kLink };
  Kind kind = kFile;
  std::string content;
};
using Tree = std::map<std::string, Spec>;

void WriteTree(const fs::path& root, const Tree& tree) {
  fs::create_directories(root);
  for (const auto& [path, spec] : tree) {
    fs::path target = root / path;
    fs::create_directories(target.parent_path());
    if (spec.kind == Spec::kLink) {
      fs::create_symlink(spec.content, target);
      continue;
    }
    ASSERT_TRUE(WriteFileAtomically(target, spec.content).has_value()) << target;
    fs::permissions(target, fs::perms(spec.kind == Spec::kExecutable ? 0755 : 0644));
  }
}

// The old tree: a bit of everything that an update can change.
const Tree kOld = {
    {"keep.txt", {Spec::kFile, "unchanged\n"}},
    {"edit.txt", {Spec::kFile, "old content\n"}},
    {"gone/deep/x.txt", {Spec::kFile, "the only file of two folders\n"}},
    {"flip", {Spec::kFile, "a file that becomes a folder\n"}},
    {"fold/a.txt", {Spec::kFile, "a folder that becomes a file\n"}},
    {"fold/b.txt", {Spec::kFile, "b\n"}},
    {"link", {Spec::kLink, "keep.txt"}},
    {"tool.sh", {Spec::kFile, "#!/bin/sh\n"}},
    {"sp ace/\xC3\xBC.txt", {Spec::kFile, "utf-8\n"}},
};

// The new tree.
const Tree kNew = {
    {"keep.txt", {Spec::kFile, "unchanged\n"}},
    {"edit.txt", {Spec::kFile, "new content, longer\n"}},
    {"flip/inside.txt", {Spec::kFile, "now inside\n"}},
    {"fold", {Spec::kFile, "now a file\n"}},
    {"link", {Spec::kFile, "a link that became a file\n"}},
    {"tool.sh", {Spec::kExecutable, "#!/bin/sh\n"}},
    {"sp ace/\xC3\xBC.txt", {Spec::kFile, "utf-8\n"}},
    {"added/deep/new.txt", {Spec::kFile, "new\n"}},
    {"added/link", {Spec::kLink, "deep/new.txt"}},
};

class StagingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    old_manifest_ = ManifestFor(kOld, "old", std::string(40, '1'));
    new_manifest_ = ManifestFor(kNew, "new", std::string(40, '2'));
  }

  fs::path dest() const { return dir_.path() / "dest"; }
  fs::path staging() const { return StagingPath(dest()); }

  // A manifest describing `tree` as written (hashed from a copy under `name`).
  Manifest ManifestFor(const Tree& tree, const std::string& name, const std::string& commit) {
    fs::path root = dir_.path() / ("reference-" + name);
    WriteTree(root, tree);
    Manifest manifest;
    manifest.source_repository = "/srv/source";
    manifest.source_path = "app";
    manifest.commit = commit;
    manifest.tree_id = std::string(40, commit[0] == '1' ? 'a' : 'b');
    manifest.time = "2026-12-04T18:43:24Z";
    manifest.actor = "tester";
    manifest.files = HashTree(root, 1).value_or(std::vector<ManifestEntry>{});
    manifest.digest = ManifestDigest(manifest);
    return manifest;
  }

  // A synced folder holding `tree` with `manifest`, as a sync leaves it.
  void WriteSynced(const fs::path& root, const Tree& tree, const Manifest& manifest) {
    WriteTree(root, tree);
    ASSERT_TRUE(WriteFileAtomically(root / kManifestFileName, WriteManifestJson(manifest)));
  }

  // `root` holds exactly `tree` and its `manifest`, and verifies.
  void ExpectExactly(const fs::path& root, const Tree& tree, const Manifest& manifest) {
    TempDir scratch;
    WriteTree(scratch.path() / "t", tree);
    std::vector<std::string> listing = TreeListing(root);
    std::erase(listing, std::string(kManifestFileName));
    EXPECT_EQ(listing, TreeListing(scratch.path() / "t"));
    EXPECT_EQ(HashTree(root, 1).value_or(std::vector<ManifestEntry>{}), manifest.files);
    Result<Manifest> found = ReadManifest(root);
    ASSERT_TRUE(found.has_value()) << found.error().ToString();
    EXPECT_EQ(*found, manifest);
    Result<std::vector<Difference>> differences = VerifyTree(root, 1);
    ASSERT_TRUE(differences.has_value()) << differences.error().ToString();
    EXPECT_TRUE(differences->empty());
  }

  // The paths of the old tree the update removes, and the indexes (in the new manifest) of the
  // files it writes, as Syncer::Incremental works them out.
  std::vector<std::string> Removed() const {
    std::vector<std::string> removed;
    for (const auto& [path, spec] : kOld) {
      if (!kNew.contains(path)) removed.push_back(path);
    }
    return removed;
  }
  std::vector<size_t> Written() const {
    std::vector<size_t> written;
    for (size_t i = 0; i < new_manifest_.files.size(); ++i) {
      const ManifestEntry& entry = new_manifest_.files[i];
      auto old = std::ranges::find(old_manifest_.files, entry.path, &ManifestEntry::path);
      if (old == old_manifest_.files.end() || !(*old == entry)) written.push_back(i);
    }
    return written;
  }

  // STAGING/files/N for every written file, made from a copy of the new tree.
  void StageFiles() {
    fs::path source = dir_.path() / "staged-source";
    fs::remove_all(source);
    WriteTree(source, kNew);
    fs::create_directories(staging() / "files");
    for (size_t index : Written()) {
      fs::rename(source / new_manifest_.files[index].path,
                 staging() / "files" / std::to_string(index));
    }
  }

  void WriteRemoveList() {
    std::string list;
    for (const std::string& path : Removed()) list += path + '\0';
    ASSERT_TRUE(WriteFileAtomically(staging() / "remove", list));
  }

  // The destination back at the old tree, with a committed update waiting in STAGING.
  void PrepareCommittedUpdate() {
    fs::remove_all(dest());
    fs::remove_all(staging());
    WriteSynced(dest(), kOld, old_manifest_);
    StageFiles();
    WriteRemoveList();
    ASSERT_TRUE(WriteFileAtomically(staging() / "manifest.json", WriteManifestJson(new_manifest_)));
  }

  // Every step of rolling the update forward, in the order ApplyUpdate takes them (staged
  // files in `staged_order`); a crash can stop after any of them.
  std::vector<std::function<void()>> ApplySteps(std::vector<size_t> staged_order) {
    std::vector<std::function<void()>> steps;
    for (const std::string& path : Removed()) {
      steps.push_back([this, path] { fs::remove(dest() / path); });
    }
    for (std::string folder : {"gone/deep", "gone", "fold"}) {
      steps.push_back([this, folder] { fs::remove(dest() / folder); });
    }
    for (size_t index : staged_order) {
      steps.push_back([this, index] {
        fs::path target = dest() / new_manifest_.files[index].path;
        fs::create_directories(target.parent_path());
        fs::rename(staging() / "files" / std::to_string(index), target);
      });
    }
    steps.push_back(
        [this] { fs::rename(staging() / "manifest.json", dest() / kManifestFileName); });
    steps.push_back([this] { fs::remove_all(staging()); });
    return steps;
  }

  void CheckEveryInterruptionRollsForward(std::vector<size_t> staged_order) {
    size_t count = ApplySteps(staged_order).size();
    for (size_t done = 0; done <= count; ++done) {
      SCOPED_TRACE("interrupted after " + std::to_string(done) + " of " + std::to_string(count) +
                   " steps");
      PrepareCommittedUpdate();
      std::vector<std::function<void()>> steps = ApplySteps(staged_order);
      for (size_t k = 0; k < done; ++k) steps[k]();
      bool committed_manifest_waiting = fs::exists(staging() / "manifest.json");
      Result<bool> recovered = RecoverInterruptedSync(dest());
      ASSERT_TRUE(recovered.has_value()) << recovered.error().ToString();
      EXPECT_EQ(*recovered, committed_manifest_waiting);
      ExpectExactly(dest(), kNew, new_manifest_);
      EXPECT_FALSE(fs::exists(staging()));
    }
  }

  TempDir dir_;
  Manifest old_manifest_;
  Manifest new_manifest_;
};

TEST(StagingPathTest, IsAHiddenSiblingOfTheDestination) {
  EXPECT_EQ(StagingPath("/srv/target/vendor/app"), "/srv/target/vendor/.app.lockstep-sync");
  EXPECT_EQ(StagingPath("/srv/target/vendor/app/"), "/srv/target/vendor/.app.lockstep-sync");
  EXPECT_EQ(StagingPath("/srv/target/./vendor/../app"), "/srv/target/.app.lockstep-sync");
}

TEST_F(StagingTest, NothingToRecoverWithoutAStagingFolder) {
  WriteSynced(dest(), kOld, old_manifest_);
  Result<bool> recovered = RecoverInterruptedSync(dest());
  ASSERT_TRUE(recovered.has_value());
  EXPECT_FALSE(*recovered);
  ExpectExactly(dest(), kOld, old_manifest_);
  // Nor for a destination that does not exist yet.
  Result<bool> absent = RecoverInterruptedSync(dir_.path() / "absent");
  ASSERT_TRUE(absent.has_value());
  EXPECT_FALSE(*absent);
}

TEST_F(StagingTest, CommitUpdateAppliesTheUpdateAndLeavesUnchangedFilesAlone) {
  PrepareCommittedUpdate();
  fs::remove_all(staging() / "manifest.json");
  fs::remove_all(staging() / "remove");
  struct stat before {};
  ASSERT_EQ(::lstat((dest() / "keep.txt").c_str(), &before), 0);
  ASSERT_TRUE(MakeDurable({staging() / "files" / std::to_string(Written().front())}));

  Result<void> committed =
      CommitUpdate(dest(), new_manifest_, WriteManifestJson(new_manifest_), Removed());
  ASSERT_TRUE(committed.has_value()) << committed.error().ToString();
  ExpectExactly(dest(), kNew, new_manifest_);
  EXPECT_FALSE(fs::exists(staging()));
  struct stat after {};
  ASSERT_EQ(::lstat((dest() / "keep.txt").c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
}

TEST_F(StagingTest, AnUpdateInterruptedBeforeItsCommitIsDiscarded) {
  // Files staged, the remove list written, the manifest half-written: not committed.
  WriteSynced(dest(), kOld, old_manifest_);
  std::vector<std::string> before = TreeListing(dest());
  StageFiles();
  WriteRemoveList();
  std::string text = WriteManifestJson(new_manifest_);
  dir_.Write(fs::relative(staging() / "manifest.json.tmp", dir_.path()).string(),
             text.substr(0, text.size() / 2));

  Result<bool> recovered = RecoverInterruptedSync(dest());
  ASSERT_TRUE(recovered.has_value()) << recovered.error().ToString();
  EXPECT_FALSE(*recovered);
  EXPECT_FALSE(fs::exists(staging()));
  EXPECT_EQ(TreeListing(dest()), before);
  ExpectExactly(dest(), kOld, old_manifest_);
}

TEST_F(StagingTest, ACommittedUpdateInterruptedAtAnyStepIsRolledForward) {
  std::vector<size_t> order = Written();
  CheckEveryInterruptionRollsForward(order);
}

TEST_F(StagingTest, ACommittedUpdateIsRolledForwardWhateverOrderItsFilesWentIn) {
  // The staged files are renamed in directory-listing order, which is the file system's.
  std::vector<size_t> order = Written();
  std::ranges::reverse(order);
  CheckEveryInterruptionRollsForward(order);
}

TEST_F(StagingTest, AnUpdateThatCannotFinishStaysCommittedUntilItCan) {
  // Something that is in no manifest blocks a step: the folder "fold" cannot be replaced by
  // a file while someone's file is in it.
  PrepareCommittedUpdate();
  fs::remove(staging() / "manifest.json");
  dir_.Write("dest/fold/someone's.txt", "in the way\n");
  Result<void> committed =
      CommitUpdate(dest(), new_manifest_, WriteManifestJson(new_manifest_), Removed());
  ASSERT_FALSE(committed.has_value());
  EXPECT_TRUE(fs::exists(staging() / "manifest.json"));

  Result<bool> blocked = RecoverInterruptedSync(dest());
  ASSERT_FALSE(blocked.has_value());
  EXPECT_EQ(blocked.error().message().substr(0, 40 + dest().string().size()),
            "cannot finish the interrupted sync into " + dest().string());
  EXPECT_TRUE(fs::exists(staging() / "manifest.json"));

  fs::remove(dest() / "fold/someone's.txt");
  Result<bool> recovered = RecoverInterruptedSync(dest());
  ASSERT_TRUE(recovered.has_value()) << recovered.error().ToString();
  EXPECT_TRUE(*recovered);
  ExpectExactly(dest(), kNew, new_manifest_);
  EXPECT_FALSE(fs::exists(staging()));
}

TEST_F(StagingTest, AFullCopyInterruptedBeforeTheSwapLeavesTheOldTree) {
  WriteSynced(dest(), kOld, old_manifest_);
  std::vector<std::string> before = TreeListing(dest());
  // Half of the new tree written, and the manifest not yet in place.
  Tree half(kNew.begin(), std::next(kNew.begin(), 4));
  WriteTree(staging() / "tree", half);
  dir_.Write(fs::relative(staging() / "tree" / ".lockstep-sync.json.tmp", dir_.path()).string(),
             "{");

  Result<bool> recovered = RecoverInterruptedSync(dest());
  ASSERT_TRUE(recovered.has_value()) << recovered.error().ToString();
  EXPECT_FALSE(*recovered);
  EXPECT_FALSE(fs::exists(staging()));
  EXPECT_EQ(TreeListing(dest()), before);
  ExpectExactly(dest(), kOld, old_manifest_);
}

TEST_F(StagingTest, AFullCopyInterruptedAfterTheSwapKeepsTheNewTree) {
  // After the exchange STAGING/tree holds the old tree, which was being removed.
  WriteSynced(dest(), kNew, new_manifest_);
  WriteSynced(staging() / "tree", kOld, old_manifest_);
  fs::remove_all(staging() / "tree" / "gone");

  Result<bool> recovered = RecoverInterruptedSync(dest());
  ASSERT_TRUE(recovered.has_value()) << recovered.error().ToString();
  EXPECT_FALSE(*recovered);
  EXPECT_FALSE(fs::exists(staging()));
  ExpectExactly(dest(), kNew, new_manifest_);
}

TEST_F(StagingTest, AFullCopyInterruptedBetweenTheFallbacksTwoRenamesGetsTheOldTreeBack) {
  // Without RENAME_EXCHANGE the old tree is moved aside first; a crash then leaves no
  // destination at all.
  WriteSynced(staging() / "old", kOld, old_manifest_);
  WriteSynced(staging() / "tree", kNew, new_manifest_);
  ASSERT_FALSE(fs::exists(dest()));

  Result<bool> recovered = RecoverInterruptedSync(dest());
  ASSERT_TRUE(recovered.has_value()) << recovered.error().ToString();
  EXPECT_FALSE(*recovered);
  EXPECT_FALSE(fs::exists(staging()));
  ExpectExactly(dest(), kOld, old_manifest_);
}

TEST_F(StagingTest, SwapInTreeReplacesTheDestinationWhole) {
  WriteSynced(dest(), kOld, old_manifest_);
  WriteSynced(staging() / "tree", kNew, new_manifest_);
  ASSERT_TRUE(SwapInTree(dest()));
  EXPECT_FALSE(fs::exists(staging()));
  ExpectExactly(dest(), kNew, new_manifest_);

  // Into a destination that does not exist yet.
  fs::path fresh = dir_.path() / "fresh";
  WriteSynced(StagingPath(fresh) / "tree", kOld, old_manifest_);
  ASSERT_TRUE(SwapInTree(fresh));
  EXPECT_FALSE(fs::exists(StagingPath(fresh)));
  ExpectExactly(fresh, kOld, old_manifest_);
}

TEST_F(StagingTest, RecoveryDoesNotFollowLinksOutOfTheDestination) {
  // A committed update whose folder "added" was replaced by a link to a folder outside: the
  // roll-forward must not write through it.
  PrepareCommittedUpdate();
  fs::create_directories(dir_.path() / "outside");
  fs::create_directory_symlink(dir_.path() / "outside", dest() / "added");
  Result<bool> recovered = RecoverInterruptedSync(dest());
  ASSERT_FALSE(recovered.has_value());
  EXPECT_NE(recovered.error().message().find((dest() / "added").string() + ": "), std::string::npos)
      << recovered.error().message();
  EXPECT_EQ(TreeListing(dir_.path() / "outside"), std::vector<std::string>{});
}

TEST(WriteFileAtomicallyTest, ReplacesTheWholeFileAndLeavesNoTemporary) {
  TempDir dir;
  fs::path path = dir.path() / "f.json";
  ASSERT_TRUE(WriteFileAtomically(path, "first, longer\n"));
  ASSERT_TRUE(WriteFileAtomically(path, "second\n"));
  EXPECT_EQ(ReadFile(path).value_or(""), "second\n");
  EXPECT_EQ(TreeListing(dir.path()), std::vector<std::string>{"f.json"});
}

TEST(MakeDurableTest, FlushesFewOrManyFilesAndNamesAMissingOne) {
  TempDir dir;
  std::vector<fs::path> paths;
  for (int i = 0; i < 40; ++i) {
    dir.Write("f" + std::to_string(i), "x");
    paths.push_back(dir.path() / ("f" + std::to_string(i)));
  }
  fs::create_symlink("f0", dir.path() / "link");
  EXPECT_TRUE(MakeDurable({}));
  EXPECT_TRUE(MakeDurable({paths[0], paths[1], dir.path() / "link"}));
  EXPECT_TRUE(MakeDurable(paths));
  Result<void> missing = MakeDurable({dir.path() / "missing"});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message(),
            (dir.path() / "missing").string() + ": No such file or directory");
}

TEST(SyncLockTest, HoldsAnExclusiveLockOnTheParentFolderWhileAlive) {
  TempDir dir;
  fs::path destination = dir.path() / "dest";
  // Probes the lock the way another process would: a separate open file description.
  auto locked_by_someone = [&] {
    int fd = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    EXPECT_GE(fd, 0);
    bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd);
    return held;
  };
  EXPECT_FALSE(locked_by_someone());
  {
    Result<SyncLock> lock = SyncLock::Acquire(destination);
    ASSERT_TRUE(lock.has_value()) << lock.error().ToString();
    EXPECT_TRUE(locked_by_someone());
    SyncLock moved = std::move(*lock);
    EXPECT_TRUE(locked_by_someone());
  }
  EXPECT_FALSE(locked_by_someone());

  Result<SyncLock> missing = SyncLock::Acquire(dir.path() / "no" / "parent");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace lockstep::sync
