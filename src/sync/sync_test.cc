// SyncTree on real repositories and real folders: what a sync writes, what it leaves alone,
// and what it refuses without changing anything.
#include "sync/sync.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "base/file.h"
#include "base/sha256.h"
#include "fixture_util.h"
#include "git/repository.h"
#include "git_fixture.h"
#include "sync/hash_tree.h"
#include "sync/staging.h"
#include "sync/sync_commit.h"
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
using testing::GitFixture;
using testing::ReadText;
using testing::TempDir;
using testing::TreeListing;

// Identity and last change of a file as the file system sees them: a file that was not
// rewritten keeps both.
struct Stamp {
  ino_t inode = 0;
  int64_t mtime_ns = 0;
  bool operator==(const Stamp&) const = default;
};

Stamp StampOf(const fs::path& path) {
  struct stat info {};
  EXPECT_EQ(::lstat(path.c_str(), &info), 0) << path;
  return {info.st_ino, int64_t{info.st_mtim.tv_sec} * 1000000000 + info.st_mtim.tv_nsec};
}

// The stamp of every file and link under `root` (the manifest included), by relative path.
std::map<std::string, Stamp> Stamps(const fs::path& root) {
  std::map<std::string, Stamp> stamps;
  for (const std::string& path : TreeListing(root)) {
    if (!path.ends_with("/")) stamps[path] = StampOf(root / path);
  }
  return stamps;
}

// Everything a refused sync must leave as it was: whether the folder exists, its listing,
// each file's bytes and mode, and each file's identity.
struct Snapshot {
  bool exists = false;
  std::vector<std::string> listing;
  std::vector<ManifestEntry> hashes;
  std::map<std::string, Stamp> stamps;
  std::string manifest;
  bool operator==(const Snapshot&) const = default;
};

Snapshot Take(const fs::path& root) {
  Snapshot snapshot;
  std::error_code error;
  snapshot.exists = fs::exists(fs::symlink_status(root, error));
  if (!snapshot.exists || !fs::is_directory(fs::symlink_status(root, error))) return snapshot;
  snapshot.listing = TreeListing(root);
  snapshot.hashes = HashTree(root, 2).value_or(std::vector<ManifestEntry>{});
  snapshot.stamps = Stamps(root);
  snapshot.manifest = ReadFile(root / kManifestFileName).value_or("");
  return snapshot;
}

std::string Outcome(const Result<SyncReport>& result) {
  if (result) return "ok";
  return std::string(ErrorCodeName(result.error().code())) + ": " + result.error().ToString();
}

class SyncTreeTest : public ::testing::Test {
 protected:
  fs::path dest() const { return out_.path() / "dest"; }

  SyncRequest Request(const std::string& path, const std::string& revision = "HEAD",
                      fs::path destination = {}) {
    SyncRequest request;
    request.source.repository = source_.path().string();
    request.source.path = path;
    request.source.revision = revision;
    request.destination = destination.empty() ? dest() : destination;
    request.actor = "tester";
    request.threads = 3;
    request.mirrors_dir = out_.path() / "mirrors";
    return request;
  }

  // Syncs and expects success.
  SyncReport Sync(const SyncRequest& request) {
    Result<SyncReport> report = SyncTree(request);
    EXPECT_TRUE(report.has_value()) << report.error().ToString();
    return report.value_or(SyncReport{});
  }
  SyncReport Sync(const std::string& path, const std::string& revision = "HEAD") {
    return Sync(Request(path, revision));
  }

  // `destination` holds exactly the subtree `subpath` of `commit`: the same folders (no
  // others, empty ones included), files, modes, links and bytes as a checkout, plus a
  // manifest that names the commit, describes those files and verifies; no staging left.
  void ExpectHolds(const std::string& commit, const std::string& subpath, fs::path destination = {},
                   GitFixture* repository = nullptr) {
    if (destination.empty()) destination = dest();
    GitFixture& git = repository != nullptr ? *repository : source_;
    TempDir expected_dir;
    fs::path expected = expected_dir.path() / "tree";
    {
      Result<git::Repository> opened = git::Repository::Open(git.path());
      ASSERT_TRUE(opened.has_value());
      Result<git::ExportSummary> exported = opened->ExportTree(commit, subpath, expected);
      ASSERT_TRUE(exported.has_value()) << exported.error().ToString();
    }
    std::vector<std::string> listing = TreeListing(destination);
    std::erase(listing, std::string(kManifestFileName));
    EXPECT_EQ(listing, TreeListing(expected));
    Result<std::vector<ManifestEntry>> want = HashTree(expected, 2);
    ASSERT_TRUE(want.has_value());
    EXPECT_EQ(HashTree(destination, 2).value_or(std::vector<ManifestEntry>{}), *want);
    Result<Manifest> manifest = ReadManifest(destination);
    ASSERT_TRUE(manifest.has_value()) << manifest.error().ToString();
    EXPECT_EQ(manifest->commit, commit);
    EXPECT_EQ(manifest->source_path, subpath);
    EXPECT_EQ(manifest->tree_id, subpath.empty() ? git.Git({"rev-parse", commit + "^{tree}"})
                                                 : git.Git({"rev-parse", commit + ":" + subpath}));
    EXPECT_EQ(manifest->files, *want);
    Result<std::vector<Difference>> differences = VerifyTree(destination, 2);
    ASSERT_TRUE(differences.has_value()) << differences.error().ToString();
    EXPECT_TRUE(differences->empty()) << differences->size() << " differences";
    EXPECT_FALSE(fs::exists(StagingPath(destination)));
  }

  // A refused sync: the error, and nothing changed at `destination` or beside it (no staging
  // folder left, no folder created).
  std::string Refused(const SyncRequest& request) {
    fs::path destination = fs::absolute(request.destination).lexically_normal();
    if (!destination.has_filename()) destination = destination.parent_path();
    Snapshot before = Take(destination);
    std::vector<std::string> beside = Names(destination.parent_path());
    Result<SyncReport> report = SyncTree(request);
    EXPECT_FALSE(report.has_value());
    EXPECT_EQ(Take(destination), before) << "the refused sync changed " << destination;
    EXPECT_EQ(Names(destination.parent_path()), beside);
    return Outcome(report);
  }

