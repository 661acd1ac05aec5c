#include "sync/hash_tree.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <ostream>

#include "base/sha256.h"
#include "temp_dir.h"

namespace lockstep::sync {

// Readable failures; static so a helper of the same name in another test file cannot collide.
static void PrintTo(const ManifestEntry& entry, std::ostream* out) {
  *out << "{" << entry.path << " " << std::oct << entry.mode << std::dec << " " << entry.size << " "
       << entry.sha256 << "}";
}

namespace {

namespace fs = std::filesystem;

class HashTreeTest : public ::testing::Test {
 protected:
  const fs::path& root() const { return dir_.path(); }

  std::vector<ManifestEntry> Hash(int threads) {
    Result<std::vector<ManifestEntry>> entries = HashTree(root(), threads);
    EXPECT_TRUE(entries.has_value()) << entries.error().ToString();
    return entries.value_or(std::vector<ManifestEntry>{});
  }

  std::string HashError(const fs::path& path) {
    Result<std::vector<ManifestEntry>> entries = HashTree(path, 2);
    return entries ? "ok" : entries.error().ToString();
  }

  testing::TempDir dir_;
};

TEST_F(HashTreeTest, RecordsFilesExecutablesLinksAndSkipsDirectories) {
  dir_.Write("a.txt", "hello\n");
  dir_.Write("bin/tool", "#!/bin/sh\n");
  fs::permissions(root() / "bin/tool", fs::perms(0755), fs::perm_options::replace);
  dir_.Write("empty", "");
  dir_.Write("with space/\xC3\xBCnicode \xE2\x9C\x93.txt", "utf-8\n");
  dir_.Write("sub/.lockstep-sync.json", "not the top manifest\n");
  dir_.Write(".lockstep-sync.json", "{}");  // the manifest itself is never recorded
  fs::create_directories(root() / "nested/empty/dirs");
  fs::create_symlink("a.txt", root() / "link");
  fs::create_symlink("../../outside/target", root() / "bin/escaping");

  std::vector<ManifestEntry> expected = {
      {"a.txt", kModeRegular, 6, Sha256Hex("hello\n")},
      {"bin/escaping", kModeSymlink, 20, Sha256Hex("../../outside/target")},
      {"bin/tool", kModeExecutable, 10, Sha256Hex("#!/bin/sh\n")},
      {"empty", kModeRegular, 0, Sha256Hex("")},
      {"link", kModeSymlink, 5, Sha256Hex("a.txt")},
      {"sub/.lockstep-sync.json", kModeRegular, 21, Sha256Hex("not the top manifest\n")},
      {"with space/\xC3\xBCnicode \xE2\x9C\x93.txt", kModeRegular, 6, Sha256Hex("utf-8\n")},
  };
  EXPECT_EQ(Hash(1), expected);
  EXPECT_EQ(Hash(4), expected);
}

TEST_F(HashTreeTest, LargeFileHashesTheSameOnOneAndFourThreads) {
  // 20 MB that is not one repeated block, so a block read twice or skipped changes the hash.
  std::string large(20 << 20, '\0');
  for (size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>((i * 131) ^ (i >> 20));
  dir_.Write("big/blob.bin", large);
  for (int i = 0; i < 40; ++i) dir_.Write("small/" + std::to_string(i), std::to_string(i * i));

  std::vector<ManifestEntry> one = Hash(1);
  std::vector<ManifestEntry> four = Hash(4);
  ASSERT_EQ(one.size(), 41u);
  EXPECT_EQ(one, four);
  EXPECT_EQ(one[0], (ManifestEntry{"big/blob.bin", kModeRegular, 20 << 20, Sha256Hex(large)}));
  EXPECT_EQ(one[1].path, "small/0");
  EXPECT_EQ(one[2].path, "small/1");
  EXPECT_EQ(one[3].path, "small/10");
  EXPECT_EQ(one[3].sha256, Sha256Hex("100"));
}

TEST_F(HashTreeTest, EmptyDirectoryHasNoEntries) {
  fs::create_directories(root() / "only/dirs");
  EXPECT_EQ(Hash(0), std::vector<ManifestEntry>{});
}

TEST_F(HashTreeTest, MissingRootIsNotFound) {
  Result<std::vector<ManifestEntry>> entries = HashTree(root() / "missing", 1);
  ASSERT_FALSE(entries.has_value());
  EXPECT_EQ(entries.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(entries.error().ToString(), (root() / "missing").string() + ": no such directory");
}

TEST_F(HashTreeTest, RootThatIsAFileIsRefused) {
  dir_.Write("file", "x");
  EXPECT_EQ(HashError(root() / "file"), (root() / "file").string() + ": not a directory");
}

TEST_F(HashTreeTest, FifoIsRefused) {
  ASSERT_EQ(mkfifo((root() / "pipe").c_str(), 0644), 0);
  EXPECT_EQ(HashError(root()),
            (root() / "pipe").string() + ": not a regular file, directory or symbolic link");
}

TEST_F(HashTreeTest, NameThatIsNotUtf8IsRefused) {
  dir_.Write("ok/bad\xFFname", "x");
  EXPECT_EQ(HashError(root()), (root() / "ok/bad\xFFname").string() +
                                   ": the name is not valid UTF-8, which a manifest cannot record");
}

}  // namespace
}  // namespace lockstep::sync
