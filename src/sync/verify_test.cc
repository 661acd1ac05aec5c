#include "sync/verify.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <ostream>

#include "base/file.h"
#include "base/sha256.h"
#include "sync/hash_tree.h"
#include "temp_dir.h"

namespace lockstep::sync {

// Readable failures; static so a helper of the same name in another test file cannot collide.
static void PrintTo(const Difference& difference, std::ostream* out) {
  *out << DifferenceKindName(difference.kind) << " " << difference.path;
}

namespace {

namespace fs = std::filesystem;
using Kind = Difference::Kind;

class VerifyTreeTest : public ::testing::Test {
 protected:
  // A synced-looking directory: a few files, a link, and a manifest describing them.
  void SetUp() override {
    dir_.Write("README.md", "# app\n");
    dir_.Write("src/main.cc", "int main() { return 0; }\n");
    dir_.Write("scripts/build.sh", "#!/bin/sh\nmake\n");
    fs::permissions(root() / "scripts/build.sh", fs::perms(0755), fs::perm_options::replace);
    fs::create_symlink("README.md", root() / "docs");
    WriteManifest();
  }

  void WriteManifest() {
    Result<std::vector<ManifestEntry>> files = HashTree(root(), 2);
    ASSERT_TRUE(files.has_value()) << files.error().ToString();
    Manifest manifest;
    manifest.source_repository = "/srv/repos/app";
    manifest.commit = std::string(40, 'a');
    manifest.tree_id = std::string(40, 'b');
    manifest.time = "2026-12-04T18:43:24Z";
    manifest.actor = "ci";
    manifest.files = std::move(*files);
    dir_.Write(".lockstep-sync.json", WriteManifestJson(manifest));
  }

  std::vector<Difference> Verify() {
    Result<std::vector<Difference>> differences = VerifyTree(root(), 4);
    EXPECT_TRUE(differences.has_value()) << differences.error().ToString();
    return differences.value_or(std::vector<Difference>{});
  }

  const fs::path& root() const { return dir_.path(); }

  testing::TempDir dir_;
};

TEST_F(VerifyTreeTest, UntouchedTreeHasNoDifferences) {
  EXPECT_EQ(Verify(), std::vector<Difference>{});
}

TEST_F(VerifyTreeTest, FlippedByteIsModified) {
  {
    std::fstream file(root() / "src/main.cc", std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(4);
    file.put('M');
  }
  ASSERT_EQ(ReadFile(root() / "src/main.cc").value_or(""), "int Main() { return 0; }\n");
  EXPECT_EQ(Verify(), (std::vector<Difference>{{Kind::kModified, "src/main.cc"}}));
}

TEST_F(VerifyTreeTest, RemovedFileIsRemoved) {
  fs::remove(root() / "README.md");
  EXPECT_EQ(Verify(), (std::vector<Difference>{{Kind::kRemoved, "README.md"}}));
}

TEST_F(VerifyTreeTest, AddedFileIsAdded) {
  dir_.Write("src/extra.h", "");
  EXPECT_EQ(Verify(), (std::vector<Difference>{{Kind::kAdded, "src/extra.h"}}));
}

TEST_F(VerifyTreeTest, ExecutableBitIsModeChanged) {
  fs::permissions(root() / "src/main.cc", fs::perms::owner_exec, fs::perm_options::add);
  fs::permissions(root() / "scripts/build.sh", fs::perms(0644), fs::perm_options::replace);
  EXPECT_EQ(Verify(), (std::vector<Difference>{{Kind::kModeChanged, "scripts/build.sh"},
                                               {Kind::kModeChanged, "src/main.cc"}}));
}

TEST_F(VerifyTreeTest, RetargetedOrReplacedLinkIsModified) {
  fs::remove(root() / "docs");
  fs::create_symlink("src", root() / "docs");
  EXPECT_EQ(Verify(), (std::vector<Difference>{{Kind::kModified, "docs"}}));

  // A file holding the old target text has the same size and hash, but is not a link.
  fs::remove(root() / "docs");
  dir_.Write("docs", "README.md");
  EXPECT_EQ(Verify(), (std::vector<Difference>{{Kind::kModified, "docs"}}));
}

TEST_F(VerifyTreeTest, EveryDifferenceIsReportedInPathOrder) {
  fs::remove(root() / "src/main.cc");
  dir_.Write("src/main.cc/now_a_directory", "x");
  dir_.Write("README.md", "# app, edited\n");
  dir_.Write("a/new file \xC3\xA9.txt", "new");
  fs::create_directories(root() / "empty/dirs/are/not/files");
  EXPECT_EQ(Verify(), (std::vector<Difference>{
                          {Kind::kModified, "README.md"},
                          {Kind::kAdded, "a/new file \xC3\xA9.txt"},
                          {Kind::kRemoved, "src/main.cc"},
                          {Kind::kAdded, "src/main.cc/now_a_directory"},
                      }));
}

TEST_F(VerifyTreeTest, MissingManifestIsNotFound) {
  fs::remove(root() / ".lockstep-sync.json");
  Result<std::vector<Difference>> differences = VerifyTree(root(), 1);
  ASSERT_FALSE(differences.has_value());
  EXPECT_EQ(differences.error().code(), ErrorCode::kNotFound);
}

TEST_F(VerifyTreeTest, TamperedManifestIsCorruption) {
  // Someone edits a file and "fixes" its hash in the manifest by hand, without the digest.
  dir_.Write("README.md", "# app, edited\n");
  fs::path manifest = root() / ".lockstep-sync.json";
  std::string text = ReadFile(manifest).value_or("");
  size_t at = text.find(Sha256Hex("# app\n"));
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 64, Sha256Hex("# app, edited\n"));
  dir_.Write(".lockstep-sync.json", text);

  Result<std::vector<Difference>> differences = VerifyTree(root(), 1);
  ASSERT_FALSE(differences.has_value());
  EXPECT_EQ(differences.error().code(), ErrorCode::kCorruption);
  EXPECT_EQ(
      differences.error().ToString(),
      manifest.string() + ": manifest digest does not match: the manifest was changed or damaged");
}

TEST(CompareEntriesTest, ReportsOneDifferencePerPath) {
  std::vector<ManifestEntry> expected = {
      {"a", kModeRegular, 1, Sha256Hex("a")},
      {"b", kModeRegular, 1, Sha256Hex("b")},
      {"c", kModeRegular, 1, Sha256Hex("c")},
  };
  std::vector<ManifestEntry> actual = {
      {"b", kModeExecutable, 2, Sha256Hex("bb")},  // content and mode: modified only
      {"c", kModeExecutable, 1, Sha256Hex("c")},
      {"d", kModeRegular, 1, Sha256Hex("d")},
  };
  EXPECT_EQ(CompareEntries(expected, actual), (std::vector<Difference>{{Kind::kRemoved, "a"},
                                                                       {Kind::kModified, "b"},
                                                                       {Kind::kModeChanged, "c"},
                                                                       {Kind::kAdded, "d"}}));
  EXPECT_EQ(DifferenceKindName(Kind::kModeChanged), "mode changed");
}

}  // namespace
}  // namespace lockstep::sync