  // The names directly in `folder`, sorted; none when it does not exist.
  static std::vector<std::string> Names(const fs::path& folder) {
    std::vector<std::string> names;
    std::error_code error;
    for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
      names.push_back(it->path().filename().string());
    }
    std::ranges::sort(names);
    return names;
  }

  GitFixture source_;
  TempDir out_;
};

TEST(SyncSourceTest, TakesRepositoryPathAndRevisionApart) {
  auto parse = [](std::string_view text) {
    Result<SyncSource> source = ParseSyncSource(text);
    if (!source) return "error: " + source.error().message();
    return source->repository + " | " + source->path + " | " + source->revision;
  };
  EXPECT_EQ(parse("/srv/api:src"), "/srv/api | src | HEAD");
  EXPECT_EQ(parse("/srv/api:"), "/srv/api |  | HEAD");
  EXPECT_EQ(parse("../api:src/lib@main"), "../api | src/lib | main");
  EXPECT_EQ(parse("api:@v1.2"), "api |  | v1.2");
  EXPECT_EQ(parse("api:src@main~2"), "api | src | main~2");
  EXPECT_EQ(parse("api:src@HEAD@{1}"), "api | src | HEAD@{1}");
  EXPECT_EQ(parse("file:///srv/api:src@feature/x"), "file:///srv/api | src | feature/x");
  EXPECT_EQ(parse("file:///srv/a:b/repo:dir with space/\xC3\xA9"),
            "file:///srv/a:b/repo | dir with space/\xC3\xA9 | HEAD");
  EXPECT_EQ(parse("/srv/api"),
            "error: '/srv/api' is not REPOSITORY:PATH[@REVISION] (use REPOSITORY: for the whole "
            "tree)");
  EXPECT_EQ(parse("file:///srv/api"),
            "error: 'file:///srv/api' is not REPOSITORY:PATH[@REVISION] (use REPOSITORY: for the "
            "whole tree)");
  EXPECT_EQ(parse(":src"),
            "error: ':src' is not REPOSITORY:PATH[@REVISION] (use REPOSITORY: for the whole "
            "tree)");
  EXPECT_EQ(parse("api:src@"), "error: 'api:src@' has an empty revision after '@'");
}

TEST(SyncSourceTest, KindNames) {
  EXPECT_EQ(SyncKindName(SyncReport::Kind::kFull), "full");
  EXPECT_EQ(SyncKindName(SyncReport::Kind::kIncremental), "incremental");
  EXPECT_EQ(SyncKindName(SyncReport::Kind::kUpToDate), "up to date");
}

