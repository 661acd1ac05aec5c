// `lockstep sync` and `lockstep sync verify` end to end: the real binary on real repositories,
// including syncs killed with SIGKILL at random points.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "background_process.h"
#include "base/sha256.h"
#include "fixture_util.h"
#include "git/repository.h"
#include "git_fixture.h"
#include "run_binary.h"
#include "sync/hash_tree.h"
#include "sync/manifest.h"
#include "sync/staging.h"
#include "temp_dir.h"

namespace lockstep {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::BackgroundLockstep;
using testing::CommandOutput;
using testing::GitFixture;
using testing::ReadText;
using testing::TempDir;
using testing::TreeListing;

class CliSyncTest : public ::testing::Test {
 protected:
  fs::path dest() const { return work_.path() / "dest"; }
  fs::path home() const { return work_.path() / "home"; }

  std::vector<std::string> Environment() const {
    return {"LOCKSTEP_HOME=" + home().string(), "LOCKSTEP_ACTOR=ci"};
  }

  CommandOutput Lockstep(const std::vector<std::string>& arguments) {
    return testing::RunLockstep(arguments, work_.path(), Environment());
  }

  // "REPOSITORY:PATH[@REVISION]" for the source fixture.
  std::string From(const std::string& path, const std::string& revision = "") const {
    return source_.path().string() + ":" + path + (revision.empty() ? "" : "@" + revision);
  }

  // What a checkout of `subpath` at `commit` holds: every path (folders too) and every
  // file's mode, size and hash.
  struct Tree {
    std::vector<std::string> listing;
    std::vector<sync::ManifestEntry> files;
    bool operator==(const Tree&) const = default;
  };
  Tree Checkout(const std::string& commit, const std::string& subpath) {
    TempDir scratch;
    Result<git::Repository> repository = git::Repository::Open(source_.path());
    EXPECT_TRUE(repository.has_value());
    if (!repository) return {};
    Result<git::ExportSummary> exported =
        repository->ExportTree(commit, subpath, scratch.path() / "tree");
    EXPECT_TRUE(exported.has_value()) << exported.error().ToString();
    return OnDisk(scratch.path() / "tree");
  }
  // The same for a synced folder, its manifest left out.
  static Tree OnDisk(const fs::path& root) {
    Tree tree;
    tree.listing = TreeListing(root);
    std::erase(tree.listing, std::string(sync::kManifestFileName));
    tree.files = sync::HashTree(root, 2).value_or(std::vector<sync::ManifestEntry>{});
    return tree;
  }

  std::string ManifestCommit(const fs::path& root) {
    return sync::ReadManifest(root).value_or(sync::Manifest{}).commit;
  }