TEST_F(SyncTreeTest, FirstSyncCopiesTheSubtreeWithModesLinksAndAManifest) {
  std::string binary;
  for (int i = 0; i < 3 * 256; ++i) binary += static_cast<char>((i * 7) % 256);
  source_.Write("lib/data.bin", binary);
  source_.WriteExecutable("lib/bin/tool", "#!/bin/sh\necho tool\n");
  source_.Write("lib/src/main.cc", "int main() {}\n");
  source_.Symlink("lib/current", "src/main.cc");
  source_.Symlink("lib/src/up", "../bin");
  source_.Symlink("lib/self", ".");
  source_.Write("lib/with space/\xC3\xBCnicode \xE2\x9C\x93.txt", "utf-8\n");
  source_.Write("lib/empty", "");
  source_.Write("outside.txt", "not synced\n");
  std::string commit = source_.Commit("first");

  SyncReport report = Sync("lib");
  EXPECT_EQ(report.kind, SyncReport::Kind::kFull);
  EXPECT_EQ(report.added, 8);
  EXPECT_EQ(report.modified + report.removed + report.unchanged, 0);
  EXPECT_EQ(report.bytes_written, int64_t(binary.size()) + 20 + 14 + 11 + 6 + 1 + 6 + 0);
  EXPECT_EQ(report.previous_commit, "");
  EXPECT_EQ(report.full_copy_reason, "");
  EXPECT_FALSE(report.recovered);
  EXPECT_TRUE(report.submodules.empty());
  EXPECT_EQ(report.manifest.source_repository, source_.path().string());
  EXPECT_EQ(report.manifest.actor, "tester");
  EXPECT_TRUE(
      std::regex_match(report.manifest.time, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
      << report.manifest.time;
  EXPECT_EQ(ReadManifest(dest()).value_or(Manifest{}), report.manifest);
  ExpectHolds(commit, "lib");

  EXPECT_EQ(ReadText(dest() / "data.bin"), binary);
  EXPECT_EQ(fs::status(dest() / "bin/tool").permissions() & fs::perms::owner_exec,
            fs::perms::owner_exec);
  EXPECT_EQ(fs::status(dest() / "src/main.cc").permissions() & fs::perms::all, fs::perms(0644));
  EXPECT_EQ(fs::read_symlink(dest() / "current"), "src/main.cc");
  EXPECT_EQ(fs::read_symlink(dest() / "src/up"), "../bin");
  EXPECT_EQ(ReadText(dest() / "with space/\xC3\xBCnicode \xE2\x9C\x93.txt"), "utf-8\n");
  EXPECT_FALSE(fs::exists(dest() / "outside.txt"));
}

TEST_F(SyncTreeTest, AnEmptyPathSyncsTheWholeTree) {
  source_.Write("a.txt", "a\n");
  source_.Write("deep/b.txt", "b\n");
  std::string commit = source_.Commit("first");
  SyncReport report = Sync("");
  EXPECT_EQ(report.added, 2);
  ExpectHolds(commit, "");
  EXPECT_FALSE(fs::exists(dest() / ".git"));
}

TEST_F(SyncTreeTest, AnEmptyTreeGivesAFolderWithOnlyTheManifest) {
  std::string empty = source_.Commit("nothing yet");
  SyncReport report = Sync("");
  EXPECT_EQ(report.kind, SyncReport::Kind::kFull);
  EXPECT_EQ(report.added, 0);
  EXPECT_TRUE(report.manifest.files.empty());
  EXPECT_EQ(TreeListing(dest()), std::vector<std::string>{std::string(kManifestFileName)});
  ExpectHolds(empty, "");

  source_.Write("a.txt", "a\n");
  std::string first = source_.Commit("first file");
  Sync("");
  ExpectHolds(first, "");
  source_.Remove("a.txt");
  std::string again = source_.Commit("empty again");
  SyncReport back = Sync("");
  EXPECT_EQ(back.removed, 1);
  EXPECT_EQ(TreeListing(dest()), std::vector<std::string>{std::string(kManifestFileName)});
  ExpectHolds(again, "");
}

TEST_F(SyncTreeTest, ASubtreeWithOnlyASubmoduleIsEmptyAndNamesIt) {
  source_.Write("README", "r\n");
  source_.Git({"add", "-A"});
  source_.Git(
      {"update-index", "--add", "--cacheinfo", "160000," + std::string(40, 'c') + ",vendor/mod"});
  std::string commit = source_.CommitStaged("a submodule");
  SyncReport report = Sync("vendor");
  EXPECT_EQ(report.submodules, std::vector<std::string>{"mod"});
  EXPECT_TRUE(report.manifest.files.empty());
  EXPECT_EQ(report.manifest.commit, commit);
  EXPECT_EQ(TreeListing(dest()), std::vector<std::string>{std::string(kManifestFileName)});
  Result<std::vector<Difference>> differences = VerifyTree(dest(), 2);
  ASSERT_TRUE(differences.has_value());
  EXPECT_TRUE(differences->empty());
}

TEST_F(SyncTreeTest, IncrementalSyncRewritesOnlyWhatChangedAndRemovesEmptiedFolders) {
  for (int i = 0; i < 40; ++i) {
    source_.Write("app/keep/file" + std::to_string(i) + ".txt", "keep " + std::to_string(i));
  }
  source_.Write("app/edit.txt", "before\n");
  source_.Write("app/gone/deeper/still/x.txt", "the only file of three folders\n");
  source_.Write("app/partly/stays.txt", "stays\n");
  source_.Write("app/partly/goes.txt", "goes\n");
  source_.Write("app/move me/old name.txt", "a file that moves to another folder\n");
  std::string first = source_.Commit("first");
  Sync("app");
  std::map<std::string, Stamp> before = Stamps(dest());

  source_.Write("app/edit.txt", "after, longer\n");
  source_.Remove("app/gone");
  source_.Remove("app/partly/goes.txt");
  source_.Remove("app/move me");
  source_.Write("app/moved/new name.txt", "a file that moves to another folder\n");
  source_.Write("app/new/\xC3\xA9t\xC3\xA9 file.txt", "new\n");
  std::string second = source_.Commit("second");

  SyncReport report = Sync("app");
  EXPECT_EQ(report.kind, SyncReport::Kind::kIncremental);
  EXPECT_EQ(report.previous_commit, first);
  EXPECT_EQ(report.added, 2);     // moved/new name.txt, new/été file.txt
  EXPECT_EQ(report.modified, 1);  // edit.txt
  EXPECT_EQ(report.removed, 3);   // gone/deeper/still/x.txt, partly/goes.txt, move me/old name.txt
  EXPECT_EQ(report.unchanged, 41);
  EXPECT_EQ(report.bytes_written, 14 + 36 + 4);
  ExpectHolds(second, "app");

  std::map<std::string, Stamp> after = Stamps(dest());
  for (const auto& [path, stamp] : before) {
    if (!path.starts_with("keep/") && path != "partly/stays.txt") continue;
    EXPECT_EQ(after.at(path), stamp) << path << " was rewritten";
  }
  EXPECT_NE(after.at("edit.txt").inode, before.at("edit.txt").inode);
  EXPECT_FALSE(fs::exists(dest() / "gone"));
  EXPECT_FALSE(fs::exists(dest() / "move me"));
  EXPECT_TRUE(fs::exists(dest() / "partly"));
}

TEST_F(SyncTreeTest, UpToDateSyncWritesNothing) {
  source_.Write("app/a.txt", "a\n");
  source_.Write("app/b/c.txt", "c\n");
  std::string commit = source_.Commit("first");
  Sync("app");
  std::map<std::string, Stamp> before = Stamps(dest());
  std::string manifest = ReadText(dest() / kManifestFileName);

  SyncReport report = Sync("app");
  EXPECT_EQ(report.kind, SyncReport::Kind::kUpToDate);
  EXPECT_EQ(report.previous_commit, commit);
  EXPECT_EQ(report.unchanged, 2);
  EXPECT_EQ(report.added + report.modified + report.removed + report.bytes_written, 0);
  EXPECT_EQ(Stamps(dest()), before);
  EXPECT_EQ(ReadText(dest() / kManifestFileName), manifest);
  ExpectHolds(commit, "app");
}

TEST_F(SyncTreeTest, ACommitOutsideTheSubtreeRewritesOnlyTheManifest) {
  source_.Write("app/a.txt", "a\n");
  source_.Commit("first");
  Sync("app");
  std::map<std::string, Stamp> before = Stamps(dest());
  source_.Write("elsewhere.txt", "e\n");
  std::string second = source_.Commit("outside");

  SyncReport report = Sync("app");
  EXPECT_EQ(report.kind, SyncReport::Kind::kIncremental);
  EXPECT_EQ(report.unchanged, 1);
  EXPECT_EQ(report.added + report.modified + report.removed + report.bytes_written, 0);
  std::map<std::string, Stamp> after = Stamps(dest());
  EXPECT_EQ(after.at("a.txt"), before.at("a.txt"));
  ExpectHolds(second, "app");
}

TEST_F(SyncTreeTest, FilesBecomeFoldersAndFoldersBecomeFilesBetweenCommits) {
  source_.Write("app/x", "a file\n");
  source_.Write("app/d/inner.txt", "inner\n");
  source_.Write("app/d/sub/deeper.txt", "deeper\n");
  std::string first = source_.Commit("first");
  source_.Remove("app/x");
  source_.Write("app/x/now inside.txt", "a file\n");
  source_.Remove("app/d");
  source_.Write("app/d", "now a file\n");
  std::string second = source_.Commit("swap");

  Sync("app", first);
  ExpectHolds(first, "app");
  EXPECT_EQ(Sync("app", second).kind, SyncReport::Kind::kIncremental);
  ExpectHolds(second, "app");
  EXPECT_EQ(Sync("app", first).kind, SyncReport::Kind::kIncremental);
  ExpectHolds(first, "app");
}

TEST_F(SyncTreeTest, ModeAndTypeChangesAreApplied) {
  source_.Write("app/tool.sh", "#!/bin/sh\n");
  source_.WriteExecutable("app/was-exec.sh", "#!/bin/sh\n");
  source_.Write("app/target.txt", "t\n");
  source_.Write("app/becomes-link", "plain\n");
  source_.Symlink("app/becomes-file", "target.txt");
  source_.Symlink("app/retargeted", "target.txt");
  std::string first = source_.Commit("first");
  Sync("app");
  std::map<std::string, Stamp> before = Stamps(dest());

  source_.WriteExecutable("app/tool.sh", "#!/bin/sh\n");
  source_.Write("app/was-exec.sh", "#!/bin/sh\n");
  source_.Remove("app/becomes-link");
  source_.Symlink("app/becomes-link", "target.txt");
  source_.Remove("app/becomes-file");
  source_.Write("app/becomes-file", "now a file\n");
  source_.Symlink("app/retargeted", "tool.sh");
  std::string second = source_.Commit("modes and types");

  SyncReport report = Sync("app");
  EXPECT_EQ(report.kind, SyncReport::Kind::kIncremental);
  EXPECT_EQ(report.modified, 5);
  EXPECT_EQ(report.unchanged, 1);
  ExpectHolds(second, "app");
  EXPECT_TRUE(fs::is_symlink(dest() / "becomes-link"));
  EXPECT_FALSE(fs::is_symlink(dest() / "becomes-file"));
  EXPECT_EQ(fs::read_symlink(dest() / "retargeted"), "tool.sh");
  EXPECT_EQ(Stamps(dest()).at("target.txt"), before.at("target.txt"));
}

TEST_F(SyncTreeTest, SyncsBranchesRevisionsAndMerges) {
  source_.Write("app/base.txt", "base\n");
  std::string base = source_.Commit("base");
  source_.Branch("feature");
  source_.Checkout("feature");
  source_.Write("app/feature.txt", "feature\n");
  std::string feature = source_.Commit("feature work");
  source_.Checkout("main");
  source_.Write("app/base.txt", "base, edited on main\n");
  std::string main_edit = source_.Commit("main work");

  EXPECT_EQ(Sync("app", "feature").manifest.commit, feature);
  ExpectHolds(feature, "app");
  EXPECT_EQ(Sync("app", "main").kind, SyncReport::Kind::kIncremental);
  ExpectHolds(main_edit, "app");

  source_.Git({"merge", "-q", "--no-ff", "-m", "merge feature", "feature"});
  std::string merge = source_.Git({"rev-parse", "HEAD"});
  SyncReport merged = Sync("app");
  EXPECT_EQ(merged.kind, SyncReport::Kind::kIncremental);
  EXPECT_EQ(merged.previous_commit, main_edit);
  EXPECT_EQ(merged.added, 1);
  ExpectHolds(merge, "app");

  Sync("app", "HEAD^2");  // the merged branch's side
  ExpectHolds(feature, "app");
  Sync("app", base.substr(0, 8));
  ExpectHolds(base, "app");
  Sync("app", "main~1");
  ExpectHolds(main_edit, "app");
}

TEST_F(SyncTreeTest, AnUnknownRevisionOrPathIsRefusedWithNothingChanged) {
  source_.Write("app/a.txt", "a\n");
  std::string commit = source_.Commit("first");
  Sync("app");
  EXPECT_EQ(Refused(Request("app", "no-such-branch")).substr(0, 11), "not found: ");
  EXPECT_EQ(Refused(Request("nope")),
            "not found: path 'nope' does not exist at commit " + commit.substr(0, 7));
  EXPECT_EQ(Refused(Request("app/a.txt")), "invalid argument: path 'app/a.txt' at commit " +
                                               commit.substr(0, 7) + " is a file, not a directory");
  ExpectHolds(commit, "app");
}

TEST_F(SyncTreeTest, ALinkLeavingTheSubtreeIsRefusedWithNothingChanged) {
  source_.Write("app/a.txt", "a\n");
  source_.Write("secret.txt", "outside the subtree\n");
  std::string first = source_.Commit("first");
  source_.Symlink("app/deep/escape", "../../secret.txt");
  source_.Commit("escaping link");

  // A first sync creates nothing.
  EXPECT_EQ(Refused(Request("app")),
            "invalid argument: symbolic link 'deep/escape' -> '../../secret.txt' points outside "
            "the subtree; a sync copies only what is inside the synced subtree");
  EXPECT_FALSE(fs::exists(dest()));

  // A later one leaves the earlier sync as it was.
  Sync("app", first);
  EXPECT_EQ(Refused(Request("app")),
            "invalid argument: symbolic link 'deep/escape' -> '../../secret.txt' points outside "
            "the subtree; a sync copies only what is inside the synced subtree");
  ExpectHolds(first, "app");

  source_.Remove("app/deep");
  source_.Symlink("app/absolute", "/etc/passwd");
  source_.Commit("absolute link");
  EXPECT_EQ(Refused(Request("app")),
            "invalid argument: symbolic link 'absolute' -> '/etc/passwd' is absolute; a sync "
            "copies only what is inside the synced subtree");
  EXPECT_EQ(Refused(Request("app", "HEAD", out_.path() / "fresh")).substr(0, 18),
            "invalid argument: ");
  ExpectHolds(first, "app");
}

TEST_F(SyncTreeTest, ALinkLeavingTheSubtreeThroughAnotherLinkIsRefused) {
  // deep/s -> ".." is the subtree's root, so deep/l -> "s/.." is its parent: outside, though
  // each target read on its own stays inside.
  source_.Write("app/deep/a.txt", "a\n");
  source_.Symlink("app/deep/s", "..");
  std::string first = source_.Commit("first");
  Sync("app");
  ExpectHolds(first, "app");
  source_.Symlink("app/deep/l", "s/..");
  source_.Commit("link through a link");
  EXPECT_EQ(Refused(Request("app")),
            "invalid argument: symbolic link 'deep/l' -> 's/..' has '..' after a name, which "
            "another link could lead outside; a sync copies only what is inside the synced "
            "subtree");
  ExpectHolds(first, "app");
}

TEST_F(SyncTreeTest, BadSourcePathsAreRefusedWithNothingCreated) {
  source_.Write("app/a.txt", "a\n");
  source_.Commit("first");
  fs::path nested = out_.path() / "not" / "created";
  EXPECT_EQ(Refused(Request("../etc", "HEAD", nested)),
            "invalid argument: source path '../etc' contains '..'; give a plain path inside the "
            "repository");
  EXPECT_EQ(Refused(Request("app/../..", "HEAD", nested)),
            "invalid argument: source path 'app/../..' contains '..'; give a plain path inside "
            "the repository");
  EXPECT_EQ(Refused(Request("/etc", "HEAD", nested)),
            "invalid argument: source path '/etc' is absolute; give a path inside the "
            "repository");
  EXPECT_FALSE(fs::exists(out_.path() / "not"));
}

TEST_F(SyncTreeTest, DestinationsInsideOrAroundTheSourceAreRefused) {
  source_.Write("app/a.txt", "a\n");
  source_.Commit("first");
  fs::path real_source = fs::canonical(source_.path());
  EXPECT_EQ(Refused(Request("app", "HEAD", source_.path() / "vendor" / "app")),
            "invalid argument: destination " + (source_.path() / "vendor" / "app").string() +
                " is inside the source repository " + real_source.string());
  EXPECT_EQ(Refused(Request("app", "HEAD", source_.path() / ".git" / "app")),
            "invalid argument: destination " + (source_.path() / ".git" / "app").string() +
                " is inside the source repository " + real_source.string());
  EXPECT_FALSE(fs::exists(source_.path() / "vendor"));

  // A destination that holds the source: a clone of it inside a folder of ours.
  fs::path around = out_.path() / "around";
  source_.Git({"clone", "-q", source_.path().string(), (around / "repo").string()});
  SyncRequest holding = Request("app", "HEAD", around);
  holding.source.repository = (around / "repo").string();
  EXPECT_EQ(Refused(holding), "invalid argument: the source repository " +
                                  fs::canonical(around / "repo").string() +
                                  " is inside the destination " + around.string());
  EXPECT_FALSE(fs::exists(source_.path() / ".git" / "app"));

  // Through a link to the source, too.
  fs::create_symlink(source_.path(), out_.path() / "alias");
  EXPECT_EQ(Refused(Request("app", "HEAD", out_.path() / "alias" / "vendor")).substr(0, 30),
            "invalid argument: destination ");
  EXPECT_FALSE(fs::exists(source_.path() / "vendor"));
}

TEST_F(SyncTreeTest, ADestinationThatIsALinkAFileOrARepositoryRootIsRefused) {
  source_.Write("app/a.txt", "a\n");
  source_.Commit("first");
  out_.Write("real/keep.txt", "mine\n");
  fs::create_symlink(out_.path() / "real", dest());
  EXPECT_EQ(Refused(Request("app")), "invalid argument: destination " + dest().string() +
                                         " is a symbolic link; give the folder it points to");
  EXPECT_EQ(TreeListing(out_.path() / "real"), std::vector<std::string>{"keep.txt"});

  out_.Write("plain-file", "x");
  EXPECT_EQ(Refused(Request("app", "HEAD", out_.path() / "plain-file")),
            "invalid argument: destination " + (out_.path() / "plain-file").string() +
                " exists and is not a folder");

  // Another repository, made in our folder so that nothing else writes beside it.
  fs::path other = out_.path() / "other";
  source_.Git({"init", "-q", other.string()});
  out_.Write("other/theirs.txt", "t\n");
  EXPECT_EQ(Refused(Request("app", "HEAD", other)),
            "invalid argument: destination " + other.string() +
                " is the root of a git repository; sync into a folder inside it");
  EXPECT_EQ(Refused(Request("app", "HEAD", other.string() + "/")),
            "invalid argument: destination " + other.string() +
                " is the root of a git repository; sync into a folder inside it");
}

TEST_F(SyncTreeTest, AForeignNonEmptyFolderIsRefusedUnlessForced) {
  source_.Write("app/a.txt", "a\n");
  std::string commit = source_.Commit("first");
  out_.Write("dest/mine.txt", "not from a sync\n");
  EXPECT_EQ(Refused(Request("app")),
            "invalid argument: destination " + dest().string() + " is not empty and has no " +
                std::string(kManifestFileName) +
                ": it was not written by lockstep sync; pass --force to replace its contents");

  SyncRequest forced = Request("app");
  forced.force = true;
  SyncReport report = Sync(forced);
  EXPECT_EQ(report.kind, SyncReport::Kind::kFull);
  EXPECT_EQ(report.full_copy_reason, "");
  ExpectHolds(commit, "app");
  EXPECT_FALSE(fs::exists(dest() / "mine.txt"));

  // An empty folder is fine without --force.
  fs::create_directories(out_.path() / "empty");
  Sync(Request("app", "HEAD", out_.path() / "empty"));
  ExpectHolds(commit, "app", out_.path() / "empty");
}

TEST_F(SyncTreeTest, ATamperedManifestIsRefusedUntilAForcedFullCopy) {
  source_.Write("app/a.txt", "a\n");
  source_.Write("app/b.txt", "b\n");
  std::string first = source_.Commit("first");
  Sync("app");
  source_.Write("app/b.txt", "b, edited\n");
  std::string second = source_.Commit("second");

  // Someone "fixes" a hash by hand.
  std::string text = ReadText(dest() / kManifestFileName);
  size_t at = text.find(Sha256Hex("a\n"));
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 64, Sha256Hex("tampered"));
  out_.Write("dest/" + std::string(kManifestFileName), text);

  EXPECT_EQ(Refused(Request("app")),
            "corruption: manifest digest does not match: the manifest was changed or damaged; "
            "the destination cannot be trusted: check it with `lockstep sync verify`, then pass "
            "--force for a full copy");

  std::map<std::string, Stamp> before = Stamps(dest());
  SyncRequest forced = Request("app");
  forced.force = true;
  SyncReport report = Sync(forced);
  EXPECT_EQ(report.kind, SyncReport::Kind::kFull);
  EXPECT_EQ(report.full_copy_reason, "");  // no previous manifest could be read
  EXPECT_EQ(report.added, 2);
  ExpectHolds(second, "app");
  EXPECT_NE(Stamps(dest()).at("a.txt").inode, before.at("a.txt").inode);
}

TEST_F(SyncTreeTest, ForceMakesAFullCopyOverAGoodManifest) {
  source_.Write("app/a.txt", "a\n");
  source_.Write("app/b.txt", "b\n");
  source_.Commit("first");
  Sync("app");
  source_.Write("app/b.txt", "b, edited\n");
  source_.Write("app/c.txt", "c\n");
  std::string second = source_.Commit("second");
  std::map<std::string, Stamp> before = Stamps(dest());

  SyncRequest forced = Request("app");
  forced.force = true;
  SyncReport report = Sync(forced);
  EXPECT_EQ(report.kind, SyncReport::Kind::kFull);
  EXPECT_EQ(report.full_copy_reason, "--force");
  EXPECT_EQ(report.added, 1);
  EXPECT_EQ(report.modified, 1);
  EXPECT_EQ(report.unchanged, 1);
  ExpectHolds(second, "app");
  EXPECT_NE(Stamps(dest()).at("a.txt").inode, before.at("a.txt").inode);
}

TEST_F(SyncTreeTest, APreviousTreeMissingFromTheSourceIsComparedByContent) {
  // After a force-push, say, the previous sync's tree is gone: the files are compared with
  // the manifest by content, and only what differs is written.
  source_.Write("app/a.txt", "a\n");
  source_.Write("app/b.txt", "b\n");
  source_.Write("app/gone.txt", "gone\n");
  source_.Commit("first");
  Sync("app");
  struct stat before {};
  ASSERT_EQ(::lstat((dest() / "a.txt").c_str(), &before), 0);

  GitFixture other;
  other.Write("app/a.txt", "a\n");
  other.Write("app/b.txt", "changed\n");
  other.Write("app/z.txt", "z\n");
  std::string theirs = other.Commit("another repository");
  SyncRequest request = Request("app");
  request.source.repository = other.path().string();
  SyncReport report = Sync(request);
  EXPECT_EQ(report.kind, SyncReport::Kind::kIncremental);
  EXPECT_EQ(report.added, 1);
  EXPECT_EQ(report.modified, 1);
  EXPECT_EQ(report.removed, 1);
  EXPECT_EQ(report.unchanged, 1);
  ExpectHolds(theirs, "app", dest(), &other);
  struct stat after {};
  ASSERT_EQ(::lstat((dest() / "a.txt").c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);
}

// The destination inside a repository of its own: uncommitted changes there are someone's
// work, except what the previous sync wrote.
class SyncIntoRepositoryTest : public SyncTreeTest {
 protected:
  void SetUp() override {
    target_.Git({"config", "user.name", "Sync Bot"});
    target_.Git({"config", "user.email", "sync@lockstep.invalid"});
    target_.Write("README", "target\n");
    target_.Commit("target");
  }

  fs::path target_dest() const { return target_.path() / "vendor" / "app"; }

  SyncRequest Into(const std::string& revision = "HEAD") {
    return Request("app", revision, target_dest());
  }

  GitFixture target_;
};

TEST_F(SyncIntoRepositoryTest, WhatThePreviousSyncWroteIsNotAnUncommittedChange) {
  source_.Write("app/keep.txt", "keep\n");
  source_.Write("app/edit.txt", "1\n");
  source_.Write("app/goes.txt", "goes\n");
  source_.Commit("first");
  SyncReport first = Sync(Into());
  ASSERT_EQ(CommitSync(target_dest(), first, "").value_or("?").size(), 40u);

  // A second sync left uncommitted: an edit, a removal of a committed file, a new file.
  source_.Write("app/edit.txt", "2\n");
  source_.Remove("app/goes.txt");
  source_.Write("app/new/file.txt", "new\n");
  source_.Commit("second");
  Sync(Into());
  ASSERT_FALSE(target_.Git({"status", "--porcelain"}).empty());

  // A third sync is not refused because of the second's uncommitted files.
  source_.Write("app/edit.txt", "3\n");
  std::string third = source_.Commit("third");
  SyncReport report = Sync(Into());
  EXPECT_EQ(report.kind, SyncReport::Kind::kIncremental);
  ExpectHolds(third, "app", target_dest());
}

TEST_F(SyncIntoRepositoryTest, HandEditsAreRefusedUnlessForced) {
  source_.Write("app/a.txt", "a\n");
  source_.Write("app/b.txt", "b\n");
  source_.Commit("first");
  SyncReport first = Sync(Into());
  ASSERT_EQ(CommitSync(target_dest(), first, "").value_or("?").size(), 40u);
  source_.Write("app/b.txt", "b2\n");
  std::string second = source_.Commit("second");

  target_.Write("vendor/app/a.txt", "edited by hand\n");
  EXPECT_EQ(Refused(Into()), "invalid argument: destination " + target_dest().string() +
                                 " has uncommitted changes (vendor/app/a.txt); commit or "
                                 "discard them, or pass --force to overwrite them");
  target_.Git({"checkout", "--", "vendor/app/a.txt"});
  target_.Write("vendor/app/extra.txt", "added by hand\n");
  EXPECT_EQ(Refused(Into()), "invalid argument: destination " + target_dest().string() +
                                 " has uncommitted changes (vendor/app/extra.txt); commit or "
                                 "discard them, or pass --force to overwrite them");
  fs::remove(target_dest() / "extra.txt");
  fs::remove(target_dest() / "a.txt");
  EXPECT_EQ(Refused(Into()), "invalid argument: destination " + target_dest().string() +
                                 " has uncommitted changes (vendor/app/a.txt); commit or "
                                 "discard them, or pass --force to overwrite them");
  for (int i = 0; i < 7; ++i) target_.Write("vendor/app/hand" + std::to_string(i), "h");
  EXPECT_EQ(Refused(Into()), "invalid argument: destination " + target_dest().string() +
                                 " has uncommitted changes (vendor/app/a.txt, vendor/app/hand0, "
                                 "vendor/app/hand1, vendor/app/hand2, vendor/app/hand3 and 3 "
                                 "more); commit or discard them, or pass --force to overwrite "
                                 "them");

  // Changes elsewhere in the repository do not count.
  for (int i = 0; i < 7; ++i) fs::remove(target_dest() / ("hand" + std::to_string(i)));
  target_.Git({"checkout", "--", "vendor/app/a.txt"});
  target_.Write("README", "edited elsewhere\n");
  target_.Write("vendor/app-other/x", "a sibling folder\n");
  Sync(Into());
  ExpectHolds(second, "app", target_dest());

  target_.Write("vendor/app/a.txt", "edited by hand again\n");
  SyncRequest forced = Into();
  forced.force = true;
  Sync(forced);
  ExpectHolds(second, "app", target_dest());
}

TEST_F(SyncIntoRepositoryTest, CommitSyncCommitsOnlyTheDestinationWithTrailers) {
  source_.Write("app/a.txt", "a\n");
  std::string commit = source_.Commit("first");
  target_.Write("README", "staged elsewhere\n");
  target_.Git({"add", "README"});
  std::string before = target_.Git({"rev-parse", "HEAD"});

  SyncReport report = Sync(Into());
  Result<std::string> committed = CommitSync(target_dest(), report, "");
  ASSERT_TRUE(committed.has_value()) << committed.error().ToString();
  EXPECT_EQ(target_.Git({"rev-parse", "HEAD"}), *committed);
  EXPECT_EQ(target_.Git({"rev-parse", "HEAD~1"}), before);
  EXPECT_EQ(target_.Git({"diff", "--name-only", before, "HEAD"}),
            "vendor/app/.lockstep-sync.json\nvendor/app/a.txt");
  EXPECT_EQ(target_.Git({"diff", "--cached", "--name-only"}), "README");
  EXPECT_EQ(target_.Git({"log", "-1", "--format=%B"}),
            "Sync " + source_.path().string() + ":app at " + commit.substr(0, 7) +
                "\n\nLockstep-Sync-Source: " + source_.path().string() +
                ":app\nLockstep-Sync-Commit: " + commit +
                "\nLockstep-Sync-Manifest: " + report.manifest.digest + "\n");

  SyncReport again = Sync(Into());
  EXPECT_EQ(again.kind, SyncReport::Kind::kUpToDate);
  EXPECT_EQ(CommitSync(target_dest(), again, "").value_or("?"), "");
  EXPECT_EQ(target_.Git({"rev-parse", "HEAD"}), *committed);
}

TEST(SyncCommitMessageTest, UsesTheGivenMessageAndAlwaysAddsTheTrailers) {
  SyncReport report;
  report.manifest.source_repository = "file:///srv/api";
  report.manifest.source_path = "";
  report.manifest.commit = std::string(40, 'a');
  report.manifest.digest = std::string(64, 'd');
  std::string trailers =
      "Lockstep-Sync-Source: file:///srv/api:\nLockstep-Sync-Commit: " + std::string(40, 'a') +
      "\nLockstep-Sync-Manifest: " + std::string(64, 'd') + "\n";
  EXPECT_EQ(SyncCommitMessage(report, ""), "Sync file:///srv/api: at aaaaaaa\n\n" + trailers);
  EXPECT_EQ(SyncCommitMessage(report, "Update the API\n\n"), "Update the API\n\n" + trailers);
}

TEST(CommitSyncTest, ADestinationOutsideAnyWorkTreeIsNotFound) {
  TempDir plain;
  Result<std::string> committed = CommitSync(plain.path(), SyncReport{}, "");
  ASSERT_FALSE(committed.has_value());
  EXPECT_EQ(committed.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(committed.error().message(),
            "--commit: " + plain.path().string() + " is not inside a git work tree");
}

TEST_F(SyncTreeTest, ConcurrentSyncsIntoOneDestinationTakeTurns) {
  for (int i = 0; i < 30; ++i) source_.Write("app/f" + std::to_string(i), std::to_string(i));
  std::string first = source_.Commit("first");
  for (int i = 0; i < 30; i += 2) source_.Write("app/f" + std::to_string(i), "changed");
  std::string second = source_.Commit("second");

  Result<SyncReport> a = Fail(ErrorCode::kInternal, "not run");
  Result<SyncReport> b = Fail(ErrorCode::kInternal, "not run");
  {
    std::jthread one([&] { a = SyncTree(Request("app", first)); });
    std::jthread two([&] { b = SyncTree(Request("app", second)); });
  }
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  ASSERT_TRUE(b.has_value()) << b.error().ToString();
  // Whichever went second left its commit, whole.
  std::string last = ReadManifest(dest()).value_or(Manifest{}).commit;
  ASSERT_TRUE(last == first || last == second) << last;
  ExpectHolds(last, "app");
}

TEST_F(SyncTreeTest, AFileUrlSourceSyncsItsDefaultBranchThroughAMirror) {
  source_.Write("app/a.txt", "a\n");
  std::string first = source_.Commit("first");  // on "main", not git's old default name
  SyncRequest request = Request("app");
  request.source.repository = "file://" + source_.path().string();
  SyncReport report = Sync(request);
  EXPECT_EQ(report.manifest.commit, first);
  EXPECT_EQ(report.manifest.source_repository, request.source.repository);
  ExpectHolds(first, "app");
  ASSERT_TRUE(fs::exists(out_.path() / "mirrors"));

  // The default branch changes upstream: the mirror's HEAD follows.
  source_.Git({"checkout", "-q", "-b", "trunk"});
  source_.Write("app/a.txt", "on trunk\n");
  std::string trunk = source_.Commit("trunk");
  EXPECT_EQ(Sync(request).manifest.commit, trunk);
  ExpectHolds(trunk, "app");
}

// 100 MiB of bytes that do not compress, as a large binary asset would be.
std::string LargeBinary(size_t size) {
  std::string data(size, '\0');
  uint64_t state = 0x9E3779B97F4A7C15ull;
  for (size_t i = 0; i + 8 <= size; i += 8) {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    std::memcpy(&data[i], &state, 8);
  }
  return data;
}

TEST_F(SyncTreeTest, AHundredMegabyteFileIsCopiedOnceAndLeftAloneAfterwards) {
  constexpr size_t kSize = size_t{100} << 20;
  // Stored without zlib, so that adding it to the fixture costs a write, not a compression.
  source_.Git({"config", "core.compression", "0"});
  std::string big = LargeBinary(kSize);
  std::string big_sha = Sha256Hex(big);
  source_.Write("app/assets/big.bin", big);
  big.clear();
  big.shrink_to_fit();
  source_.Write("app/small.txt", "1\n");
  source_.Commit("first");

  SyncReport report = Sync("app");
  EXPECT_EQ(report.bytes_written, int64_t(kSize) + 2);
  EXPECT_EQ(fs::file_size(dest() / "assets/big.bin"), kSize);
  // What the sync hashed while writing; the verification below re-reads the file.
  EXPECT_EQ(report.manifest.files.front(),
            (ManifestEntry{"assets/big.bin", kModeRegular, int64_t(kSize), big_sha}));

  // Changing the small file leaves the big one untouched.
  Stamp stamp = StampOf(dest() / "assets/big.bin");
  source_.Write("app/small.txt", "2\n");
  source_.Commit("second");
  SyncReport second = Sync("app");
  EXPECT_EQ(second.kind, SyncReport::Kind::kIncremental);
  EXPECT_EQ(second.bytes_written, 2);
  EXPECT_EQ(StampOf(dest() / "assets/big.bin"), stamp);
  Result<std::vector<Difference>> differences = VerifyTree(dest(), 2);
  ASSERT_TRUE(differences.has_value()) << differences.error().ToString();
  EXPECT_TRUE(differences->empty());
}

TEST_F(SyncTreeTest, SomethingThePreviousSyncDidNotWriteInTheWayIsRefusedBeforeAnyChange) {
  // pkg/ becomes a file; an ignored __pycache__ left in pkg/ would stop the update half-way.
  source_.Write("app/pkg/mod.py", "x = 1\n");
  source_.Write("app/keep.txt", "keep\n");
  source_.Commit("first");
  Sync("app");
  source_.Remove("app/pkg/mod.py");
  fs::remove_all(source_.path() / "app/pkg");
  source_.Write("app/pkg", "now a file\n");
  source_.Write("app/keep.txt", "changed\n");
  std::string second = source_.Commit("second");
  fs::create_directories(dest() / "pkg" / "__pycache__");
  std::ofstream(dest() / "pkg" / "__pycache__" / "mod.pyc") << "bytecode";

  EXPECT_EQ(Refused(Request("app")),
            "invalid argument: cannot update " + dest().string() +
                ": pkg/__pycache__/mod.pyc was not written by the previous sync and is in the "
                "way of a new file; remove it, or pass --force to replace the folder");
  fs::remove_all(dest() / "pkg" / "__pycache__");
  Sync("app");
  ExpectHolds(second, "app");
}

TEST_F(SyncTreeTest, LineEndingConversionInTheSourceWorkTreeNeverReachesTheCopy) {
  // With eol=crlf the work tree's file differs from the blob although git calls it clean;
  // the copy must hold the commit's bytes.
  source_.Write(".gitattributes", "*.txt text eol=crlf\n");
  for (int i = 0; i < 300; ++i) {
    source_.Write("app/f" + std::to_string(i) + ".txt", "line one\nline two\n");
  }
  std::string commit = source_.Commit("text files");
  source_.Git({"rm", "-q", "--cached", "-r", "app"});
  source_.Git({"reset", "-q", "--hard"});
  // Files older than the index: git trusts their stat data (they are not "racily clean").
  for (const fs::directory_entry& entry : fs::directory_iterator(source_.path() / "app")) {
    fs::last_write_time(entry.path(), fs::last_write_time(entry.path()) - std::chrono::hours(1));
  }
  source_.Git({"update-index", "-q", "--refresh"});
  ASSERT_NE(testing::ReadText(source_.path() / "app/f0.txt").find("\r\n"), std::string::npos);
  Sync("app");
  ExpectHolds(commit, "app");
  EXPECT_EQ(testing::ReadText(dest() / "f0.txt"), "line one\nline two\n");
}

TEST_F(SyncTreeTest, ANameThatIsNotUtf8IsRefused) {
  source_.Write("app/ok.txt", "ok\n");
  source_.Write("app/caf\xe9.txt", "latin-1\n");
  source_.Commit("latin-1 name");
  EXPECT_EQ(Refused(Request("app")),
            "invalid argument: the source has a file whose name is not valid UTF-8 "
            "('caf\\xe9.txt'), which a manifest cannot record");
}

}  // namespace
}  // namespace lockstep::sync