  GitFixture source_;
  TempDir work_;
};

TEST_F(CliSyncTest, SyncThenVerifyIsClean) {
  source_.Write("app/a.txt", "a\n");
  source_.WriteExecutable("app/bin/run", "#!/bin/sh\n");
  source_.Symlink("app/link", "a.txt");
  std::string commit = source_.Commit("first");

  CommandOutput sync = Lockstep({"sync", From("app"), "dest"});
  ASSERT_EQ(sync.exit_code, 0) << sync.err;
  Result<sync::Manifest> manifest = sync::ReadManifest(dest());
  ASSERT_TRUE(manifest.has_value()) << manifest.error().ToString();
  EXPECT_EQ(manifest->actor, "ci");
  EXPECT_EQ(sync.out, "synced " + From("app") + " at " + commit.substr(0, 7) +
                          " into dest: full\n"
                          "  3 added, 0 modified, 0 removed, 0 unchanged; 17 B written\n"
                          "  manifest " +
                          manifest->digest + " (3 files)\n");
  EXPECT_EQ(sync.err, "");
  EXPECT_EQ(OnDisk(dest()), Checkout(commit, "app"));

  CommandOutput verify = Lockstep({"sync", "verify", "dest"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_EQ(verify.out, "dest: clean, 3 files as synced from " + source_.path().string() + " at " +
                            commit.substr(0, 7) + "\n");

  CommandOutput verify_json = Lockstep({"sync", "verify", dest().string(), "--json"});
  EXPECT_EQ(verify_json.exit_code, 0) << verify_json.err;
  EXPECT_EQ(json::parse(verify_json.out), (json{{"destination", dest().string()},
                                                {"commit", commit},
                                                {"files", 3},
                                                {"clean", true},
                                                {"differences", json::array()}}));
}

TEST_F(CliSyncTest, EverySyncIsInTheAuditChain) {
  source_.Write("app/a.txt", "a\n");
  std::string commit = source_.Commit("first");
  ASSERT_EQ(Lockstep({"sync", From("app"), "dest"}).exit_code, 0);
  CommandOutput log = Lockstep({"audit", "log", "--json"});
  ASSERT_EQ(log.exit_code, 0) << log.err;
  nlohmann::json records = nlohmann::json::parse(log.out);
  ASSERT_EQ(records.size(), 1u) << log.out;
  EXPECT_EQ(records[0]["action"], "sync");
  EXPECT_EQ(records[0]["actor"], "ci");
  EXPECT_EQ(records[0]["details"]["source_commit"], commit);
  EXPECT_EQ(records[0]["details"]["manifest"], sync::ReadManifest(dest())->digest);
  EXPECT_EQ(Lockstep({"audit", "verify"}).exit_code, 0);
}

TEST_F(CliSyncTest, JsonReportAndAnUpToDateSecondSync) {
  source_.Write("app/a.txt", "a\n");
  std::string first = source_.Commit("first");
  source_.Write("app/a.txt", "a, edited\n");
  source_.Write("app/b.txt", "b\n");
  std::string second = source_.Commit("second");
  ASSERT_EQ(Lockstep({"sync", From("app", first), "dest"}).exit_code, 0);

  CommandOutput out = Lockstep({"sync", From("app", "main"), "dest", "--json", "-j", "2"});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  json report = json::parse(out.out);
  EXPECT_EQ(report["kind"], "incremental");
  EXPECT_EQ(report["source_repository"], source_.path().string());
  EXPECT_EQ(report["source_path"], "app");
  EXPECT_EQ(report["commit"], second);
  EXPECT_EQ(report["tree_id"], source_.Git({"rev-parse", second + ":app"}));
  EXPECT_EQ(report["previous_commit"], first);
  EXPECT_EQ(report["destination"], "dest");
  EXPECT_EQ(report["manifest_sha256"],
            sync::ReadManifest(dest()).value_or(sync::Manifest{}).digest);
  EXPECT_EQ(report["files"], 2);
  EXPECT_EQ(report["added"], 1);
  EXPECT_EQ(report["modified"], 1);
  EXPECT_EQ(report["removed"], 0);
  EXPECT_EQ(report["unchanged"], 0);
  EXPECT_EQ(report["bytes_written"], 12);
  EXPECT_EQ(report["submodules"], json::array());
  EXPECT_EQ(report["recovered"], false);
  EXPECT_EQ(report["commit_id"], "");

  std::string manifest_before = ReadText(dest() / sync::kManifestFileName);
  CommandOutput again = Lockstep({"sync", From("app"), "dest"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("into dest: up to date\n"
                           "  0 added, 0 modified, 0 removed, 2 unchanged; 0 B written\n"),
            std::string::npos)
      << again.out;
  EXPECT_EQ(ReadText(dest() / sync::kManifestFileName), manifest_before);
}

TEST_F(CliSyncTest, VerifyNamesEveryKindOfDifference) {
  source_.Write("app/a.txt", "alpha\n");
  source_.Write("app/b.txt", "beta\n");
  source_.Write("app/d.txt", "delta\n");
  source_.Commit("first");
  ASSERT_EQ(Lockstep({"sync", From("app"), "dest"}).exit_code, 0);

  {
    std::fstream file(dest() / "a.txt", std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(2);
    file.put('P');
  }
  fs::remove(dest() / "b.txt");
  work_.Write("dest/c.txt", "gamma\n");
  fs::permissions(dest() / "d.txt", fs::perms::owner_exec, fs::perm_options::add);

  CommandOutput json_out = Lockstep({"sync", "verify", "dest", "--json"});
  EXPECT_EQ(json_out.exit_code, 1) << json_out.err;
  json report = json::parse(json_out.out);
  EXPECT_EQ(report["clean"], false);
  EXPECT_EQ(report["files"], 3);
  EXPECT_EQ(report["differences"], json::parse(R"([
    {"kind": "modified", "path": "a.txt"},
    {"kind": "removed", "path": "b.txt"},
    {"kind": "added", "path": "c.txt"},
    {"kind": "mode changed", "path": "d.txt"}
  ])"));

  CommandOutput text = Lockstep({"sync", "verify", "dest"});
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.out.find("dest: 4 differences from the manifest"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("  modified      a.txt\n"
                          "  removed       b.txt\n"
                          "  added         c.txt\n"
                          "  mode changed  d.txt\n"),
            std::string::npos)
      << text.out;
}

TEST_F(CliSyncTest, UsageErrorsExitWithTwo) {
  EXPECT_EQ(Lockstep({"sync"}).exit_code, 2);
  EXPECT_EQ(Lockstep({"sync", From("app")}).exit_code, 2);
  CommandOutput message = Lockstep({"sync", From("app"), "dest", "-m", "why"});
  EXPECT_EQ(message.exit_code, 2);
  EXPECT_EQ(message.err, "lockstep: error: -m gives the message of --commit; pass --commit too\n");
  EXPECT_EQ(Lockstep({"sync", "verify"}).exit_code, 2);
  EXPECT_FALSE(fs::exists(dest()));
}

TEST_F(CliSyncTest, RefusalsExitWithOneAndChangeNothing) {
  source_.Write("app/a.txt", "a\n");
  source_.Commit("first");

  CommandOutput bad_source = Lockstep({"sync", source_.path().string(), "dest"});
  EXPECT_EQ(bad_source.exit_code, 1);
  EXPECT_EQ(bad_source.err, "lockstep: error: '" + source_.path().string() +
                                "' is not REPOSITORY:PATH[@REVISION] (use REPOSITORY: for the "
                                "whole tree)\n");
  CommandOutput dotdot = Lockstep({"sync", From("app/../.."), "dest"});
  EXPECT_EQ(dotdot.exit_code, 1);
  EXPECT_EQ(dotdot.err,
            "lockstep: error: source path 'app/../..' contains '..'; give a plain path inside "
            "the repository\n");
  EXPECT_FALSE(fs::exists(dest()));

  fs::create_directories(work_.path() / "elsewhere");
  fs::create_symlink(work_.path() / "elsewhere", dest());
  CommandOutput link = Lockstep({"sync", From("app"), "dest"});
  EXPECT_EQ(link.exit_code, 1);
  EXPECT_EQ(link.err, "lockstep: error: destination " + dest().string() +
                          " is a symbolic link; give the folder it points to\n");
  EXPECT_TRUE(fs::is_empty(work_.path() / "elsewhere"));

  CommandOutput no_manifest = Lockstep({"sync", "verify", "elsewhere"});
  EXPECT_EQ(no_manifest.exit_code, 1);
  EXPECT_NE(no_manifest.err.find("no sync manifest"), std::string::npos) << no_manifest.err;
}

TEST_F(CliSyncTest, ATamperedManifestNeedsForce) {
  source_.Write("app/a.txt", "a\n");
  std::string commit = source_.Commit("first");
  ASSERT_EQ(Lockstep({"sync", From("app"), "dest"}).exit_code, 0);
  fs::path manifest = dest() / sync::kManifestFileName;
  std::string text = ReadText(manifest);
  size_t at = text.find("\"sha256\": \"");
  ASSERT_NE(at, std::string::npos);
  text[at + 11] = text[at + 11] == '0' ? '1' : '0';
  work_.Write("dest/" + std::string(sync::kManifestFileName), text);

  CommandOutput refused = Lockstep({"sync", From("app"), "dest"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.err,
            "lockstep: error: manifest digest does not match: the manifest was changed or "
            "damaged; the destination cannot be trusted: check it with `lockstep sync verify`, "
            "then pass --force for a full copy\n");
  EXPECT_EQ(ReadText(manifest), text);
  CommandOutput verify = Lockstep({"sync", "verify", "dest"});
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_NE(verify.err.find("manifest digest does not match"), std::string::npos) << verify.err;

  CommandOutput forced = Lockstep({"sync", "--force", From("app"), "dest", "--json"});
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_EQ(json::parse(forced.out)["kind"], "full");
  EXPECT_EQ(Lockstep({"sync", "verify", "dest"}).exit_code, 0);
  EXPECT_EQ(OnDisk(dest()), Checkout(commit, "app"));
}

TEST_F(CliSyncTest, CommitCommitsOnlyTheDestinationWithSourceTrailers) {
  source_.Write("app/a.txt", "a\n");
  std::string first = source_.Commit("first");
  GitFixture target;
  target.Git({"config", "user.name", "Sync Bot"});
  target.Git({"config", "user.email", "sync@lockstep.invalid"});
  target.Write("README", "target\n");
  target.Write("other.txt", "o\n");
  std::string base = target.Commit("target");
  target.Write("other.txt", "staged by someone\n");
  target.Git({"add", "other.txt"});
  std::string into = (target.path() / "vendor" / "app").string();

  CommandOutput out = Lockstep({"sync", "--commit", "-m", "Update app", From("app"), into});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  std::string head = target.Git({"rev-parse", "HEAD"});
  EXPECT_NE(out.out.find("  committed " + head.substr(0, 7) + "\n"), std::string::npos) << out.out;
  EXPECT_EQ(target.Git({"rev-parse", "HEAD~1"}), base);
  EXPECT_EQ(target.Git({"diff", "--name-only", base, "HEAD"}),
            "vendor/app/.lockstep-sync.json\nvendor/app/a.txt");
  EXPECT_EQ(target.Git({"diff", "--cached", "--name-only"}), "other.txt");
  std::string digest =
      sync::ReadManifest(target.path() / "vendor/app").value_or(sync::Manifest{}).digest;
  EXPECT_EQ(target.Git({"log", "-1", "--format=%B"}),
            "Update app\n\nLockstep-Sync-Source: " + From("app") +
                "\nLockstep-Sync-Commit: " + first + "\nLockstep-Sync-Manifest: " + digest + "\n");
  EXPECT_EQ(target.Git({"log", "-1", "--format=%(trailers:key=Lockstep-Sync-Commit,valueonly)"}),
            first + "\n");

  // Nothing new: no commit.
  CommandOutput again = Lockstep({"sync", "--commit", From("app"), into, "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(json::parse(again.out)["commit_id"], "");
  EXPECT_EQ(target.Git({"rev-parse", "HEAD"}), head);
  CommandOutput text = Lockstep({"sync", "--commit", From("app"), into});
  EXPECT_NE(text.out.find("  nothing to commit\n"), std::string::npos) << text.out;
  EXPECT_EQ(target.Git({"rev-parse", "HEAD"}), head);

  // A new source commit: one more commit with the default message.
  source_.Write("app/a.txt", "a2\n");
  std::string second = source_.Commit("second");
  CommandOutput third = Lockstep({"sync", "--commit", From("app"), into, "--json"});
  ASSERT_EQ(third.exit_code, 0) << third.err;
  EXPECT_EQ(json::parse(third.out)["commit_id"], target.Git({"rev-parse", "HEAD"}));
  EXPECT_EQ(target.Git({"log", "-1", "--format=%s"}),
            "Sync " + From("app") + " at " + second.substr(0, 7));
  EXPECT_EQ(target.Git({"diff", "--cached", "--name-only"}), "other.txt");
}

TEST_F(CliSyncTest, AFileUrlSourceIsMirroredUnderLockstepHome) {
  source_.Write("app/a.txt", "a\n");
  std::string first = source_.Commit("first");
  std::string url = "file://" + source_.path().string();

  CommandOutput out = Lockstep({"sync", url + ":app", "dest", "--json"});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(json::parse(out.out)["source_repository"], url);
  std::vector<std::string> mirrors;
  for (const auto& entry : fs::directory_iterator(home() / "mirrors")) {
    mirrors.push_back(entry.path().filename().string());
  }
  ASSERT_EQ(mirrors.size(), 1u);
  EXPECT_TRUE(mirrors[0].ends_with(".git")) << mirrors[0];
  EXPECT_EQ(ManifestCommit(dest()), first);
  EXPECT_EQ(OnDisk(dest()), Checkout(first, "app"));

  // The mirror is brought up to date before each sync.
  source_.Write("app/b.txt", "b\n");
  std::string second = source_.Commit("second");
  CommandOutput again = Lockstep({"sync", url + ":app@main", "dest", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(json::parse(again.out)["kind"], "incremental");
  EXPECT_EQ(ManifestCommit(dest()), second);
  EXPECT_EQ(OnDisk(dest()), Checkout(second, "app"));
  EXPECT_EQ(Lockstep({"sync", "verify", "dest"}).exit_code, 0);
}

// Syncs killed with SIGKILL at random moments (seeded, so a failure can be replayed): the
// destination is always the old tree or the new one, never a mixture, once `sync verify` has
// finished whatever was committed; and the next sync works. The source repository is made
// once for the suite.
class CliSyncKillTest : public ::testing::Test {
 protected:
  static constexpr int kFiles = 1000;

  struct Tree {
    std::vector<std::string> listing;  // as TreeListing gives it
    std::vector<sync::ManifestEntry> files;
    bool operator==(const Tree&) const = default;
  };

  static void SetUpTestSuite() {
    source_ = new GitFixture();
    // Old: kFiles files over 40 folders, a few executables and a link, one folder and one
    // file that trade places with the new tree.
    for (int i = 0; i < kFiles; ++i) {
      std::string path = Path(i);
      if (i % 97 == 0) {
        source_->WriteExecutable(path, Content(i, "old"));
      } else {
        source_->Write(path, Content(i, "old"));
      }
    }
    source_->Symlink("app/d0/link", "f0.txt");
    source_->Write("app/flip", "a file here, a folder in the new tree\n");
    source_->Write("app/fold/inner.txt", "a folder here, a file in the new tree\n");
    old_ = source_->Commit("old");

    // New: half the files edited, a folder's worth removed, new files in new folders.
    for (int i = 0; i < kFiles; ++i) {
      if (i % 40 == 39) {
        source_->Remove(Path(i));
      } else if (i % 2 == 0) {
        source_->Write(Path(i), Content(i, "new"));
      }
    }
    for (int i = 0; i < kFiles / 10; ++i) {
      source_->Write("app/added/n" + std::to_string(i % 7) + "/g" + std::to_string(i) + ".txt",
                     Content(i, "added"));
    }
    source_->Remove("app/flip");
    source_->Write("app/flip/inside.txt", "now a folder\n");
    source_->Remove("app/fold");
    source_->Write("app/fold", "now a file\n");
    new_ = source_->Commit("new");
    old_tree_ = Expected(old_);
    new_tree_ = Expected(new_);
  }

  static void TearDownTestSuite() {
    delete source_;
    source_ = nullptr;
  }

  static std::string Path(int i) {
    return "app/d" + std::to_string(i % 40) + "/f" + std::to_string(i) + ".txt";
  }

  static std::string Content(int i, const std::string& version) {
    std::string line = version + " " + std::to_string(i) + " ";
    std::string content;
    while (content.size() < 600 + size_t(i % 7) * 100) content += line;
    return content + "\n";
  }

  // What a checkout of app/ at `commit` holds, read from the repository.
  static Tree Expected(const std::string& commit) {
    Tree tree;
    Result<git::Repository> repository = git::Repository::Open(source_->path());
    EXPECT_TRUE(repository.has_value());
    if (!repository) return tree;
    Result<git::TreeFiles> files =
        repository->ListFiles(repository->TreeIdAt(commit, "app").value_or(""));
    EXPECT_TRUE(files.has_value());
    if (!files) return tree;
    std::set<std::string> listing;
    for (const git::TreeFile& file : files->files) {
      listing.insert(file.path);
      for (size_t slash = file.path.find('/'); slash != std::string::npos;
           slash = file.path.find('/', slash + 1)) {
        listing.insert(file.path.substr(0, slash + 1));
      }
      sync::ManifestEntry entry{file.path, file.mode, 0, ""};
      EXPECT_TRUE(repository->VisitBlob(file.blob_id, [&](std::string_view content) {
        entry.size = int64_t(content.size());
        entry.sha256 = Sha256Hex(content);
        return Result<void>{};
      }));
      tree.files.push_back(std::move(entry));
    }
    tree.listing.assign(listing.begin(), listing.end());
    return tree;
  }

  fs::path dest() const { return work_.path() / "dest"; }

  std::vector<std::string> SyncArguments(const std::string& commit,
                                         const std::vector<std::string>& flags) const {
    std::vector<std::string> arguments = {"sync", source_->path().string() + ":app@" + commit,
                                          "dest", "-j", "2"};
    arguments.insert(arguments.end(), flags.begin(), flags.end());
    return arguments;
  }

  CommandOutput Lockstep(const std::vector<std::string>& arguments) {
    return testing::RunLockstep(arguments, work_.path(),
                                {"LOCKSTEP_HOME=" + (work_.path() / "home").string()});
  }

  // "old", "new", or what is wrong.
  std::string Holds() {
    Tree tree;
    tree.listing = TreeListing(dest());
    std::erase(tree.listing, std::string(sync::kManifestFileName));
    tree.files = sync::HashTree(dest(), 2).value_or(std::vector<sync::ManifestEntry>{});
    std::string commit = sync::ReadManifest(dest()).value_or(sync::Manifest{}).commit;
    if (tree == old_tree_ && commit == old_) return "old";
    if (tree == new_tree_ && commit == new_) return "new";
    return "a mixture: " + std::to_string(tree.files.size()) + " files, manifest at " + commit;
  }

  // Runs a sync to `commit` to the end and returns how long it took.
  std::chrono::milliseconds TimedSync(const std::string& commit,
                                      const std::vector<std::string>& flags) {
    auto start = std::chrono::steady_clock::now();
    CommandOutput out = Lockstep(SyncArguments(commit, flags));
    EXPECT_EQ(out.exit_code, 0) << out.err;
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
  }

  // Kills `iterations` syncs (with `flags`) between the two trees, alternating direction,
  // each after a random delay up to `window`, starting from the tree `state`.
  void KillRepeatedly(const std::vector<std::string>& flags, std::string state,
                      std::chrono::milliseconds window, int iterations, unsigned seed) {
    const bool full = std::ranges::find(flags, "--force") != flags.end();
    std::mt19937 random(seed);
    std::uniform_int_distribution<int> pick(0, int(window.count()));
    int interrupted = 0;
    for (int i = 0; i < iterations; ++i) {
      const std::string target = state == "old" ? "new" : "old";
      const std::string& commit = target == "old" ? old_ : new_;
      const int delay = pick(random);
      SCOPED_TRACE("seed " + std::to_string(seed) + ", iteration " + std::to_string(i) +
                   ": killed after " + std::to_string(delay) + " of " +
                   std::to_string(window.count()) + " ms, " + state + " -> " + target);
      BackgroundLockstep sync(SyncArguments(commit, flags), work_.path(),
                              {"LOCKSTEP_HOME=" + (work_.path() / "home").string()});
      // A random moment to kill at is what this test is about, not a way to wait for
      // something.
      std::this_thread::sleep_for(std::chrono::milliseconds(delay));
      sync.Signal(SIGKILL);
      CommandOutput out = sync.Wait();
      ASSERT_TRUE(out.exit_code == 0 || out.exit_code == 128 + SIGKILL) << out.exit_code << "\n"
                                                                        << out.err;
      if (out.exit_code != 0) ++interrupted;

      // A full copy is swapped in whole: old or new even before any recovery.
      if (full) {
        std::string before = Holds();
        EXPECT_TRUE(before == state || before == target) << before;
      }
      // verify finishes a committed update (or discards an uncommitted one) and then finds
      // the destination exactly as its manifest says.
      CommandOutput verify = Lockstep({"sync", "verify", "dest", "--json"});
      ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
      EXPECT_EQ(json::parse(verify.out)["clean"], true);
      std::string now = Holds();
      ASSERT_TRUE(now == state || now == target) << now;
      EXPECT_FALSE(fs::exists(sync::StagingPath(dest())));

      CommandOutput next = Lockstep(SyncArguments(commit, {}));
      ASSERT_EQ(next.exit_code, 0) << next.err;
      ASSERT_EQ(sync::ReadManifest(dest()).value_or(sync::Manifest{}).commit, commit);
      state = target;
    }
    RecordProperty("interrupted", interrupted);
  }

  // Shared by the suite's tests; made once in SetUpTestSuite.
  inline static GitFixture* source_ = nullptr;
  inline static std::string old_, new_;
  inline static Tree old_tree_, new_tree_;

  TempDir work_;
};

// The kill window is as long as the first, uninterrupted sync took (a full copy; an
// incremental update of half the files takes about as long).

TEST_F(CliSyncKillTest, AKilledIncrementalSyncLeavesTheOldOrTheNewTree) {
  std::chrono::milliseconds window = TimedSync(old_, {});
  ASSERT_EQ(Holds(), "old");
  KillRepeatedly({}, "old", window, 4, 20261204);
}

TEST_F(CliSyncKillTest, AKilledFullCopyLeavesTheOldOrTheNewTree) {
  std::chrono::milliseconds window = TimedSync(old_, {});
  ASSERT_EQ(Holds(), "old");
  KillRepeatedly({"--force"}, "old", window, 3, 4122026);
}

}  // namespace
}  // namespace lockstep
